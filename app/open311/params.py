"""GET requests parameters (core and extensions) as the one filter set of app.reads, and the
statements of a page and of one request over the one read path."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Integer, Select, bindparam, func, select
from sqlalchemy.orm import aliased

from app.datetimes import localize
from app.db import DbSession
from app.exceptions import BadRequest
from app.lookups import AnyJurisdiction
from app.models import ServiceRequest
from app.open311 import render
from app.reads import requests as reads
from app.reads.filters import Circle, RequestFilters, TimeRange, require_known_values
from app.reads.projection import PublicDistrict
from app.reads.statements import BuiltOnce

MAX_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
OPEN311_STATUSES = ("open", "closed")


@dataclass(frozen=True)
class Paging:
    """page (from 1), page_size, and whether the extension fields are asked."""

    page: int = 1
    page_size: int = MAX_RESULTS
    extended: bool = False


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


def _local(args: dict[str, Any], name: str, zone: ZoneInfo) -> datetime | None:
    return localize(args[name], zone) if args.get(name) is not None else None


def request_filters(session: DbSession, jurisdiction: AnyJurisdiction,
                    args: dict[str, Any]) -> tuple[RequestFilters, Paging]:
    """The filter set and paging of GET requests; a service_request_id list overrides the
    other filters (the spec). Unknown codes are a 400 naming them."""
    zone = ZoneInfo(jurisdiction.timezone)
    paging = Paging(page=max(args.get("page", 1), 1),
                    page_size=args.get("page_size", MAX_RESULTS),
                    extended=args.get("extensions", False))
    ids = args.get("service_request_id", [])
    if ids:
        return RequestFilters(service_request_ids=[
            int(i) for i in ids if i.isdigit() and len(i) < 19] or [0]), paging
    start, end = _local(args, "start_date", zone), _local(args, "end_date", zone)
    updated_after, updated_before = (_local(args, "updated_after", zone),
                                     _local(args, "updated_before", zone))
    if updated_after is not None and updated_before is not None \
            and updated_before <= updated_after:
        raise BadRequest("updated_before must be later than updated_after")
    ranges = []
    # updated_after/updated_before bound the result themselves: a client polling for changes
    # must see an old request that was just updated.
    if start or end or (updated_after is None and updated_before is None):
        ranges.append(_requested_between(*date_window(start, end)))
    if updated_after is not None or updated_before is not None:
        # Strict bounds (as the Helsinki server): a client polling with the last
        # updated_datetime it saw does not get that request again.
        ranges.append(TimeRange("updated_at", updated_after, updated_before,
                                after_inclusive=False, before_inclusive=False))
    filters = RequestFilters(
        service_codes=args.get("service_code", []),
        statuses=args.get("status", []),
        districts=args.get("district", []),
        bbox=args.get("bbox"),
        circle=Circle(args["lat"], args["long"], args["radius"]) if "radius" in args else None,
        ranges=ranges,
    )
    require_known_values(session, jurisdiction, filters, statuses=OPEN311_STATUSES)
    return filters, paging


def list_query(jurisdiction: AnyJurisdiction, filters: RequestFilters, paging: Paging) -> Select:
    """The statement of one page of GET requests: newest first, or nearest the circle's
    centre first."""
    query = reads.matching(jurisdiction, filters, ServiceRequest.id, ServiceRequest.media_urls)
    if filters.circle is None:
        query = reads.newest_first(query)
    else:
        query = reads.nearest_first(query, filters.circle.lat, filters.circle.long)
    query = reads.offset_page(query, paging.page, paging.page_size)
    return with_extension_columns(query) if paging.extended else query


def _requested_between(after: Any, before: Any) -> TimeRange:
    """GeoReport v2's date window: start_date and end_date both included."""
    return TimeRange("requested_at", after, before, before_inclusive=True)


# What Open311 clients ask most (the newest requests, or those of a date window: the default
# page is the "recent requests" feed), built once (app/reads/statements.py): building and
# compiling the statement on each request cost the page a millisecond of Python.
_WINDOW_START = bindparam("window_start", type_=DateTime(timezone=True))
_WINDOW_END = bindparam("window_end", type_=DateTime(timezone=True))


@cache
def _window_page(fmt: str) -> BuiltOnce:
    filters = RequestFilters(ranges=[_requested_between(_WINDOW_START, _WINDOW_END)])
    query = reads.newest_first(reads.matching(None, filters, ServiceRequest.id).where(
        ServiceRequest.jurisdiction_id == bindparam("jurisdiction_id")))
    query = query.limit(bindparam("limit", type_=Integer)).offset(
        bindparam("offset", type_=Integer))
    return BuiltOnce(render.document_query(query, fmt))


def window_page(jurisdiction: AnyJurisdiction, filters: RequestFilters, paging: Paging,
                fmt: str) -> tuple[BuiltOnce, dict[str, Any]] | None:
    """(the statement built once, its parameters) of a GET requests page that filters on the
    date window alone; None for any other page."""
    if paging.extended or len(filters.ranges) != 1:
        return None
    window = filters.ranges[0]
    if filters != RequestFilters(ranges=[_requested_between(window.after, window.before)]):
        return None
    return _window_page(fmt), {
        "jurisdiction_id": jurisdiction.id, "window_start": window.after,
        "window_end": window.before, "limit": paging.page_size,
        "offset": reads.page_offset(paging.page, paging.page_size)}


def one_query(jurisdiction: AnyJurisdiction, service_request_id: str,
              extended: bool = False) -> Select | None:
    """The statement of one request (with the extension columns if asked), or None for an id
    that cannot be ours."""
    if not service_request_id.isdigit() or len(service_request_id) > 18:
        return None
    query = reads.matching(jurisdiction, RequestFilters(
        service_request_ids=[int(service_request_id)]), ServiceRequest.id,
        ServiceRequest.media_urls)
    return with_extension_columns(query) if extended else query


def with_extension_columns(query: Select) -> Select:
    """The columns extended_attributes needs; the duplicate count is a correlated count on
    the duplicate_of index, so a page stays one query."""
    linked = aliased(ServiceRequest)
    duplicates = (
        select(func.count()).where(linked.duplicate_of_id == ServiceRequest.id)
        .correlate(ServiceRequest).scalar_subquery()
    )
    return query.add_columns(
        ServiceRequest.service_id,
        ServiceRequest.public_attributes.label("answers"),
        ServiceRequest.channel,
        ServiceRequest.detailed_status,
        ServiceRequest.duplicate_of_id,
        ServiceRequest.vote_count,
        # The published district: none for a hidden request.
        PublicDistrict.code.label("district_code"),
        duplicates.label("duplicate_count"),
    )
