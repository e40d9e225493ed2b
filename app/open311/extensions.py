"""The opt-in extensions of GET requests (Open311 wiki, GeoReport_v2/Extensions.md, as used by
Chicago, Boston and San Francisco): radius and bbox, updated_after/updated_before, district,
paging, and `extensions=true`, which adds `attributes`, `notes` and `extended_attributes`.
Without them a request is exactly the spec's."""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from app.datetimes import localize, w3c
from app.db import DbSession
from app.exceptions import BadRequest
from app.models import District, RequestUpdate, ServiceAttribute, ServiceRequest
from app.open311 import render
from app.redaction import HIDDEN, mask_text
from geo.filters import nearest_first, within_bbox, within_radius

MAX_PAGE_SIZE = 1000
LIST_DATATYPES = ("singlevaluelist", "multivaluelist")
TEXT_DATATYPES = ("string", "text")


@dataclass(frozen=True)
class Circle:
    """lat, long, radius: requests within radius_m metres."""

    lat: float
    long: float
    radius_m: float


@dataclass
class ExtensionFilters:
    """The extension parameters of GET requests after parsing; the defaults change nothing."""

    circle: Circle | None = None
    # (min_long, min_lat, max_long, max_lat)
    bbox: tuple[float, float, float, float] | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    districts: list[str] = field(default_factory=list)
    page: int = 1
    page_size: int = MAX_PAGE_SIZE
    extended: bool = False

    def bounds_updates(self) -> bool:
        """Whether updated_after/updated_before stand in for the default 90-day window."""
        return self.updated_after is not None or self.updated_before is not None


def extension_filters(args: dict[str, Any], zone: ZoneInfo) -> ExtensionFilters:
    """Build the extension filters from parsed query arguments (naive times in `zone`)."""
    after, before = args.get("updated_after"), args.get("updated_before")
    after = localize(after, zone) if after is not None else None
    before = localize(before, zone) if before is not None else None
    if after is not None and before is not None and before <= after:
        raise BadRequest("updated_before must be later than updated_after")
    circle = None
    if "radius" in args:
        circle = Circle(args["lat"], args["long"], args["radius"])
    return ExtensionFilters(
        circle=circle,
        bbox=args.get("bbox"),
        updated_after=after,
        updated_before=before,
        districts=args.get("district", []),
        page=max(args.get("page", 1), 1),
        page_size=args.get("page_size", MAX_PAGE_SIZE),
        extended=args.get("extensions", False),
    )


def filtered_by_extensions(query: Select, extension: ExtensionFilters) -> Select:
    """Apply radius, bbox, updated and district filters."""
    location = ServiceRequest.location
    if extension.circle:
        circle = extension.circle
        query = query.where(within_radius(location, circle.lat, circle.long, circle.radius_m))
    if extension.bbox:
        query = query.where(within_bbox(location, *extension.bbox))
    # Strict bounds (as the Helsinki server): a client polling with the last updated_datetime
    # it saw does not get that request again.
    if extension.updated_after is not None:
        query = query.where(ServiceRequest.updated_at > extension.updated_after)
    if extension.updated_before is not None:
        query = query.where(ServiceRequest.updated_at < extension.updated_before)
    if extension.districts:
        # District ids are the jurisdiction's own, as are the requests filtered.
        query = query.where(ServiceRequest.district_id.in_(
            select(District.id).where(District.code.in_(extension.districts))
        ))
    return query


def paged(query: Select, extension: ExtensionFilters) -> Select:
    """One page, nearest first when a radius is given (the caller orders otherwise), with the
    extension columns when asked."""
    if extension.circle:
        circle = extension.circle
        query = query.order_by(
            nearest_first(ServiceRequest.location, circle.lat, circle.long),
            ServiceRequest.id.desc(),
        ).limit(extension.page_size)
    query = query.offset((extension.page - 1) * extension.page_size)
    if extension.extended:
        query = with_extension_columns(query)
    return query


def with_extension_columns(query: Select) -> Select:
    """The columns extended_attributes needs; the duplicate count is a correlated count on
    the duplicate_of index, so a page stays one query."""
    linked = aliased(ServiceRequest)
    duplicates = (
        select(func.count()).where(linked.duplicate_of_id == ServiceRequest.id)
        .correlate(ServiceRequest).scalar_subquery()
    )
    return query.outerjoin(District, District.id == ServiceRequest.district_id).add_columns(
        ServiceRequest.service_id,
        ServiceRequest.attributes.label("answers"),
        ServiceRequest.channel,
        ServiceRequest.detailed_status,
        ServiceRequest.duplicate_of_id,
        ServiceRequest.vote_count,
        District.code.label("district_code"),
        duplicates.label("duplicate_count"),
    )


def public_notes(session: DbSession, ids: list[int], zone: ZoneInfo) -> dict[int, list[dict]]:
    """The public timeline of each request, for a whole page in one query."""
    notes: dict[int, list[dict]] = defaultdict(list)
    if not ids:
        return notes
    rows = session.execute(
        select(RequestUpdate.service_request_id, RequestUpdate.created_at, RequestUpdate.kind,
               RequestUpdate.description)
        .where(RequestUpdate.service_request_id.in_(ids), RequestUpdate.public.is_(True))
        .order_by(RequestUpdate.created_at, RequestUpdate.id)
    )
    for row in rows:
        notes[row.service_request_id].append({
            "datetime": w3c(row.created_at, zone),
            "type": row.kind,
            "description": mask_text(row.description),
        })
    return notes


def attribute_definitions(session: DbSession,
                          service_ids: set[int]) -> dict[int, list[ServiceAttribute]]:
    """The service definitions of a page's services, in their order, in one query."""
    definitions: dict[int, list[ServiceAttribute]] = defaultdict(list)
    if service_ids:
        for attribute in session.scalars(
            select(ServiceAttribute).where(ServiceAttribute.service_id.in_(service_ids))
            .order_by(ServiceAttribute.service_id, ServiceAttribute.order)
        ):
            definitions[attribute.service_id].append(attribute)
    return definitions


def attribute_entries(answers: dict[str, Any],
                      definition: list[ServiceAttribute]) -> list[dict[str, Any]]:
    """Answers as the SF example: code and label (the question), value (the key or answer)
    and name (what the value reads as); free text is masked like a description."""
    entries = []
    for attribute in definition:
        if attribute.code not in answers:
            continue
        answer = answers[attribute.code]
        if attribute.datatype in LIST_DATATYPES:
            keys = answer if isinstance(answer, list) else [answer]
            names = {v["key"]: v["name"] for v in attribute.values}
            value: Any = ",".join(keys)
            name: str | None = ", ".join(names.get(key) or key for key in keys)
        elif attribute.datatype in TEXT_DATATYPES:
            value = name = mask_text(str(answer))
        else:
            value, name = answer, str(answer)
        entries.append({"code": attribute.code, "label": attribute.description,
                        "value": value, "name": name})
    return entries


def extended_fields(row: Any, notes: list[dict], definition: list[ServiceAttribute],
                    ) -> dict[str, Any]:
    """attributes, notes and extended_attributes of one request row."""
    return {
        "attributes": attribute_entries(row.answers or {}, definition),
        "notes": notes,
        "extended_attributes": {
            "channel": row.channel,
            "photos": [{"media_url": url} for url in row.media_urls or []],
            "detailed_status": row.detailed_status,
            "duplicate_of": str(row.duplicate_of_id) if row.duplicate_of_id else None,
            "duplicates": row.duplicate_count,
            "votes": row.vote_count,
            # A district would place a request whose location the city hides.
            "district": row.district_code if row.public_location != HIDDEN else None,
        },
    }


def extended_entries(session: DbSession, query: Select, timezone: str) -> list[dict[str, Any]]:
    """GET requests with extensions=true: the core fields (the same SQL-built object as
    without extensions), then the extension fields, for each row of `query`."""
    render.write_dates_in(session, timezone)
    rows = session.execute(query.add_columns(render.request_json_sql().label("entry"))).all()
    zone = ZoneInfo(timezone)
    notes = public_notes(session, [row.id for row in rows], zone)
    definitions = attribute_definitions(session, {row.service_id for row in rows})
    return [
        json.loads(row.entry)
        | extended_fields(row, notes.get(row.id, []), definitions.get(row.service_id, []))
        for row in rows
    ]
