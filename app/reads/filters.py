"""The one declarative filter set of public request reads, over published values only.

Every surface (Open311 GET requests, the public API, exports, feed, stats, OGC items) parses its
own parameters into a RequestFilters and gets its SQL conditions from `conditions()`. Spatial
filters match the published point (`public_point`: hidden requests have none, so they match no
spatial filter), the district filter the published district (none when hidden), `q` the masked
text. A filter that ran on a true value would be an oracle for what the output hides.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal_column, or_, select
from sqlalchemy.sql.elements import ColumnElement

from app import workflow
from app.db import DbSession
from app.exceptions import BadRequest
from app.lookups import AnyJurisdiction
from app.models import Department, District, Service, ServiceRequest
from geo.filters import geometry_in_bbox, geometry_within_radius

OPEN_CLOSED = ("open", "closed")
STATUS_VALUES = (*OPEN_CLOSED, *workflow.ALL_STATES)


@dataclass(frozen=True)
class Circle:
    """lat, long, radius: requests published within radius_m metres. Numbers, or SQL (the
    bind parameters and columns of a statement built once, app/reads/statements.py)."""

    lat: Any
    long: Any
    radius_m: Any


@dataclass(frozen=True)
class TimeRange:
    """Bounds on a timestamp column; each bound inclusive or not (the surfaces' contracts
    differ: Open311's start/end are inclusive, the public API's ranges half-open)."""

    column: str  # requested_at | updated_at | closed_at
    # Moments, or SQL (as Circle's values).
    after: datetime | Any | None = None
    before: datetime | Any | None = None
    after_inclusive: bool = True
    before_inclusive: bool = False


@dataclass
class RequestFilters:
    """Which requests a public read returns; empty lists and None filter nothing."""

    service_request_ids: list[int] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)
    # min long, min lat, max long, max lat: numbers, or SQL (as Circle's values)
    bbox: tuple[Any, Any, Any, Any] | None = None
    circle: Circle | None = None
    ranges: list[TimeRange] = field(default_factory=list)
    q: str | None = None
    # Conditions a surface adds in its own language (OGC's CQL2), already over published
    # columns (app.maps.layers.REQUEST_QUERYABLES).
    extra: list[Any] = field(default_factory=list)


def _codes(column: Any, key: Any, jurisdiction: AnyJurisdiction | None, values: list[str]) -> Any:
    codes = select(key).where(column.in_(values))
    if jurisdiction is None:
        return codes
    return codes.where(jurisdiction_column(column) == jurisdiction.id)


def jurisdiction_column(column: Any) -> Any:
    """The jurisdiction_id column of the table of `column`."""
    return column.table.c.jurisdiction_id


def conditions(jurisdiction: AnyJurisdiction | None,
               filters: RequestFilters) -> list[ColumnElement[bool]]:
    """The SQL conditions of `filters` over service_requests (no join needed); over every
    jurisdiction when `jurisdiction` is None (the OGC collection serves them all)."""
    where: list[Any] = []
    if jurisdiction is not None:
        where.append(ServiceRequest.jurisdiction_id == jurisdiction.id)
    if filters.service_request_ids:
        where.append(ServiceRequest.id.in_(filters.service_request_ids))
    if filters.service_codes:
        where.append(ServiceRequest.service_id.in_(
            _codes(Service.service_code, Service.id, jurisdiction, filters.service_codes)))
    if filters.statuses:
        open_closed = [s for s in filters.statuses if s in OPEN_CLOSED]
        detailed = [s for s in filters.statuses if s not in OPEN_CLOSED]
        # Only the lists given: an empty IN is still rendered anew on every execution.
        where.append(or_(*([ServiceRequest.status.in_(open_closed)] if open_closed else []),
                         *([ServiceRequest.detailed_status.in_(detailed)] if detailed else [])))
    if filters.departments:
        where.append(ServiceRequest.department_id.in_(
            _codes(Department.code, Department.id, jurisdiction, filters.departments)))
    if filters.districts:
        where.append(ServiceRequest.public_district_id.in_(
            _codes(District.code, District.id, jurisdiction, filters.districts)))
    if filters.bbox is not None:
        where.append(geometry_in_bbox(ServiceRequest.public_point, *filters.bbox))
    if filters.circle is not None:
        circle = filters.circle
        where.append(geometry_within_radius(ServiceRequest.public_point, circle.lat,
                                            circle.long, circle.radius_m))
    for bounds in filters.ranges:
        column = getattr(ServiceRequest, bounds.column)
        if bounds.after is not None:
            where.append(column >= bounds.after if bounds.after_inclusive
                         else column > bounds.after)
        if bounds.before is not None:
            where.append(column <= bounds.before if bounds.before_inclusive
                         else column < bounds.before)
    if filters.q:
        # search_vector is generated from public_description: the masked text only.
        where.append(ServiceRequest.search_vector.op("@@")(
            func.websearch_to_tsquery(literal_column("'english'::regconfig"), filters.q)))
    where.extend(filters.extra)
    return where


# --- strict values ----------------------------------------------------------------------------

def require_known(name: str, given: list[str], known: list[str] | tuple[str, ...]) -> None:
    """400 naming the values of parameter `name` that are not among `known`, and listing
    those: the same answer on every surface, each in its own error format."""
    unknown = [value for value in dict.fromkeys(given) if value not in known]
    if unknown:
        listed = ", ".join(sorted(known)) or "none"
        raise BadRequest(f"unknown {name} {', '.join(repr(v) for v in unknown)}; "
                         f"known values: {listed}")


def require_known_values(session: DbSession, jurisdiction: AnyJurisdiction,
                         filters: RequestFilters,
                         statuses: tuple[str, ...] = STATUS_VALUES) -> None:
    """Check every coded filter value against the jurisdiction's catalog (see require_known)."""
    checks = (
        ("service_code", filters.service_codes, Service.service_code),
        ("department", filters.departments, Department.code),
        ("district", filters.districts, District.code),
    )
    for name, given, column in checks:
        if given:
            known = session.scalars(select(column).where(
                jurisdiction_column(column) == jurisdiction.id)).all()
            require_known(name, given, list(known))
    if filters.statuses:
        require_known("status", filters.statuses, statuses)
