"""Filing a service request: validate against the service definition, compute the deadline,
store the reporter apart, record the first history row."""

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import sla
from app.datetimes import parse_w3c
from app.exceptions import BadRequest, Forbidden, NotFound
from app.models import (
    Address,
    Jurisdiction,
    Reporter,
    RequestUpdate,
    Service,
    ServiceRequest,
)
from app.operations.notifications import notify_submitted
from app.security import new_secret
from geo.points import InvalidPoint, parse_lat_long, to_geography

MAX_DESCRIPTION = 4000
MAX_TEXT_ATTRIBUTE = 4000
MAX_STRING_ATTRIBUTE = 1000
REPORTER_FIELDS = ("first_name", "last_name", "email", "phone", "device_id", "account_id")


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


def find_service(session: Session, jurisdiction: Jurisdiction, service_code: str | None,
                 ) -> Service:
    """The active service of this code, or 400 (missing) / 404 (unknown)."""
    if not service_code:
        raise BadRequest("service_code is required")
    service = session.scalar(
        select(Service).where(
            Service.jurisdiction_id == jurisdiction.id,
            Service.service_code == service_code,
            Service.active.is_(True),
        )
    )
    if service is None:
        raise NotFound(f"service_code {service_code!r} was not found")
    return service


def work_calendar(jurisdiction: Jurisdiction) -> sla.WorkCalendar:
    """The business-day calendar of a jurisdiction."""
    return sla.calendar_from(
        jurisdiction.timezone,
        jurisdiction.holiday_country,
        jurisdiction.holiday_subdivision,
        jurisdiction.holiday_extra or (),
    )


def compute_deadline(jurisdiction: Jurisdiction, service: Service,
                     start: datetime) -> datetime | None:
    """Open311 expected_datetime: the service's SLA counted from `start`."""
    if not service.sla_days:
        return None
    return sla.add_days(start, service.sla_days, service.sla_calendar,
                        work_calendar(jurisdiction))


def sla_notice(service: Service) -> str | None:
    """GeoReport v2 service_notice: why a deadline is far off."""
    if service.sla_days and service.sla_days > sla.LONG_SLA_DAYS:
        return service.sla_explanation
    return None


def validate_attributes(service: Service, sent: dict[str, list[str]]) -> tuple[dict, list[str]]:
    """Answers checked against the service definition; returns (answers, problems)."""
    answers: dict[str, Any] = {}
    problems: list[str] = []
    for attribute in service.attributes:
        values = [v for v in sent.get(attribute.code, []) if v != ""]
        if not values:
            if attribute.required and attribute.variable:
                problems.append(f"attribute[{attribute.code}] is required: "
                                f"{attribute.description}")
            continue
        keys = {v["key"] for v in attribute.values}
        label = f"attribute[{attribute.code}]"
        if attribute.datatype == "multivaluelist":
            unknown = [v for v in values if v not in keys]
            if unknown:
                problems.append(f"{label}: {', '.join(map(repr, unknown))} not among "
                                f"{', '.join(sorted(keys))}")
            else:
                answers[attribute.code] = list(dict.fromkeys(values))
            continue
        if len(values) > 1:
            problems.append(f"{label} takes one value")
            continue
        value = values[0]
        if attribute.datatype == "singlevaluelist":
            if value not in keys:
                problems.append(f"{label}: {value!r} not among {', '.join(sorted(keys))}")
            else:
                answers[attribute.code] = value
        elif attribute.datatype == "number":
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                problems.append(f"{label} must be a number")
            else:
                answers[attribute.code] = int(number) if number.is_integer() else number
        elif attribute.datatype == "datetime":
            try:
                answers[attribute.code] = parse_w3c(value).isoformat()
            except ValueError:
                problems.append(f"{label} must be a W3C datetime, e.g. 2026-01-31T14:00:00Z")
        else:
            limit = MAX_TEXT_ATTRIBUTE if attribute.datatype == "text" else MAX_STRING_ATTRIBUTE
            if len(value) > limit:
                problems.append(f"{label} is longer than {limit} characters")
            else:
                answers[attribute.code] = value
    return answers, problems


def _locate(session: Session, jurisdiction: Jurisdiction, form: SubmitForm,
            problems: list[str]) -> tuple[Any, str | None, str | None]:
    """(point, address, zipcode) from lat/long, address_id or address_string."""
    has_lat, has_long = bool(form.lat), bool(form.long)
    if has_lat != has_long:
        problems.append("lat and long must be given together")
        return None, None, None
    if has_lat:
        try:
            point = parse_lat_long(form.lat, form.long)  # type: ignore[arg-type]
        except InvalidPoint as error:
            problems.append(str(error))
            return None, None, None
        if jurisdiction.boundary is not None and not session.scalar(
            select(func.ST_Covers(jurisdiction.boundary,
                                  func.ST_SetSRID(func.ST_MakePoint(point.x, point.y), 4326)))
        ):
            problems.append(
                f"the location ({point.y}, {point.x}) is outside {jurisdiction.name}'s boundary"
            )
            return None, None, None
        return to_geography(point), form.address_string, form.zipcode
    if form.address_id:
        address = session.scalar(
            select(Address).where(Address.jurisdiction_id == jurisdiction.id,
                                  Address.address_id == form.address_id)
        )
        if address is None:
            problems.append(f"address_id {form.address_id!r} is not a known address")
            return None, None, None
        return address.location, address.address, address.zipcode or form.zipcode
    if form.address_string:
        return None, form.address_string, form.zipcode
    problems.append("a location is required: lat and long, address_string or address_id")
    return None, None, None


def submit_request(session: Session, jurisdiction: Jurisdiction, form: SubmitForm,
                   actor: Actor) -> ServiceRequest:
    """Validate and store a new request; raises BadRequest with every problem found."""
    service = find_service(session, jurisdiction, form.service_code)
    if service.restricted_to and actor.staff_role not in service.restricted_to:
        raise Forbidden(f"service_code {service.service_code!r} may only be filed by "
                        f"{', '.join(service.restricted_to)} staff")
    problems: list[str] = []
    location, address, zipcode = _locate(session, jurisdiction, form, problems)
    answers, attribute_problems = validate_attributes(service, form.attributes)
    problems.extend(attribute_problems)
    if form.description and len(form.description) > MAX_DESCRIPTION:
        problems.append(f"description is longer than {MAX_DESCRIPTION} characters")
    for name, value in form.reporter.items():
        if len(value) > 320:
            problems.append(f"{name} is longer than 320 characters")
    if form.reporter.get("email") and "@" not in form.reporter["email"]:
        problems.append("email is not an email address")
    for url in form.media_urls:
        if not url.startswith(("http://", "https://")) or len(url) > 2000:
            problems.append("media_url must be an http(s) URL of at most 2000 characters")
    if problems:
        raise BadRequest(*problems)

    now = datetime.now(UTC)
    service_request = ServiceRequest(
        jurisdiction_id=jurisdiction.id,
        service=service,
        department_id=service.department_id,
        status="open",
        detailed_status="submitted",
        description=form.description,
        address=address,
        address_id=form.address_id if form.address_id and location is not None else None,
        zipcode=zipcode,
        location=location,
        media_urls=form.media_urls,
        attributes=answers,
        channel=form.channel,
        api_key_id=actor.api_key_id,
        requested_at=now,
        updated_at=now,
        deadline=compute_deadline(jurisdiction, service, now),
        service_notice=sla_notice(service),
        token=new_secret(16) if service.type == "batch" else None,
    )
    session.add(service_request)
    session.flush()
    reporter_fields = {k: v for k, v in form.reporter.items() if k in REPORTER_FIELDS and v}
    if reporter_fields:
        session.add(Reporter(service_request_id=service_request.id, **reporter_fields))
    session.add(
        RequestUpdate(
            jurisdiction_id=jurisdiction.id,
            service_request_id=service_request.id,
            created_at=now,
            actor=actor.label,
            kind="submitted",
            to_status="submitted",
            description=f"Submitted via {form.channel}",
            public=True,
        )
    )
    notify_submitted(session, service_request)
    session.flush()
    return service_request
