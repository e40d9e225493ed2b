"""What autogenerate compares; shared by env.py and the models-vs-migrations test."""

from geoalchemy2 import alembic_helpers


def include_object(obj, name, type_, reflected, compare_to):
    """Compare only our own tables: PostGIS ships spatial_ref_sys and friends."""
    if type_ == "table" and name in {"spatial_ref_sys"}:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)
