"""The jurisdiction's boundary and districts as prepared shapely geometries, cached per
process (app/process_cache.py): a report's point is tested against them in microseconds
instead of a round trip to PostgreSQL each. An entry is also keyed on the jurisdiction's
`changed_at`, which every catalog load bumps."""

from dataclasses import dataclass

from shapely import Point, wkb
from shapely.prepared import PreparedGeometry, prep
from sqlalchemy import func, select

from app.db import DbSession
from app.lookups import City
from app.models import District, Jurisdiction
from app.process_cache import ProcessCache


@dataclass(frozen=True)
class JurisdictionShapes:
    """What a report's point is checked against."""

    boundary: PreparedGeometry | None
    # (district id, prepared polygon), by code: the lowest code wins where districts overlap.
    districts: tuple[tuple[int, PreparedGeometry], ...]

    def in_boundary(self, point: Point) -> bool:
        """ST_Covers semantics: a point on the boundary line is inside."""
        return self.boundary is None or self.boundary.covers(point)

    def district_id(self, point: Point) -> int | None:
        return next((id_ for id_, geom in self.districts if geom.covers(point)), None)


_shapes: ProcessCache[JurisdictionShapes] = ProcessCache(Jurisdiction, District)


def shapes_of(session: DbSession, jurisdiction: Jurisdiction | City) -> JurisdictionShapes:
    """The cached shapes of a jurisdiction, loaded in one query when missing or stale."""

    def load() -> JurisdictionShapes:
        boundary = session.scalar(select(func.ST_AsBinary(Jurisdiction.boundary))
                                  .where(Jurisdiction.id == jurisdiction.id))
        rows = session.execute(
            select(District.id, func.ST_AsBinary(District.geom))
            .where(District.jurisdiction_id == jurisdiction.id)
            .order_by(District.code)
        ).all()
        return JurisdictionShapes(
            boundary=prep(wkb.loads(bytes(boundary))) if boundary is not None else None,
            districts=tuple((id_, prep(wkb.loads(bytes(geom)))) for id_, geom in rows),
        )

    shapes = _shapes.get((jurisdiction.id, jurisdiction.changed_at), load)
    assert shapes is not None  # load never answers None
    return shapes
