"""Public routes (see app/public/__init__.py): requests, exports, statistics, feed, follow."""

import hashlib
import json
from dataclasses import asdict
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app, request, stream_with_context
from flask.views import MethodView

from app.datetimes import localize
from app.exceptions import BadRequest, NotFound, TooManyRequests
from app.extensions import db
from app.http_cache import is_fresh, not_modified
from app.lookups import AnyJurisdiction, resolve_city
from app.models import ServiceRequest
from app.operations import subscriptions
from app.public import blp, exports, render
from app.reads import requests as reads
from app.reads.filters import Circle, RequestFilters, TimeRange, require_known_values
from app.usage_limits import SUBSCRIPTIONS_PER_CLIENT, within_limit
from app.web_addresses import client_address, page_link, public_base_url
from schemas.public import (
    FeedArgsSchema,
    JurisdictionArgsSchema,
    MessageSchema,
    PublicFiltersArgsSchema,
    PublicRequestDetailSchema,
    RequestPageSchema,
    RequestsArgsSchema,
    StatsArgsSchema,
    StatsSchema,
    SubscriptionFormSchema,
)

STATS_METHOD = (
    "Duplicates (requests merged into another) are excluded from every figure; the request "
    "they were merged into counts once. count: all requests of the group matching the "
    "filters, whatever their status. median_days_to_close: median calendar days from "
    "requested_datetime to closed_datetime over resolved requests (cancelled ones, such as "
    "invalid or administratively closed requests, are excluded). on_time_percent: share of the "
    "judged requests resolved at or before their expected_datetime (the deadline of the "
    "service's SLA in calendar or business days, moved forward while a request was on hold or "
    "waiting for the reporter); judged requests (sample_size) are those resolved with a "
    "deadline plus those still open past their deadline, which count as late; requests "
    "without an SLA are not judged (the one rule, also used by the exports' on_time column and "
    "the staff performance report; see docs/public-api.md). satisfaction: mean rating on the "
    "city's scale of 1 (unsatisfied) to 3 (satisfied) of the answered "
    "closure surveys, with satisfaction_responses answers. low_sample: true when sample_size "
    "is under min_sample, so that a group with a handful of requests is not ranked against "
    "the others. Months are calendar months in the city's timezone, by requested_datetime."
)


def _zone(jurisdiction: AnyJurisdiction) -> ZoneInfo:
    return ZoneInfo(jurisdiction.timezone)


RANGES = (("requested", "requested_at"), ("updated", "updated_at"), ("closed", "closed_at"))


def public_filters(args: dict[str, Any], zone: ZoneInfo) -> RequestFilters:
    """The filter set from parsed arguments; naive datetimes are the city's wall time.
    Ranges are half-open, [after, before): consecutive windows never count a request twice."""
    ranges = []
    for prefix, column in RANGES:
        after, before = args.get(f"{prefix}_after"), args.get(f"{prefix}_before")
        after = localize(after, zone) if after is not None else None
        before = localize(before, zone) if before is not None else None
        if after is not None and before is not None and before <= after:
            raise BadRequest(f"the {column} range is empty: its end is not after its start")
        if after is not None or before is not None:
            ranges.append(TimeRange(column, after, before))
    return RequestFilters(
        service_codes=args.get("service_code", []),
        statuses=args.get("status", []),
        departments=args.get("department", []),
        districts=args.get("district", []),
        bbox=args.get("bbox"),
        circle=Circle(args["lat"], args["long"], args["radius"]) if "radius" in args else None,
        ranges=ranges,
        q=args.get("q"),
    )


def _jurisdiction_and_filters(args: dict[str, Any]) -> tuple[AnyJurisdiction, RequestFilters]:
    jurisdiction = resolve_city(db.session, args.get("jurisdiction_id"))
    filters = public_filters(args, _zone(jurisdiction))
    require_known_values(db.session, jurisdiction, filters)
    return jurisdiction, filters


def _canonical(filters: RequestFilters) -> str:
    """A stable text of the filters, for ETags."""
    return json.dumps(asdict(filters), default=str, sort_keys=True)


def request_document(jurisdiction: AnyJurisdiction, service_request_id: int) -> dict[str, Any]:
    """One request as the public sees it, with its public timeline; 404 when not public."""
    row = reads.one_row(db.session, jurisdiction, service_request_id)
    if row is None:
        raise NotFound(f"service request {service_request_id} was not found")
    zone = _zone(jurisdiction)
    document = render.public_request(row)
    document["timeline"] = [render.timeline_entry(update, zone) for update in
                            reads.public_timeline(db.session, [service_request_id])]
    return document


def follow_request(service_request_id: int, email: str) -> None:
    """Ask to follow a request: a confirmation link is emailed first (not committed). 429 once
    this client address asked too often today; the same silence whether the address was new,
    pending, confirmed or over its own daily limit."""
    service_request = db.session.get(ServiceRequest, service_request_id)
    if service_request is None:
        raise NotFound(f"service request {service_request_id} was not found")
    config = current_app.config
    if not within_limit(db.session, SUBSCRIPTIONS_PER_CLIENT, client_address(),
                        config["SUBSCRIPTIONS_PER_CLIENT_PER_DAY"], config["SECRET_KEY"]):
        raise TooManyRequests("this address asked to follow requests too often today; "
                              "try again tomorrow")
    subscriptions.subscribe(
        db.session, service_request, email,
        per_recipient_per_day=config["SUBSCRIPTION_EMAILS_PER_RECIPIENT_PER_DAY"],
        secret_key=config["SECRET_KEY"])


def statistics_document(jurisdiction: AnyJurisdiction, filters: RequestFilters,
                        group_by: list[str]) -> dict[str, Any]:
    """The /stats document: per group, counts, median days to close, on-time share and
    satisfaction, each with its sample size (STATS_METHOD says what each counts)."""
    groups = list(dict.fromkeys(group_by))
    minimum = current_app.config["STATS_MIN_SAMPLE"]
    rows = []
    for row in reads.statistics(db.session, jurisdiction, filters, groups):
        figures = row._asdict()
        judged = figures.pop("sample_size")
        on_time = figures.pop("on_time")
        median = figures.pop("median_days_to_close")
        satisfaction = figures.pop("satisfaction")
        rows.append({
            **figures,
            "median_days_to_close": None if median is None else round(median, 2),
            "sample_size": judged,
            "on_time_percent": round(100 * on_time / judged, 1) if judged else None,
            "satisfaction": None if satisfaction is None else round(float(satisfaction), 2),
            "low_sample": judged < minimum,
        })
    return {"group_by": groups, "min_sample": minimum, "method": STATS_METHOD, "rows": rows}


@blp.route("/requests")
class PublicRequests(MethodView):
    """Public service requests."""

    @blp.arguments(RequestsArgsSchema, location="query")
    @blp.response(200, RequestPageSchema)
    def get(self, args: dict[str, Any]):
        """Requests matching the filters, a page at a time; follow `next` until null."""
        jurisdiction, filters = _jurisdiction_and_filters(args)
        sort = args["sort"]
        cursor = reads.Cursor.decode(args["cursor"], sort) if "cursor" in args else None
        rows, next_cursor = reads.list_page(db.session, jurisdiction, filters, sort=sort,
                                              cursor=cursor, limit=args["limit"])
        document = {
            "requests": [render.public_request(row) for row in rows],
            "limit": args["limit"],
            "next": None,
        }
        if next_cursor is None:
            return document
        document["next"] = page_link(request.path, "cursor")(next_cursor.encode())
        return document, 200, {"Link": f'<{document["next"]}>; rel="next"'}


@blp.route("/requests/<int:service_request_id>")
class PublicRequestById(MethodView):
    """One public service request."""

    @blp.arguments(JurisdictionArgsSchema, location="query")
    @blp.response(200, PublicRequestDetailSchema)
    def get(self, args: dict[str, Any], service_request_id: int):
        """The request and its public timeline (internal notes are never shown)."""
        jurisdiction = resolve_city(db.session, args.get("jurisdiction_id"))
        return request_document(jurisdiction, service_request_id)


@blp.route("/requests.<any(csv, geojson, ndjson):export_format>")
class RequestExports(MethodView):
    """Bulk downloads."""

    @blp.arguments(PublicFiltersArgsSchema, location="query")
    @blp.response(200, description="Streamed: CSV with a header row, a GeoJSON "
                                    "FeatureCollection, or one JSON object per line (NDJSON). "
                                    "Columns are listed in docs/public.md.")
    def get(self, args: dict[str, Any], export_format: str):
        """Every request matching the filters, newest first, streamed."""
        jurisdiction, filters = _jurisdiction_and_filters(args)
        newest, count = reads.freshness(db.session, jurisdiction, filters)
        # The body is streamed, so the ETag cannot hash it: it rests on what would change it.
        etag = hashlib.sha256(
            f"{export_format}|{newest}|{count}|{jurisdiction.changed_at}|{_canonical(filters)}"
            .encode()
        ).hexdigest()[:32]
        if is_fresh(etag, newest):
            return not_modified(etag, newest)
        statement = reads.export_query(jurisdiction, filters, export_format)
        stream = exports.STREAMS[export_format](statement, jurisdiction.timezone)
        response = Response(stream_with_context(stream),
                            content_type=exports.MIMETYPES[export_format])
        response.set_etag(etag, weak=True)
        if newest is not None:
            response.last_modified = newest
        response.headers["Content-Disposition"] = (
            f'attachment; filename="requests.{export_format}"'
        )
        return response


@blp.route("/stats")
class Statistics(MethodView):
    """Performance statistics."""

    @blp.arguments(StatsArgsSchema, location="query")
    @blp.response(200, StatsSchema)
    def get(self, args: dict[str, Any]):
        """Counts, median days to close, on-time share and satisfaction per group."""
        jurisdiction, filters = _jurisdiction_and_filters(args)
        return statistics_document(jurisdiction, filters, args["group_by"])


@blp.route("/feeds/requests.atom")
class RequestsFeed(MethodView):
    """Atom feed of changes."""

    @blp.arguments(FeedArgsSchema, location="query")
    @blp.response(200, description="Atom 1.0 (application/atom+xml)")
    def get(self, args: dict[str, Any]):
        """The most recently changed requests matching the filters, newest first."""
        jurisdiction, filters = _jurisdiction_and_filters(args)
        zone = _zone(jurisdiction)
        rows = reads.recently_changed(db.session, jurisdiction, filters, args["limit"])
        base = public_base_url()
        query_string = request.query_string.decode()
        body = render.atom_feed(
            tag_prefix=f"tag:{jurisdiction.id},2024",
            feed_key="requests" + (f"?{query_string}" if query_string else ""),
            title=f"{jurisdiction.name}: service requests",
            self_url=f"{base}{request.full_path.rstrip('?')}",
            request_url=f"{base}{blp.url_prefix}/requests/{{}}",
            entries=[render.public_request(row) for row in rows],
            zone=zone,
        )
        return Response(body, content_type="application/atom+xml; charset=utf-8")


@blp.route("/requests/<int:service_request_id>/subscriptions")
class RequestSubscriptions(MethodView):
    """Following a request by email."""

    @blp.arguments(SubscriptionFormSchema, location="json")
    @blp.response(202, MessageSchema)
    def post(self, form: dict[str, Any], service_request_id: int):
        """Ask to follow a request: a confirmation link is emailed first. The address is
        never shown anywhere."""
        follow_request(service_request_id, form["email"])
        db.session.commit()
        # The same answer whether the address was new, pending, confirmed or over its limit.
        return {"message": "If the address can receive mail, a confirmation link is on its "
                           "way; updates follow once it is opened."}


@blp.route("/subscriptions/confirm/<token>")
class SubscriptionConfirmation(MethodView):
    """The link of a confirmation email."""

    @blp.response(200, MessageSchema)
    def get(self, token: str):
        """Confirm a subscription."""
        subscription = subscriptions.confirm(db.session, token)
        db.session.commit()
        document = {"message": f"You now follow service request "
                               f"{subscription.service_request_id}."}
        # An action, not a resource: never served from a cache.
        return document, 200, {"Cache-Control": "no-store"}


@blp.route("/subscriptions/unsubscribe/<token>")
class SubscriptionCancellation(MethodView):
    """The unsubscribe link (and List-Unsubscribe header) of every email to a follower."""

    @blp.response(200, MessageSchema)
    def get(self, token: str):
        """Stop following: the link in the email's text."""
        return _unsubscribe(token)

    @blp.response(200, MessageSchema)
    def post(self, token: str):
        """Stop following: RFC 8058 one-click (`List-Unsubscribe=One-Click`) from a mail
        client."""
        return _unsubscribe(token)


def _unsubscribe(token: str):
    subscriptions.unsubscribe(db.session, token, current_app.config["SECRET_KEY"])
    db.session.commit()
    return ({"message": "You no longer follow this request."}, 200,
            {"Cache-Control": "no-store"})
