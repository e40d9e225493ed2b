"""The GET requests query: filters, order and page; the columns are the caller's (the
document built in SQL, see app.open311.render), so a list of 1000 is one round trip."""

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select

from app.exceptions import BadRequest
from app.models import Department, Jurisdiction, Service, ServiceRequest
from app.open311.extensions import (
    ExtensionFilters,
    filtered_by_extensions,
    paged,
    with_extension_columns,
)
from geo.filters import nearest_first

MAX_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000


def request_columns() -> list[Any]:
    """What the extensions need beside the document, which app.open311.render builds in SQL."""
    return [ServiceRequest.id, Service.public_location, ServiceRequest.media_urls]


def base_query(jurisdiction: Jurisdiction) -> Select:
    """Requests of one jurisdiction with their service and department."""
    return (
        select(*request_columns())
        .join(Service, Service.id == ServiceRequest.service_id)
        .outerjoin(Department, Department.id == ServiceRequest.department_id)
        .where(ServiceRequest.jurisdiction_id == jurisdiction.id)
    )


@dataclass
class RequestFilters:
    """GET requests parameters after parsing (datetimes aware)."""

    service_request_ids: list[str] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    start_date: datetime | None = None
    end_date: datetime | None = None
    extension: ExtensionFilters = field(default_factory=ExtensionFilters)


def date_window(start: datetime | None, end: datetime | None,
                now: datetime | None = None) -> tuple[datetime, datetime]:
    """GeoReport v2 defaults: the last 90 days; with one bound, 90 days from it; a span
    over 90 days is refused."""
    now = now or datetime.now(UTC)
    if start is None and end is None:
        return now - MAX_WINDOW, now
    if start is None:
        assert end is not None
        return end - MAX_WINDOW, end
    if end is None:
        return start, start + MAX_WINDOW
    if end < start:
        raise BadRequest("end_date is before start_date")
    if end - start > MAX_WINDOW:
        raise BadRequest("start_date to end_date spans more than 90 days")
    return start, end


def filtered(query: Select, filters: RequestFilters) -> Select:
    """Apply the core filters; a service_request_id list overrides the rest (the spec)."""
    if filters.service_request_ids:
        ids = [int(i) for i in filters.service_request_ids if i.isdigit() and len(i) < 19]
        return query.where(ServiceRequest.id.in_(ids))
    # updated_after/updated_before bound the result themselves: a client polling for changes
    # must see an old request that was just updated.
    if filters.start_date or filters.end_date or not filters.extension.bounds_updates():
        start, end = date_window(filters.start_date, filters.end_date)
        query = query.where(ServiceRequest.requested_at >= start,
                            ServiceRequest.requested_at <= end)
    if filters.service_codes:
        query = query.where(Service.service_code.in_(filters.service_codes))
    if filters.statuses:
        query = query.where(ServiceRequest.status.in_(filters.statuses))
    return filtered_by_extensions(query, filters.extension)


def newest_first(query: Select, limit: int = MAX_RESULTS) -> Select:
    """Deterministic order so that paging is stable: newest first, then id."""
    return query.order_by(
        ServiceRequest.requested_at.desc(), ServiceRequest.id.desc()
    ).limit(limit)


# Candidates walked beyond the page's end, so that requests at the same distance (a busy
# address point) are all seen before the page is cut by (distance, id).
NEAREST_TIE_SLACK = 1000


def list_query(jurisdiction: Jurisdiction, filters: RequestFilters) -> Select:
    """The statement of GET requests: filtered, ordered, one page."""
    extension = filters.extension
    query = filtered(base_query(jurisdiction), filters)
    if extension.circle is None:
        query = newest_first(query, extension.page_size)
    else:
        query = query.where(ServiceRequest.id.in_(nearest_candidates(jurisdiction, filters)))
    return paged(query, extension)


def nearest_candidates(jurisdiction: Jurisdiction, filters: RequestFilters) -> Select:
    """Ids of the requests nearest the circle's centre that pass every other filter, in the
    GiST index's own distance order (a KNN walk that stops early). With the radius in the same
    WHERE, PostgreSQL misjudges its selectivity and sorts every request of the area instead:
    0.7 s against 0.08 s for a 500 m circle downtown on a million requests."""
    extension = filters.extension
    assert extension.circle is not None
    circle = extension.circle
    others = replace(filters, extension=replace(extension, circle=None))
    enough = extension.page * extension.page_size + NEAREST_TIE_SLACK
    return (
        filtered(base_query(jurisdiction), others)
        .with_only_columns(ServiceRequest.id)
        .order_by(nearest_first(ServiceRequest.location, circle.lat, circle.long))
        .limit(enough)
    )


def one_query(jurisdiction: Jurisdiction, service_request_id: str,
              extended: bool = False) -> Select | None:
    """The statement of one request (with the extension columns if asked), or None for an id
    that cannot be ours."""
    if not service_request_id.isdigit() or len(service_request_id) > 18:
        return None
    query = base_query(jurisdiction).where(ServiceRequest.id == int(service_request_id))
    return with_extension_columns(query) if extended else query
