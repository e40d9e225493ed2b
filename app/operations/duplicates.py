"""Duplicate reports: finding open cases near a pin, linking a new report to its parent, and
closing duplicates with their parent."""

import hashlib
import math
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import (
    DateTime,
    Float,
    Integer,
    bindparam,
    func,
    literal_column,
    select,
    update,
)

from app.db import DbSession
from app.models import RequestUpdate, ServiceRequest
from app.operations.definitions import AnyService
from app.operations.round_trips import Statement, Touch, compiled
from app.reads.statements import BuiltOnce
from geo.filters import nearest_first, within_radius

if TYPE_CHECKING:  # submit imports this module to link new reports
    from app.operations.submit import Actor

# Hashed into the advisory lock keys taken while looking for a parent, with the service id and
# a map cell, so that they differ from any other lock ("DUPL" in ASCII).
DUPLICATE_LOCK_SPACE = 0x4455504C
# Metres in a degree of latitude at the equator, the fewest anywhere on the WGS84 spheroid.
METRES_PER_DEGREE_MIN = 110_574.0
LOCK_MARGIN = 1.05
NEARBY_LIMIT = 50


# What varies between searches: bound when a search runs, so that the statement itself is
# built and compiled once per process (building it per report cost a POST more Python time
# than PostgreSQL spent running it).
_SERVICE_ID = bindparam("service_id", type_=Integer)
_LAT = bindparam("lat", type_=Float)
_LONG = bindparam("long", type_=Float)
_RADIUS_M = bindparam("radius_m", type_=Float)
_SINCE = bindparam("since", type_=DateTime(timezone=True))


@cache
def _parent_search_statement(windowed: bool) -> BuiltOnce:
    """The nearest open root request among the open requests of the service within its
    duplicate radius of the true point (filed since `since` when the service has a window),
    in one row: links always point at a root, so a duplicate's parent is its root. Loading
    the candidates as objects and walking them in Python held the lock (and so every report
    of the service) several times longer."""
    rank = nearest_first(ServiceRequest.location, _LAT, _LONG)
    candidates = (
        select(func.coalesce(ServiceRequest.duplicate_of_id, ServiceRequest.id)
               .label("root_id"), rank.label("rank"), ServiceRequest.id.label("candidate_id"))
        # Planned once per connection (definitions.FILING_CATALOG_LOCK_SQL), for any service
        # and point: `service_id + 0` keeps that plan off the (service, status) index, which
        # holds every open request of the service (a BitmapAnd of thousands of entries), on
        # the index of open requests' locations alone, and the status is written out, not a
        # parameter, so that the partial index applies.
        .where(ServiceRequest.service_id + 0 == _SERVICE_ID,
               ServiceRequest.status == literal_column("'open'"),
               within_radius(ServiceRequest.location, _LAT, _LONG, _RADIUS_M),
               *([ServiceRequest.requested_at >= _SINCE] if windowed else []))
        # KNN on the GiST index: the nearest come first without sorting every match.
        .order_by(rank, ServiceRequest.id)
        .limit(NEARBY_LIMIT)
    ).subquery("candidates")
    return BuiltOnce(
        select(ServiceRequest.id)
        .join(candidates, candidates.c.root_id == ServiceRequest.id)
        .where(ServiceRequest.status == literal_column("'open'"))
        .order_by(candidates.c.rank, candidates.c.candidate_id)
        .limit(1)
    )


def duplicate_cell_size(radius_m: float) -> float:
    """The side, in degrees, of the lock grid's cells for a duplicate radius: one radius of
    latitude (at the spheroid's fewest metres per degree, so never less than the radius)."""
    return radius_m / METRES_PER_DEGREE_MIN


def duplicate_lock_keys(service: AnyService, lat: float, long: float) -> list[int]:
    """The advisory lock keys of a report at (lat, long): the service with every grid cell
    the disc of the duplicate radius around the point touches, sorted.

    Two reports within the radius of each other share a key: the second point lies in the
    first's disc, so its own cell is among the first's cells, and every report locks its own
    cell. Reports further apart (or of other services) take disjoint keys and file in parallel.
    A hash collision only serialises two reports more than needed."""
    radius_m = float(service.duplicate_radius_m or 0)
    cell = duplicate_cell_size(radius_m)
    # The disc's bounding box, with a margin for the spheroid and rounding.
    half_lat = LOCK_MARGIN * radius_m / METRES_PER_DEGREE_MIN
    half_long = LOCK_MARGIN * radius_m / (
        METRES_PER_DEGREE_MIN * max(math.cos(math.radians(min(abs(lat) + half_lat, 89.0))),
                                    0.01))
    rows = range(math.floor((lat - half_lat) / cell), math.floor((lat + half_lat) / cell) + 1)
    columns = range(math.floor((long - half_long) / cell),
                    math.floor((long + half_long) / cell) + 1)
    keys = {_signed_64(hashlib.blake2b(
        f"{DUPLICATE_LOCK_SPACE}:{service.id}:{row}:{column}".encode(), digest_size=8).digest())
        for row in rows for column in columns}
    return sorted(keys)


def _signed_64(digest: bytes) -> int:
    return int.from_bytes(digest, "big", signed=True)


# Serialises the parent lookups of reports of one service near a point until the transaction
# ends, so that two identical reports filed at the same moment link instead of both becoming
# parents. The keys are taken in sorted order: no two reports deadlock.
_LOCK_SQL = ("SELECT pg_advisory_xact_lock(key) FROM unnest(%(keys)s::bigint[])"
             " WITH ORDINALITY AS k(key, n) ORDER BY n")


def parent_search(session: DbSession, service: AnyService, lat: float, long: float,
                  now: datetime) -> list[Statement]:
    """The statements that find the open root request a new report at this point duplicates
    (none when the service has no duplicates rule): the lookup lock of the service around
    the point, then the search, whose one row is the parent's id. Run them with
    round_trips.pipelined right before storing the new report.

    They stay two statements in one pipeline (one round trip): a READ COMMITTED statement
    reads the snapshot taken when it starts, so a search in the lock's own statement would
    miss the parent that the report it waited for has just committed."""
    if not service.duplicate_radius_m:
        return []
    window = service.duplicate_window_days
    search = compiled(session, _parent_search_statement(bool(window)), {
        "service_id": service.id, "lat": lat, "long": long,
        "radius_m": float(service.duplicate_radius_m),
        "since": now - timedelta(days=window) if window else None})
    return [(_LOCK_SQL, {"keys": duplicate_lock_keys(service, lat, long)}), search]


def link_rows(duplicate: ServiceRequest, parent_id: int, actor: "Actor",
              now: datetime) -> tuple[list[RequestUpdate], Touch]:
    """The public history rows of a link, on both requests, and the UPDATE that counts the
    parent as updated (the parent is of the duplicate's service, so of its jurisdiction), for
    round_trips.insert_together."""
    rows = [
        RequestUpdate(
            jurisdiction_id=duplicate.jurisdiction_id, service_request_id=duplicate.id,
            created_at=now, actor=actor.label, kind="duplicate", public=True,
            description=f"Linked as a duplicate of request {parent_id}",
            data={"duplicate_of": parent_id},
        ),
        RequestUpdate(
            jurisdiction_id=duplicate.jurisdiction_id, service_request_id=parent_id,
            created_at=now, actor=actor.label, kind="duplicate", public=True,
            description=f"Request {duplicate.id} was linked to this request as a duplicate",
            data={"duplicate": duplicate.id},
        ),
    ]
    return rows, (_TOUCH_PARENT, {"parent_id": parent_id, "parent_updated_at": now})


# Built once: round_trips.insert_together compiles each statement it is given once.
_TOUCH_PARENT = (update(ServiceRequest).where(ServiceRequest.id == bindparam("parent_id"))
                 .values(updated_at=bindparam("parent_updated_at")))


def duplicate_notice(parent_id: int) -> str:
    """What the resident reads (GeoReport v2 service_notice) when their report is linked."""
    return (f"This problem has already been reported nearby (request {parent_id}); "
            "your report was added to it and will be closed with it.")


def cascade_closure(session: DbSession, parent: ServiceRequest, actor: "Actor",
                    now: datetime) -> list[tuple[ServiceRequest, RequestUpdate]]:
    """Close the parent's open duplicates the way the parent was closed (status,
    detailed_status, state_code, status_notes), each with a public note naming the parent.

    Call it after closing `parent`, in the same transaction. It only writes history: the
    notifications to the duplicates' reporters are the caller's to send (as outbox rows, like
    the parent's), for the returned (request, history row) pairs.
    """
    duplicates = session.scalars(
        select(ServiceRequest)
        .where(ServiceRequest.duplicate_of_id == parent.id, ServiceRequest.status == "open")
        .order_by(ServiceRequest.id)
        .with_for_update()
    ).all()
    closed = []
    for duplicate in duplicates:
        previous = duplicate.detailed_status
        duplicate.status = parent.status
        duplicate.detailed_status = parent.detailed_status
        duplicate.state_code = parent.state_code
        duplicate.status_notes = parent.status_notes
        duplicate.closed_at = now
        duplicate.updated_at = now
        update = RequestUpdate(
            jurisdiction_id=duplicate.jurisdiction_id, service_request_id=duplicate.id,
            created_at=now, actor=actor.label, kind="status", public=True,
            from_status=previous, to_status=parent.detailed_status,
            state_code=parent.state_code,
            description=f"Closed with request {parent.id}, of which this is a duplicate",
            data={"parent": parent.id},
        )
        session.add(update)
        closed.append((duplicate, update))
    session.flush()
    return closed
