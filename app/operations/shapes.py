"""The jurisdiction's boundary and districts as prepared shapely geometries, cached per
process: a report's point is tested against them in microseconds instead of a round trip
to PostgreSQL each.

Freshness: an entry is keyed on the jurisdiction's `changed_at` (bumped by every catalog
load) and lives at most SHAPES_TTL_SECONDS; a flush in this process that writes a
jurisdiction or a district drops the whole cache at once. Another host's (or a SQL
script's) district edit is therefore seen here within SHAPES_TTL_SECONDS
(docs/reliability.md)."""

import time
from dataclasses import dataclass
from threading import Lock
from typing import Any

from geoalchemy2.shape import to_shape
from shapely import Point, wkb
from shapely.prepared import PreparedGeometry, prep
from sqlalchemy import event, func, select

from app.db import DbSession
from app.models import District, Jurisdiction

SHAPES_TTL_SECONDS = 30.0


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


_cache: dict[tuple[str, Any], tuple[float, JurisdictionShapes]] = {}
_cache_lock = Lock()


def shapes_of(session: DbSession, jurisdiction: Jurisdiction) -> JurisdictionShapes:
    """The cached shapes of a jurisdiction, loaded in one query when missing or stale."""
    key = (jurisdiction.id, jurisdiction.changed_at)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and now - cached[0] < SHAPES_TTL_SECONDS:
        return cached[1]
    rows = session.execute(
        select(District.id, func.ST_AsBinary(District.geom))
        .where(District.jurisdiction_id == jurisdiction.id)
        .order_by(District.code)
    ).all()
    shapes = JurisdictionShapes(
        boundary=prep(to_shape(jurisdiction.boundary))
        if jurisdiction.boundary is not None else None,
        districts=tuple((id_, prep(wkb.loads(bytes(geom)))) for id_, geom in rows),
    )
    with _cache_lock:
        # Entries of other stamps of this jurisdiction are stale: keep one per jurisdiction.
        for stale in [k for k in _cache if k[0] == jurisdiction.id]:
            del _cache[stale]
        _cache[key] = (now, shapes)
    return shapes


def forget_shapes(*_: Any) -> None:
    """Drop every cached shape (a jurisdiction or district was written in this process)."""
    with _cache_lock:
        _cache.clear()


for _model in (Jurisdiction, District):
    for _event in ("after_insert", "after_update", "after_delete"):
        event.listen(_model, _event, forget_shapes)
