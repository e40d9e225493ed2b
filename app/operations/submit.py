"""Filing a service request: validate against the service definition, compute the deadline,
store the reporter apart, record the first history row."""

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shapely import Point
from sqlalchemy import select

from app import sla
from app.datetimes import parse_w3c
from app.db import Base, DbSession
from app.exceptions import BadRequest, Forbidden, ServiceUnavailable
from app.lookups import AnyJurisdiction, resolve_city
from app.models import (
    Address,
    Reporter,
    RequestUpdate,
    ServiceAttribute,
    ServiceRequest,
)
from app.operations import duplicates
from app.operations.definitions import (
    AnyService,
    AttributeDefinition,
    ServiceDefinition,
    filing_catalog_lock,
    service_definition,
)
from app.operations.locations import best_address_match
from app.operations.notifications import submitted_confirmation
from app.operations.round_trips import insert_together, pipelined
from app.operations.shapes import shapes_of
from app.process_cache import clear_every_cache
from app.security import new_secret
from geo.points import InvalidPoint, lat_long_of, parse_lat_long, to_geography

MAX_DESCRIPTION = 4000
MAX_TEXT_ATTRIBUTE = 4000
MAX_STRING_ATTRIBUTE = 1000
REPORTER_FIELDS = ("first_name", "last_name", "email", "phone", "device_id", "account_id")
UNCONFIRMED_LOCATION_NOTICE = ("The location could not be confirmed from the address given; "
                               "the city will locate it.")


@dataclass
class SubmitForm:
    """What a client sent, as strings, before validation against the service."""

    service_code: str | None = None
    lat: str | None = None
    long: str | None = None
    address_string: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    description: str | None = None
    media_urls: list[str] = field(default_factory=list)
    # attribute code -> the values sent (one for most datatypes, several for multivaluelist)
    attributes: dict[str, list[str]] = field(default_factory=dict)
    reporter: dict[str, str] = field(default_factory=dict)
    channel: str = "api"


@dataclass
class Actor:
    """Who files: an app's api key, a staff member, or the system."""

    label: str
    api_key_id: int | None = None
    staff_role: str | None = None


def work_calendar(jurisdiction: AnyJurisdiction) -> sla.WorkCalendar:
    """The business-day calendar of a jurisdiction."""
    return sla.calendar_from(
        jurisdiction.timezone,
        jurisdiction.holiday_country,
        jurisdiction.holiday_subdivision,
        jurisdiction.holiday_extra or (),
    )


def compute_deadline(jurisdiction: AnyJurisdiction, service: AnyService,
                     start: datetime) -> datetime | None:
    """Open311 expected_datetime: the service's SLA counted from `start`."""
    if not service.sla_days:
        return None
    return sla.add_days(start, service.sla_days, service.sla_calendar,
                        work_calendar(jurisdiction))


def sla_notice(service: AnyService) -> str | None:
    """GeoReport v2 service_notice: why a deadline is far off."""
    if service.sla_days and service.sla_days > sla.LONG_SLA_DAYS:
        return service.sla_explanation
    return None


class _Invalid(ValueError):
    """One attribute answer that does not fit its datatype."""


def _list_value(attribute: ServiceAttribute | AttributeDefinition, values: list[str]) -> Any:
    keys = {v["key"] for v in attribute.values}
    unknown = [v for v in values if v not in keys]
    if unknown:
        raise _Invalid(f"{', '.join(map(repr, unknown))} not among {', '.join(sorted(keys))}")
    if attribute.datatype == "multivaluelist":
        return list(dict.fromkeys(values))
    return values[0]


def _number(value: str) -> int | float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise _Invalid("must be a number")
    return int(number) if number.is_integer() else number


def _datetime(value: str) -> str:
    try:
        return parse_w3c(value).isoformat()
    except ValueError:
        raise _Invalid("must be a W3C datetime, e.g. 2026-01-31T14:00:00Z") from None


def _text(limit: int):
    def check(value: str) -> str:
        if len(value) > limit:
            raise _Invalid(f"is longer than {limit} characters")
        return value
    return check


# Single-value datatypes: how to read the one answer.
_SCALAR_READERS = {
    "number": _number,
    "datetime": _datetime,
    "string": _text(MAX_STRING_ATTRIBUTE),
    "text": _text(MAX_TEXT_ATTRIBUTE),
}


def validate_attributes(service: AnyService, sent: dict[str, list[str]]) -> tuple[dict, list[str]]:
    """Answers checked against the service definition; returns (answers, problems).
    Codes the service does not define are ignored (checklist 18)."""
    answers: dict[str, Any] = {}
    problems: list[str] = []
    for attribute in service.attributes:
        label = f"attribute[{attribute.code}]"
        values = [v for v in sent.get(attribute.code, []) if v != ""]
        if not values:
            if attribute.required and attribute.variable:
                problems.append(f"{label} is required: {attribute.description}")
            continue
        if attribute.datatype != "multivaluelist" and len(values) > 1:
            problems.append(f"{label} takes one value")
            continue
        try:
            if attribute.datatype in ("singlevaluelist", "multivaluelist"):
                answers[attribute.code] = _list_value(attribute, values)
            else:
                answers[attribute.code] = _SCALAR_READERS[attribute.datatype](values[0])
        except _Invalid as invalid:
            problems.append(f"{label}: {invalid}")
    return answers, problems


def _point_in_boundary(session: DbSession, jurisdiction: AnyJurisdiction, lat: str,
                       long: str) -> Any:
    """The point of lat/long, checked against the boundary; raises _Invalid."""
    try:
        point = parse_lat_long(lat, long)
    except InvalidPoint as error:
        raise _Invalid(str(error)) from None
    if not shapes_of(session, jurisdiction).in_boundary(point):
        raise _Invalid(
            f"the location ({point.y}, {point.x}) is outside {jurisdiction.name}'s boundary"
        )
    return to_geography(point)


def _locate(session: DbSession, jurisdiction: AnyJurisdiction,
            form: SubmitForm) -> tuple[Any, str | None, str | None, str | None]:
    """(point, address, address_id, zipcode) from lat/long, address_id or address_string (its
    confident match among the city's addresses, else no point); raises _Invalid."""
    if bool(form.lat) != bool(form.long):
        raise _Invalid("lat and long must be given together")
    if form.lat and form.long:
        point = _point_in_boundary(session, jurisdiction, form.lat, form.long)
        return point, form.address_string, form.address_id, form.zipcode
    if form.address_id:
        address = session.scalar(
            select(Address).where(Address.jurisdiction_id == jurisdiction.id,
                                  Address.address_id == form.address_id)
        )
        if address is None:
            raise _Invalid(f"address_id {form.address_id!r} is not a known address")
        return address.location, address.address, address.address_id, (
            address.zipcode or form.zipcode)
    if form.address_string:
        match = best_address_match(session, jurisdiction, form.address_string)
        if match is None:
            return None, form.address_string, None, form.zipcode
        found = match.address
        return found.location, found.address, found.address_id, found.zipcode or form.zipcode
    raise _Invalid("a location is required: lat and long, address_string or address_id")


# The new request's id, assigned up front so that its history and outbox rows (whose texts
# name it) go in the request's own INSERT statement, and the ids of its history rows (the
# submission and a duplicate link's two rows), which give their order; the jurisdiction's
# changed_at, to check that the service definition remembered per process is still the stored
# one.
_NEW_REQUEST_SQL = ("SELECT nextval('service_requests_id_seq'),"
                    " ARRAY(SELECT nextval('request_updates_id_seq') FROM generate_series(1, 3)),"
                    " (SELECT changed_at FROM jurisdictions WHERE id = %(jurisdiction_id)s)")


class _CatalogChanged(ServiceUnavailable):
    """The catalog was loaded again (by another process) since the service definition used
    was remembered."""


def _place(session: DbSession, jurisdiction: AnyJurisdiction, service: ServiceDefinition,
           location: Any, now: datetime) -> tuple[int | None, int | None, int, list[int]]:
    """(district id, parent id, new request id, history ids) of a new report at `location`:
    the district covering it, the open report it duplicates, and the ids its rows will have.
    One round trip, which takes the duplicate lock (see duplicates.parent_search)."""
    district_id, search = None, []
    if location is not None:
        lat, long = lat_long_of(location)
        district_id = shapes_of(session, jurisdiction).district_id(Point(long, lat))
        search = duplicates.parent_search(session, service, lat, long, now)
    *found, (request_id, history_ids, changed_at) = pipelined(
        session, [filing_catalog_lock(jurisdiction.id), *search,
                  (_NEW_REQUEST_SQL, {"jurisdiction_id": jurisdiction.id})])
    if changed_at != service.catalog_changed_at:
        raise _CatalogChanged("the catalog changed while the request was filed; retry")
    parent = found[-1] if search else None
    return district_id, parent[0] if parent is not None else None, request_id, history_ids


def ensure_may_file(service: AnyService, staff_role: str | None) -> None:
    """403 unless this role may put a request in this service (the catalog's restricted_to),
    by filing it or by reassigning one to it."""
    if service.restricted_to and staff_role not in service.restricted_to:
        raise Forbidden(f"service_code {service.service_code!r} may only be filed by "
                        f"{', '.join(service.restricted_to)} staff")


def submit_request(session: DbSession, jurisdiction: AnyJurisdiction, form: SubmitForm,
                   actor: Actor) -> ServiceRequest:
    """Validate and store a new request; raises BadRequest with every problem found."""
    try:
        return _submit(session, jurisdiction, form, actor)
    except _CatalogChanged:
        # Another process loaded the catalog since this one remembered it; nothing was written
        # yet: once more with what is stored now (a second change meanwhile is a 503).
        clear_every_cache()
        return _submit(session, resolve_city(session, jurisdiction.id), form, actor)


def _submit(session: DbSession, jurisdiction: AnyJurisdiction, form: SubmitForm,
            actor: Actor) -> ServiceRequest:
    service = service_definition(session, jurisdiction, form.service_code)
    ensure_may_file(service, actor.staff_role)
    problems: list[str] = []
    try:
        location, address, address_id, zipcode = _locate(session, jurisdiction, form)
    except _Invalid as invalid:
        problems.append(str(invalid))
        location, address, address_id, zipcode = None, None, None, None
    answers, attribute_problems = validate_attributes(service, form.attributes)
    problems.extend(attribute_problems)
    if form.description and len(form.description) > MAX_DESCRIPTION:
        problems.append(f"description is longer than {MAX_DESCRIPTION} characters")
    for name, value in form.reporter.items():
        if len(value) > 320:
            problems.append(f"{name} is longer than 320 characters")
    if problems:
        raise BadRequest(*problems)

    now = datetime.now(UTC)
    # Everything that does not depend on the parent is computed before _place takes the
    # service's duplicate lock: reports of one service near each other wait for each other
    # from there to the commit, so that stretch bounds the POST rate (issue 6).
    deadline = compute_deadline(jurisdiction, service, now)
    token = new_secret(16) if service.type == "batch" else None
    reporter_fields = {k: v for k, v in form.reporter.items() if k in REPORTER_FIELDS and v}
    district_id, parent_id, request_id, history_ids = _place(session, jurisdiction, service,
                                                            location, now)
    notices = [
        sla_notice(service),
        UNCONFIRMED_LOCATION_NOTICE if location is None else None,
        duplicates.duplicate_notice(parent_id) if parent_id is not None else None,
    ]
    service_request = ServiceRequest(
        id=request_id,
        jurisdiction_id=jurisdiction.id,
        service_id=service.id,
        department_id=service.department_id,
        status="open",
        detailed_status="submitted",
        description=form.description,
        address=address,
        address_id=address_id,
        zipcode=zipcode,
        location=location,
        media_urls=form.media_urls,
        attributes=answers,
        channel=form.channel,
        api_key_id=actor.api_key_id,
        requested_at=now,
        updated_at=now,
        deadline=deadline,
        service_notice=" ".join(n for n in notices if n) or None,
        token=token,
        duplicate_of_id=parent_id,
        district_id=district_id,
    )
    history = [RequestUpdate(
        jurisdiction_id=jurisdiction.id,
        service_request_id=request_id,
        created_at=now,
        actor=actor.label,
        kind="submitted",
        to_status="submitted",
        description=f"Submitted via {form.channel}",
        public=True,
    )]
    touches = []
    if parent_id is not None:
        link, touch = duplicates.link_rows(service_request, parent_id, actor, now)
        history.extend(link)
        touches.append(touch)
    for update, update_id in zip(history, history_ids, strict=False):
        update.id = update_id
    rows: list[Base] = [service_request, *history]
    if reporter_fields:
        rows.append(Reporter(service_request_id=request_id, **reporter_fields))
    confirmation = submitted_confirmation(session, service_request, service,
                                          reporter_fields.get("email"))
    if confirmation is not None:
        rows.append(confirmation)
    # The request, its history, reporter and outbox rows and the parent's update: one
    # statement, one round trip.
    insert_together(session, rows, *touches, service_policy=service.public_location,
                    kept=service_request)
    return service_request
