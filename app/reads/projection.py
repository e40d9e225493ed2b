"""The public projection: the one declared list of what the public may read of a request.

Each field has its name, JSON type, meaning, nullability, the outputs that carry it and its SQL
expression over the stored public form (never over a raw text or the true location). Surfaces
pick fields by name, in their own order (Open311's is the spec's); a data dictionary can be
generated from PUBLIC_FIELDS.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Text, and_, bindparam, case, cast, func, literal_column, or_, select
from sqlalchemy.orm import aliased

from app import workflow
from app.models import Department, District, Service, ServiceRequest
from geo.features import sql_string

OPEN311, PUBLIC_API, EXPORTS, OGC, FEED = "open311", "public_api", "exports", "ogc", "feed"

# The district as published (none for a hidden request), joined by public_district_id.
PublicDistrict = aliased(District, name="public_district")


@dataclass(frozen=True)
class PublicField:
    """One field of the public projection."""

    name: str
    type: str
    meaning: str
    nullable: bool
    outputs: tuple[str, ...]
    sql: Any
    # A datetime's rendering: "city" (the city's offset at that moment) or "UTC" (`Z`).
    zone: str = "city"


# The city's IANA zone, a parameter given when the statement runs (city_zone()): a date is
# rendered in it without setting the session's TimeZone first, a round trip a request.
CITY_ZONE = bindparam("city_zone", type_=Text)


def city_zone(timezone: str) -> dict[str, str]:
    """The execution parameters of a statement whose dates are in the city's zone."""
    return {"city_zone": timezone}


def local_datetime_parts(timestamp: Any, zone: Any = CITY_ZONE) -> tuple[Any, Any]:
    """SQL: (wall-clock time, UTC offset) of a timestamp in `zone`, what local_datetime_text
    renders. PostgreSQL does not share a subexpression written twice, so a document built over
    a page selects these once a row and renders them above (app.open311.render)."""
    local = func.timezone(zone, timestamp)
    return local, local - func.timezone(sql_string("UTC"), timestamp)


def local_datetime_text(local: Any, offset: Any) -> Any:
    """SQL: ISO 8601 to the second with its offset (the text app.datetimes.w3c gives in
    Python) from local_datetime_parts; NULL for a NULL timestamp."""
    negative = offset < literal_column("interval '0'")
    return func.to_char(local, sql_string('YYYY-MM-DD"T"HH24:MI:SS')) + case(
        (negative, sql_string("-") + func.to_char(-offset, sql_string("HH24:MI"))),
        else_=sql_string("+") + func.to_char(offset, sql_string("HH24:MI")))


def local_datetime_sql(timestamp: Any, zone: Any = CITY_ZONE) -> Any:
    """SQL: a timestamp in `zone` (the city's unless another zone expression is given: the OGC
    collections, which span jurisdictions, give each row's own), ISO 8601 to the second with
    its offset; the one date rendering of SQL-built documents."""
    return local_datetime_text(*local_datetime_parts(timestamp, zone))


def utc_datetime_sql(timestamp: Any) -> Any:
    """SQL: a timestamp in UTC, ISO 8601 to the second with `Z`, whatever the session's zone:
    the column a reader parses without mixed offsets."""
    return func.to_char(func.timezone(sql_string("UTC"), timestamp),
                        sql_string('YYYY-MM-DD"T"HH24:MI:SS"Z"'), type_=Text)


def judged_sql() -> Any:
    """SQL of the one "judged" rule (docs/data-dictionary.md, `on_time`): resolved with a
    deadline, or still open past it."""
    return and_(ServiceRequest.deadline.is_not(None), or_(
        and_(ServiceRequest.detailed_status == workflow.RESOLVED,
             ServiceRequest.closed_at.is_not(None)),
        and_(ServiceRequest.status == "open", ServiceRequest.deadline < func.now()),
    ))


def on_time_sql() -> Any:
    """SQL of the one "on time" rule: true when resolved at or before its deadline, false when
    judged and not, NULL when not judged. Stats, the staff report, the exports, the public
    documents and the web page all read it."""
    on_time = and_(ServiceRequest.detailed_status == workflow.RESOLVED,
                   ServiceRequest.closed_at <= ServiceRequest.deadline)
    return case((judged_sql(), on_time), else_=None)


_POINT = ServiceRequest.public_point
ALL = (OPEN311, PUBLIC_API, EXPORTS, OGC, FEED)

PUBLIC_FIELDS: tuple[PublicField, ...] = (
    PublicField("service_request_id", "string", "The request's id", False, ALL,
                cast(ServiceRequest.id, Text)),
    PublicField("jurisdiction_id", "string", "The city (Open311 jurisdiction_id)", False,
                (OGC,), ServiceRequest.jurisdiction_id),
    PublicField("service_code", "string", "Service type code", False, ALL,
                Service.service_code),
    PublicField("service_name", "string", "Service type name", False, ALL,
                Service.service_name),
    PublicField("department", "string", "Code of the department in charge", True,
                (PUBLIC_API, EXPORTS), Department.code),
    PublicField("agency_responsible", "string", "Name of the department in charge", True,
                (OPEN311, PUBLIC_API, OGC), Department.name),
    PublicField("department_name", "string", "Name of the department in charge (as "
                "`agency_responsible`)", True, (EXPORTS,), Department.name),
    PublicField("district", "string", "Council district code; none when the location is "
                "hidden", True, (PUBLIC_API, EXPORTS, OGC, OPEN311), PublicDistrict.code),
    PublicField("status", "string", "open or closed", False, ALL, ServiceRequest.status),
    PublicField("detailed_status", "string", "The workflow state", False,
                (PUBLIC_API, EXPORTS, OPEN311, FEED), ServiceRequest.detailed_status),
    PublicField("state_code", "string", "How it was closed", True, (PUBLIC_API, EXPORTS),
                ServiceRequest.state_code),
    PublicField("status_notes", "string", "The city's last public word, emails and phone "
                "numbers masked", True, ALL, ServiceRequest.public_status_notes),
    PublicField("description", "string", "What was reported, emails and phone numbers "
                "masked", True, ALL, ServiceRequest.public_description),
    PublicField("service_notice", "string", "What the resident was told when filing", True,
                (OPEN311,), ServiceRequest.service_notice),
    PublicField("address", "string", "Address; a hundred block under `block`, none under "
                "`hidden`", True, (OPEN311, PUBLIC_API, EXPORTS), ServiceRequest.public_address),
    PublicField("address_id", "string", "The city's address id, only for exact locations",
                True, (OPEN311,), ServiceRequest.public_address_id),
    PublicField("zipcode", "string", "Zipcode; none under `hidden`", True,
                (OPEN311, PUBLIC_API, EXPORTS), ServiceRequest.public_zipcode),
    PublicField("lat", "number", "Published latitude: exact, snapped to the block grid, or "
                "none", True, (OPEN311, PUBLIC_API, EXPORTS), func.ST_Y(_POINT)),
    PublicField("long", "number", "Published longitude (as lat)", True,
                (OPEN311, PUBLIC_API, EXPORTS), func.ST_X(_POINT)),
    PublicField("geometry", "geometry", "The published point (GeoJSON Point or null)", True,
                (EXPORTS, OGC), _POINT),
    PublicField("requested_datetime", "datetime", "When filed", False, ALL,
                ServiceRequest.requested_at),
    PublicField("updated_datetime", "datetime", "Last change", False, ALL,
                ServiceRequest.updated_at),
    PublicField("expected_datetime", "datetime", "Deadline (the service's SLA)", True, ALL,
                ServiceRequest.deadline),
    PublicField("closed_datetime", "datetime", "When closed", True,
                (PUBLIC_API, EXPORTS, OGC), ServiceRequest.closed_at),
    PublicField("vote_count", "integer", "Residents who said 'me too'", False,
                (PUBLIC_API, EXPORTS, OGC), ServiceRequest.vote_count),
    PublicField("media_url", "string", "The first photo's URL", True, (OPEN311,),
                ServiceRequest.media_urls[1]),
    PublicField("media_urls", "array", "Photo URLs", False, (PUBLIC_API,),
                ServiceRequest.media_urls),
    PublicField("duplicate_of", "string", "The request this one duplicates", True,
                (PUBLIC_API, EXPORTS, OPEN311), cast(ServiceRequest.duplicate_of_id, Text)),
    PublicField("sla_days", "integer", "The service's target in days (none: no target)", True,
                (EXPORTS,), Service.sla_days),
    PublicField("sla_calendar", "string", "How `sla_days` count: `calendar` days or "
                "`business` days (weekdays without the city's holidays)", False, (EXPORTS,),
                Service.sla_calendar),
    PublicField("on_time", "boolean", "Resolved at or before `expected_datetime`: true; "
                "false when resolved late or still open past it; none when not judged (no "
                "deadline, open and not yet due, or closed without being resolved)", True,
                (PUBLIC_API, EXPORTS), on_time_sql()),
    *(PublicField(f"{name}_utc", "datetime", f"`{name}` in UTC (`Z`)", nullable, (EXPORTS,),
                  sql, zone="UTC")
      for name, sql, nullable in (
          ("requested_datetime", ServiceRequest.requested_at, False),
          ("updated_datetime", ServiceRequest.updated_at, False),
          ("closed_datetime", ServiceRequest.closed_at, True),
          ("expected_datetime", ServiceRequest.deadline, True))),
)
FIELDS = {public_field.name: public_field for public_field in PUBLIC_FIELDS}
DATETIME_FIELDS = {f.name for f in PUBLIC_FIELDS if f.type == "datetime"}


def public_sql(name: str, *, dates_as_text: bool = True) -> Any:
    """The SQL of a field; datetimes rendered as text in the city's zone unless asked raw."""
    public_field = FIELDS[name]
    if dates_as_text and public_field.type == "datetime":
        if public_field.zone == "UTC":
            return utc_datetime_sql(public_field.sql)
        return local_datetime_sql(public_field.sql)
    return public_field.sql


def requests_from(*columns: Any) -> Select:
    """`columns` over requests with what the projection names (service, department, the
    published district); never `reporters`."""
    return (
        select(*columns)
        .select_from(ServiceRequest)
        .join(Service, Service.id == ServiceRequest.service_id)
        .outerjoin(Department, Department.id == ServiceRequest.department_id)
        .outerjoin(PublicDistrict, PublicDistrict.id == ServiceRequest.public_district_id)
    )
