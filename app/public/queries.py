"""Queries of the public API: one filter builder shared by the list, exports, feed and stats.

Nothing here selects from `reporters`; every text and location column goes through
app.redaction (Python helpers for rows rendered here, SQL twins for rows built in PostgreSQL).
"""

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    JSON,
    Select,
    Text,
    and_,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
)

from app import workflow
from app.csv_safety import csv_safe_sql
from app.db import DbSession
from app.exceptions import BadRequest
from app.models import (
    Department,
    District,
    Jurisdiction,
    RequestUpdate,
    Service,
    ServiceRequest,
    Survey,
)
from app.redaction import (
    mask_text_sql,
    public_address_sql,
    public_geometry_sql,
    public_zipcode_sql,
)
from geo.filters import inside_bbox, within_radius

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
# Sort keys a client may ask for; "-" means newest first. Each is keyset-paged with the id.
SORT_COLUMNS = {
    "requested_datetime": ServiceRequest.requested_at,
    "updated_datetime": ServiceRequest.updated_at,
}
DEFAULT_SORT = "-requested_datetime"
STATUS_VALUES = ("open", "closed", *workflow.ALL_STATES)
GROUPS = ("service", "department", "district", "month", "status")


@dataclass
class PublicFilters:
    """The filters every public read accepts, after parsing (datetimes aware)."""

    service_codes: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)
    bbox: tuple[float, float, float, float] | None = None
    near: tuple[float, float, float] | None = None  # lat, long, radius in metres
    requested_after: datetime | None = None
    requested_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    closed_after: datetime | None = None
    closed_before: datetime | None = None
    q: str | None = None

    def canonical(self) -> str:
        """A stable text of the filters, for ETags and feed ids."""
        return json.dumps(self.__dict__, default=str, sort_keys=True)


def base_query(jurisdiction: Jurisdiction, *columns: Any) -> Select:
    """`columns` over one jurisdiction's requests joined to service, department, district."""
    return (
        select(*columns)
        .select_from(ServiceRequest)
        .join(Service, Service.id == ServiceRequest.service_id)
        .outerjoin(Department, Department.id == ServiceRequest.department_id)
        .outerjoin(District, District.id == ServiceRequest.district_id)
        .where(ServiceRequest.jurisdiction_id == jurisdiction.id)
    )


def _range(query: Select, column: Any, after: datetime | None,
           before: datetime | None) -> Select:
    # Half-open ranges [after, before): consecutive windows never count a request twice.
    if after is not None and before is not None and before <= after:
        raise BadRequest(f"the {column.key} range is empty: its end is not after its start")
    if after is not None:
        query = query.where(column >= after)
    if before is not None:
        query = query.where(column < before)
    return query


def filtered(query: Select, filters: PublicFilters) -> Select:
    """Apply the public filters to a base_query."""
    if filters.service_codes:
        query = query.where(Service.service_code.in_(filters.service_codes))
    if filters.statuses:
        open_closed = [s for s in filters.statuses if s in ("open", "closed")]
        detailed = [s for s in filters.statuses if s not in ("open", "closed")]
        query = query.where(or_(ServiceRequest.status.in_(open_closed),
                                ServiceRequest.detailed_status.in_(detailed)))
    if filters.departments:
        query = query.where(Department.code.in_(filters.departments))
    if filters.districts:
        query = query.where(District.code.in_(filters.districts))
    if filters.bbox:
        query = query.where(inside_bbox(ServiceRequest.location, *filters.bbox))
    if filters.near:
        lat, long, radius = filters.near
        query = query.where(within_radius(ServiceRequest.location, lat, long, radius))
    # A hidden location must not be findable by position either: bbox and radius would
    # otherwise reveal it by bisection.
    if filters.bbox or filters.near:
        query = query.where(Service.public_location != "hidden")
    query = _range(query, ServiceRequest.requested_at, filters.requested_after,
                   filters.requested_before)
    query = _range(query, ServiceRequest.updated_at, filters.updated_after,
                   filters.updated_before)
    query = _range(query, ServiceRequest.closed_at, filters.closed_after, filters.closed_before)
    if filters.q:
        query = query.where(ServiceRequest.search_vector.op("@@")(
            func.websearch_to_tsquery(literal_column("'english'::regconfig"), filters.q)
        ))
    return query


# --- the list and one request -------------------------------------------------------------

def row_columns() -> list[Any]:
    """What render.public_request needs: raw columns, redacted when rendered."""
    point = cast(ServiceRequest.location, Geometry)
    return [
        ServiceRequest.id,
        Service.service_code,
        Service.service_name,
        Service.public_location,
        Department.code.label("department_code"),
        Department.name.label("department_name"),
        District.code.label("district_code"),
        ServiceRequest.status,
        ServiceRequest.detailed_status,
        ServiceRequest.state_code,
        ServiceRequest.status_notes,
        ServiceRequest.description,
        ServiceRequest.address,
        ServiceRequest.address_id,
        ServiceRequest.zipcode,
        func.ST_Y(point).label("lat"),
        func.ST_X(point).label("long"),
        ServiceRequest.requested_at,
        ServiceRequest.updated_at,
        ServiceRequest.closed_at,
        ServiceRequest.deadline,
        ServiceRequest.vote_count,
        ServiceRequest.media_urls,
        ServiceRequest.duplicate_of_id,
    ]


@dataclass(frozen=True)
class Cursor:
    """Where the previous page ended: its sort, and the last row's sort key and id."""

    sort: str
    key: datetime
    id: int

    def encode(self) -> str:
        """Opaque to clients: base64 of a small JSON list."""
        raw = json.dumps([self.sort, self.key.isoformat(), self.id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str, sort: str) -> "Cursor":
        """Parse a cursor given back by a client; 400 when it is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            cursor_sort, key, row_id = json.loads(raw)
            cursor = cls(str(cursor_sort), datetime.fromisoformat(key), int(row_id))
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
            raise BadRequest("cursor is not valid: use the `next` link as given") from None
        if cursor.sort != sort or cursor.key.tzinfo is None:
            raise BadRequest("cursor belongs to another sort order: use the `next` link as given")
        return cursor


def sorted_page(query: Select, sort: str, cursor: Cursor | None, limit: int) -> Select:
    """Keyset pagination on (sort key, id): stable under inserts, no OFFSET scans."""
    column = SORT_COLUMNS[sort.lstrip("-")]
    descending = sort.startswith("-")
    if cursor is not None:
        position = tuple_(column, ServiceRequest.id)
        after = tuple_(literal(cursor.key), literal(cursor.id))
        query = query.where(position < after if descending else position > after)
    if descending:
        return query.order_by(column.desc(), ServiceRequest.id.desc()).limit(limit)
    return query.order_by(column.asc(), ServiceRequest.id.asc()).limit(limit)


def list_page(session: DbSession, jurisdiction: Jurisdiction, filters: PublicFilters, *,
              sort: str, cursor: Cursor | None, limit: int) -> tuple[list[Any], Cursor | None]:
    """One page of rows and the cursor of the next page (None on the last one)."""
    query = filtered(base_query(jurisdiction, *row_columns()), filters)
    rows = list(session.execute(sorted_page(query, sort, cursor, limit + 1)))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    key = last.requested_at if sort.lstrip("-") == "requested_datetime" else last.updated_at
    return rows[:limit], Cursor(sort, key, last.id)


def one_row(session: DbSession, jurisdiction: Jurisdiction, service_request_id: int) -> Any:
    """One request's row, or None."""
    return session.execute(
        base_query(jurisdiction, *row_columns()).where(ServiceRequest.id == service_request_id)
    ).first()


def public_timeline(session: DbSession, service_request_id: int) -> list[RequestUpdate]:
    """The public history rows of a request, oldest first (internal notes never leave)."""
    return list(session.scalars(
        select(RequestUpdate)
        .where(RequestUpdate.service_request_id == service_request_id,
               RequestUpdate.public.is_(True))
        .order_by(RequestUpdate.created_at, RequestUpdate.id)
    ))


def freshness(session: DbSession, jurisdiction: Jurisdiction,
              filters: PublicFilters) -> tuple[datetime | None, int]:
    """(newest updated_at, count) of the filtered requests: what an export's ETag rests on."""
    newest, count = session.execute(
        filtered(base_query(jurisdiction, func.max(ServiceRequest.updated_at), func.count()),
                 filters)
    ).one()
    # In UTC whatever the session's TimeZone (an export sets it to the city's): the ETag is
    # built from this text and must not change with it.
    return (newest.astimezone(UTC) if newest is not None else None), count


# --- exports and feed: rows built in PostgreSQL ---------------------------------------------

def _w3c_sql(column: Any) -> Any:
    # The session's TimeZone is the jurisdiction's (exports.set_local_timezone), so TZH:TZM
    # is its offset, as the rest of the API renders times.
    return func.to_char(column, literal('YYYY-MM-DD"T"HH24:MI:SSTZH:TZM'))


def export_properties() -> list[tuple[str, Any]]:
    """The export columns, in order, as (name, redacted SQL expression)."""
    policy = Service.public_location
    geometry = public_geometry_sql(ServiceRequest.location, policy)
    return [
        ("service_request_id", ServiceRequest.id),
        ("service_code", Service.service_code),
        ("service_name", Service.service_name),
        ("department", Department.code),
        ("district", District.code),
        ("status", ServiceRequest.status),
        ("detailed_status", ServiceRequest.detailed_status),
        ("state_code", ServiceRequest.state_code),
        ("description", mask_text_sql(ServiceRequest.description)),
        ("status_notes", mask_text_sql(ServiceRequest.status_notes)),
        ("address", public_address_sql(ServiceRequest.address, policy)),
        ("zipcode", public_zipcode_sql(ServiceRequest.zipcode, policy)),
        ("lat", func.ST_Y(geometry)),
        ("long", func.ST_X(geometry)),
        ("requested_datetime", _w3c_sql(ServiceRequest.requested_at)),
        ("updated_datetime", _w3c_sql(ServiceRequest.updated_at)),
        ("closed_datetime", _w3c_sql(ServiceRequest.closed_at)),
        ("expected_datetime", _w3c_sql(ServiceRequest.deadline)),
        ("vote_count", ServiceRequest.vote_count),
        ("duplicate_of", ServiceRequest.duplicate_of_id),
    ]


EXPORT_COLUMNS = [name for name, _ in export_properties()]


def _json_object(pairs: list[tuple[str, Any]]) -> Any:
    arguments: list[Any] = []
    for name, expression in pairs:
        arguments.extend((literal(name), expression))
    return func.json_build_object(*arguments)


def export_query(jurisdiction: Jurisdiction, filters: PublicFilters, export_format: str,
                 ) -> Select:
    """The export statement: one text column per line (JSON formats) or the CSV columns.

    JSON and GeoJSON are built by PostgreSQL (json_build_object, ST_AsGeoJSON): Python then
    only joins ready lines, which is what keeps an export near COPY's speed."""
    properties = export_properties()
    if export_format == "csv":
        columns = [csv_safe_sql(expression).label(name) for name, expression in properties]
    elif export_format == "ndjson":
        columns = [cast(_json_object(properties), Text).label("line")]
    else:
        geometry = public_geometry_sql(ServiceRequest.location, Service.public_location)
        feature = func.json_build_object(
            literal("type"), literal("Feature"),
            literal("id"), ServiceRequest.id,
            literal("geometry"), cast(func.ST_AsGeoJSON(geometry, 6), JSON),
            literal("properties"),
            _json_object([p for p in properties if p[0] not in ("lat", "long")]),
        )
        columns = [cast(feature, Text).label("line")]
    query = filtered(base_query(jurisdiction, *columns), filters)
    return query.order_by(ServiceRequest.requested_at.desc(), ServiceRequest.id.desc())


def feed_rows(session: DbSession, jurisdiction: Jurisdiction, filters: PublicFilters,
              limit: int) -> list[Any]:
    """The most recently changed requests, for the Atom feed."""
    query = filtered(base_query(jurisdiction, *row_columns()), filters)
    return list(session.execute(
        query.order_by(ServiceRequest.updated_at.desc(), ServiceRequest.id.desc()).limit(limit)
    ))


# --- statistics ------------------------------------------------------------------------------

def _group_columns(group: str, jurisdiction: Jurisdiction) -> list[Any]:
    if group == "service":
        return [Service.service_code.label("service_code"),
                Service.service_name.label("service_name")]
    if group == "department":
        return [Department.code.label("department"),
                Department.name.label("department_name")]
    if group == "district":
        return [District.code.label("district")]
    if group == "month":
        local = func.timezone(jurisdiction.timezone, ServiceRequest.requested_at)
        return [func.to_char(func.date_trunc("month", local), "YYYY-MM").label("month")]
    return [ServiceRequest.detailed_status.label("status")]


def statistics(session: DbSession, jurisdiction: Jurisdiction, filters: PublicFilters,
               groups: list[str]) -> list[Any]:
    """Per group: counts, median days to close, on-time share and satisfaction (see
    STATS_METHOD for what each figure counts)."""
    resolved = ServiceRequest.detailed_status == workflow.RESOLVED
    days_to_close = func.extract(
        "epoch", ServiceRequest.closed_at - ServiceRequest.requested_at) / 86400.0
    judged = and_(ServiceRequest.deadline.is_not(None), or_(
        and_(resolved, ServiceRequest.closed_at.is_not(None)),
        and_(ServiceRequest.status == "open", ServiceRequest.deadline < func.now()),
    ))
    on_time = and_(judged, resolved, ServiceRequest.closed_at <= ServiceRequest.deadline)
    group_columns = [c for g in groups for c in _group_columns(g, jurisdiction)]
    query = base_query(
        jurisdiction,
        *group_columns,
        func.count().label("count"),
        func.count().filter(ServiceRequest.status == "open").label("open"),
        func.count().filter(resolved).label("resolved"),
        func.percentile_cont(0.5).within_group(days_to_close).filter(resolved)
        .label("median_days_to_close"),
        func.count().filter(judged).label("sample_size"),
        func.count().filter(on_time).label("on_time"),
        func.avg(Survey.rating).label("satisfaction"),
        func.count(Survey.rating).label("satisfaction_responses"),
    ).outerjoin(Survey, Survey.service_request_id == ServiceRequest.id)
    # Duplicates count once, under the request they were merged into.
    query = filtered(query.where(ServiceRequest.duplicate_of_id.is_(None)), filters)
    return list(session.execute(
        query.group_by(*group_columns).order_by(*group_columns)
    ))
