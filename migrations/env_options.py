"""What autogenerate compares; shared by env.py and the models-vs-migrations test."""

from geoalchemy2 import alembic_helpers


def include_object(obj, name, type_, reflected, compare_to):
    """Compare only our own modelled tables: PostGIS ships spatial_ref_sys and friends, and
    request_tile_points is a copy kept by triggers (migration 1600) that no model writes."""
    if type_ == "table" and name in {"spatial_ref_sys", "request_tile_points"}:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)
