"""The one request query of public reads: filters (app.reads.filters) over the public
projection (app.reads.projection), the orderings and the pagination styles (keyset cursor for
the public API, page/offset for Open311 and OGC, nearest first for a circle), and the documents
built in PostgreSQL from the stored public columns (exports, stats). No ORM objects."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Float,
    Numeric,
    Select,
    Text,
    any_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import aliased

from app import workflow
from app.csv_safety import csv_safe_sql
from app.db import DbSession
from app.exceptions import BadRequest
from app.lookups import AnyJurisdiction
from app.models import Department, RequestUpdate, Service, ServiceRequest, Survey
from app.reads.filters import Circle, RequestFilters, TimeRange, conditions

# judged_sql and on_time_sql, the one on-time rule, are a public field's SQL (projection) and
# are imported from here by stats and the staff report.
from app.reads.projection import (
    CITY_ZONE,
    EXPORTS,
    PUBLIC_FIELDS,
    PublicDistrict,
    city_zone,
    judged_sql,
    on_time_sql,
    public_sql,
    requests_from,
)
from app.reads.statements import BuiltOnce, read_value
from geo.features import sql_string
from geo.filters import geometry_distance_m

SORT_COLUMNS = {
    "requested_datetime": ServiceRequest.requested_at,
    "updated_datetime": ServiceRequest.updated_at,
}
DEFAULT_SORT = "-requested_datetime"
GROUPS = ("service", "department", "district", "month", "status")


def matching(jurisdiction: AnyJurisdiction | None, filters: RequestFilters,
             *columns: Any) -> Select:
    """`columns` over the requests of `jurisdiction` (of every one: None) that pass
    `filters`."""
    return requests_from(*columns).where(*conditions(jurisdiction, filters))


# --- orderings and pagination ------------------------------------------------------------------

def newest_first(query: Select) -> Select:
    """Deterministic order so that paging is stable: newest first, then id."""
    return query.order_by(ServiceRequest.requested_at.desc(), ServiceRequest.id.desc())


def nearest_first(query: Select, lat: float, long: float) -> Select:
    """By distance from the published point to (lat, long), then newest id."""
    return query.order_by(geometry_distance_m(ServiceRequest.public_point, lat, long),
                          ServiceRequest.id.desc())


def offset_page(query: Select, page: int, page_size: int) -> Select:
    """Page `page` (from 1) of `page_size` rows of an ordered query."""
    return query.limit(page_size).offset(page_offset(page, page_size))


def page_offset(page: int, page_size: int) -> int:
    """How many rows precede page `page` (from 1)."""
    return (max(page, 1) - 1) * page_size


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


def keyset_page(query: Select, sort: str, cursor: Cursor | None, limit: int) -> Select:
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


# --- the public API's rows ---------------------------------------------------------------------

PUBLIC_API_FIELDS = (
    "service_request_id", "service_code", "service_name", "department", "agency_responsible",
    "district", "status", "detailed_status", "state_code", "status_notes", "description",
    "address", "zipcode", "lat", "long", "requested_datetime", "updated_datetime",
    "closed_datetime", "expected_datetime", "vote_count", "media_urls", "duplicate_of",
    "on_time",
)


def public_api_columns() -> list[Any]:
    """The public API's fields, labelled, dates as text in the city's zone; plus the raw sort
    keys for cursors."""
    return [public_sql(name).label(name) for name in PUBLIC_API_FIELDS] + [
        ServiceRequest.id.label("id"),
        ServiceRequest.requested_at.label("requested_at"),
        ServiceRequest.updated_at.label("updated_at"),
    ]


def list_page(session: DbSession, jurisdiction: AnyJurisdiction, filters: RequestFilters, *,
              sort: str, cursor: Cursor | None, limit: int) -> tuple[list[Any], Cursor | None]:
    """One page of rows and the cursor of the next page (None on the last one)."""
    query = matching(jurisdiction, filters, *public_api_columns())
    rows = list(session.execute(keyset_page(query, sort, cursor, limit + 1),
                                city_zone(jurisdiction.timezone)))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    key = last.requested_at if sort.lstrip("-") == "requested_datetime" else last.updated_at
    return rows[:limit], Cursor(sort, key, last.id)


def one_row(session: DbSession, jurisdiction: AnyJurisdiction, service_request_id: int) -> Any:
    """One request's public row, or None."""
    return session.execute(matching(jurisdiction, RequestFilters(
        service_request_ids=[service_request_id]), *public_api_columns()),
        city_zone(jurisdiction.timezone)).first()


def recently_changed(session: DbSession, jurisdiction: AnyJurisdiction, filters: RequestFilters,
                     limit: int) -> list[Any]:
    """The most recently changed requests, for the Atom feed."""
    query = matching(jurisdiction, filters, *public_api_columns())
    return list(session.execute(
        query.order_by(ServiceRequest.updated_at.desc(), ServiceRequest.id.desc()).limit(limit),
        city_zone(jurisdiction.timezone)))


def public_timeline(session: DbSession, service_request_ids: list[int]) -> list[Any]:
    """The public history rows of requests (masked texts; internal notes never leave), oldest
    first."""
    if not service_request_ids:
        return []
    return list(session.execute(
        select(RequestUpdate.service_request_id, RequestUpdate.created_at, RequestUpdate.kind,
               RequestUpdate.from_status, RequestUpdate.to_status, RequestUpdate.state_code,
               RequestUpdate.public_description.label("description"))
        # One array parameter: an IN list of a 1000-request page was 1000 parameters that
        # psycopg parsed and adapted on every call.
        .where(RequestUpdate.service_request_id == any_(
            cast(service_request_ids, ARRAY(BigInteger))), RequestUpdate.public.is_(True))
        .order_by(RequestUpdate.created_at, RequestUpdate.id)
    ))


def freshness(session: DbSession, jurisdiction: AnyJurisdiction,
              filters: RequestFilters) -> tuple[datetime | None, int]:
    """(newest updated_at, count) of the filtered requests: what an export's ETag rests on."""
    newest, count = session.execute(
        matching(jurisdiction, filters, func.max(ServiceRequest.updated_at), func.count())
    ).one()
    return (newest.astimezone(UTC) if newest is not None else None), count


# --- exports -------------------------------------------------------------------------------

# Every field the projection declares for the exports, in its order (the data dictionary's);
# the geometry is the GeoJSON feature's own, lat and long the other formats'.
EXPORT_COLUMNS = [f.name for f in PUBLIC_FIELDS if EXPORTS in f.outputs and f.name != "geometry"]


def export_properties() -> list[tuple[str, Any]]:
    """The export columns, in order, as (name, SQL over the public projection)."""
    return [(name, public_sql(name)) for name in EXPORT_COLUMNS]


def json_object(pairs: list[tuple[str, Any]]) -> Any:
    """SQL: a JSON object of (key, SQL value) pairs in their order; the keys are written into
    the statement (sql_string), not sent as parameters."""
    arguments: list[Any] = []
    for name, expression in pairs:
        arguments.extend((sql_string(name), expression))
    return func.json_build_object(*arguments)


def export_query(jurisdiction: AnyJurisdiction, filters: RequestFilters, export_format: str,
                 ) -> Select:
    """The export statement: one text column per line (JSON formats) or the CSV columns,
    built by PostgreSQL from the stored public columns; run it with city_zone()."""
    properties = export_properties()
    if export_format == "csv":
        columns = [csv_safe_sql(expression).label(name) for name, expression in properties]
    elif export_format == "ndjson":
        columns = [cast(json_object(properties), Text).label("line")]
    else:
        feature = func.json_build_object(
            literal("type"), literal("Feature"),
            literal("id"), public_sql("service_request_id"),
            literal("geometry"), cast(func.ST_AsGeoJSON(ServiceRequest.public_point, 6), JSON),
            literal("properties"),
            json_object([p for p in properties if p[0] not in ("lat", "long")]),
        )
        columns = [cast(feature, Text).label("line")]
    return newest_first(matching(jurisdiction, filters, *columns))


# --- on time and statistics -----------------------------------------------------------------

def _group_columns(group: str) -> list[Any]:
    if group == "service":
        return [Service.service_code.label("service_code"),
                Service.service_name.label("service_name")]
    if group == "department":
        return [Department.code.label("department"),
                Department.name.label("department_name")]
    if group == "district":
        # The published district: hidden requests count under none.
        return [PublicDistrict.code.label("district")]
    if group == "month":
        return [func.to_char(func.timezone(CITY_ZONE, ServiceRequest.requested_at),
                             "YYYY-MM").label("month")]
    return [ServiceRequest.detailed_status.label("status")]


def statistics(session: DbSession, jurisdiction: AnyJurisdiction, filters: RequestFilters,
               groups: list[str]) -> list[Any]:
    """Per group: counts, median days to close, on-time share (projection.on_time_sql) and
    satisfaction (1 to 3); see the stats method text for what each figure counts."""
    resolved = ServiceRequest.detailed_status == workflow.RESOLVED
    days_to_close = func.extract(
        "epoch", ServiceRequest.closed_at - ServiceRequest.requested_at) / 86400.0
    group_columns = [c for g in groups for c in _group_columns(g)]
    query = matching(
        jurisdiction, filters,
        *group_columns,
        func.count().label("count"),
        func.count().filter(ServiceRequest.status == "open").label("open"),
        func.count().filter(resolved).label("resolved"),
        func.percentile_cont(0.5).within_group(days_to_close).filter(resolved)
        .label("median_days_to_close"),
        func.count().filter(judged_sql()).label("sample_size"),
        func.count().filter(on_time_sql().is_(True)).label("on_time"),
        func.avg(Survey.rating).label("satisfaction"),
        func.count(Survey.rating).label("satisfaction_responses"),
    ).outerjoin(Survey, Survey.service_request_id == ServiceRequest.id)
    # Duplicates count once, under the request they were merged into.
    query = query.where(ServiceRequest.duplicate_of_id.is_(None))
    return list(session.execute(query.group_by(*group_columns).order_by(*group_columns),
                                city_zone(jurisdiction.timezone)))



# --- the nearby check ----------------------------------------------------------------------

NEARBY_LIMIT = 50
# The service the pin is for, read in the same statement as its open requests: its duplicate
# radius and window select them, and no row at all means an unknown or inactive service.
_RULE = aliased(Service, name="rule")
_PIN_LAT = bindparam("lat", type_=Float)
_PIN_LONG = bindparam("long", type_=Float)


def _nearby_statement() -> Select:
    distance = geometry_distance_m(ServiceRequest.public_point, _PIN_LAT, _PIN_LONG)
    # No window (none, or 0 days) leaves the age unbounded.
    window = func.nullif(_RULE.duplicate_window_days, 0) * literal_column("interval '1 day'")
    filed_after = func.coalesce(func.now() - window, literal_column("'-infinity'::timestamptz"))
    # Open only: `status = 'open'` below, written out.
    filters = RequestFilters(ranges=[TimeRange("requested_at", filed_after)],
                             circle=Circle(_PIN_LAT, _PIN_LONG, _RULE.duplicate_radius_m))
    item = json_object([
        ("service_request_id", public_sql("service_request_id")),
        ("service_code", public_sql("service_code")),
        ("status", public_sql("status")),
        ("requested_datetime", public_sql("requested_datetime")),
        ("description", public_sql("description")),
        ("votes", ServiceRequest.vote_count),
        ("duplicate_of", public_sql("duplicate_of")),
        ("distance_m", func.round(cast(distance, Numeric), 1)),
        ("lat", public_sql("lat")),
        ("long", public_sql("long")),
    ])
    page = (
        matching(None, filters, item.label("item"), distance.label("distance"),
                 ServiceRequest.id.label("id"))
        .where(ServiceRequest.service_id == _RULE.id, ServiceRequest.public_listed.is_(True),
               _RULE.duplicate_radius_m > 0,
               # Written out, not a parameter: a prepared (generic) plan can then use the
               # index of open requests' published points (migration 1900).
               ServiceRequest.status == literal_column("'open'"))
        .order_by(distance, ServiceRequest.id)
        .limit(NEARBY_LIMIT)
        .correlate(_RULE)
        .subquery("page")
    )
    items = select(cast(func.coalesce(
        func.json_agg(aggregate_order_by(page.c.item, page.c.distance, page.c.id)),
        literal_column("'[]'::json")), Text)).scalar_subquery()
    return select(items).where(_RULE.jurisdiction_id == bindparam("jurisdiction_id"),
                               _RULE.service_code == bindparam("service_code"),
                               _RULE.active.is_(True))


# Built once: see app/reads/statements.py.
NEARBY_STATEMENT = BuiltOnce(_nearby_statement())


def nearby_open(session: DbSession, jurisdiction: AnyJurisdiction, service_code: str, *,
                lat: float, long: float) -> str | None:
    """Open requests of the service `service_code` published within its duplicate radius of
    the pin and filed within its window, nearest first, as the public may see them: a JSON
    array, empty for a service without a radius; None when the jurisdiction has no active
    service of that code. Selection, distance and coordinates all use the published point: a
    hidden request is never listed, a block one is found, placed and measured at its grid
    cell, so no answer depends on a true point. (Linking a new report to its parent at filing
    uses true points, server-side: operations/duplicates.py.)"""
    return read_value(session, NEARBY_STATEMENT, {
        "jurisdiction_id": jurisdiction.id, "service_code": service_code, "lat": lat,
        "long": long, **city_zone(jurisdiction.timezone)})
