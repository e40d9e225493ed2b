"""GeoReport v2 routes. Thin: parse, call a query or an operation, render."""

import re
from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from sqlalchemy import ARRAY, BigInteger, Select, cast, func, select
from werkzeug.datastructures import MultiDict

from app import formats
from app.exceptions import Forbidden, NotFound
from app.extensions import db
from app.lookups import resolve_city
from app.media import checked_media_urls, media_url, uploaded_photos
from app.models import Jurisdiction, Service, ServiceRequest
from app.open311 import blp, extensions, params, render
from app.operations import idempotency
from app.operations.access import find_api_key
from app.operations.definitions import service_definition
from app.operations.photos import photo_name, store_photo
from app.operations.submit import REPORTER_FIELDS, Actor, SubmitForm, submit_request
from app.reads import requests as reads
from app.reads.filters import RequestFilters
from app.reads.projection import city_zone
from app.reads.statements import read_row
from app.web_addresses import public_base_url
from schemas.open311 import (
    DiscoverySchema,
    Open311ErrorSchema,
    RequestArgsSchema,
    RequestsArgsSchema,
    ServiceDefinitionSchema,
    ServiceRequestSchema,
    ServicesArgsSchema,
    ServiceSchema,
    SubmitFormSchema,
    SubmitResponseSchema,
    TokenResponseSchema,
)

_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


def _errors_doc(*statuses: int):
    def decorate(view):
        for status in statuses:
            view = blp.alt_response(status, schema=Open311ErrorSchema(many=True),
                                    description="Open311 error list")(view)
        return view
    return decorate


@blp.route("/discovery.<fmt:fmt>")
class Discovery(MethodView):
    """Service discovery."""

    @blp.response(200, DiscoverySchema)
    def get(self, fmt: str):
        """Where this server's endpoints are and what they speak."""
        changed = db.session.scalar(select(func.max(Jurisdiction.changed_at)))
        changeset = changed.replace(microsecond=0).isoformat() if changed else None
        base = public_base_url()
        document = {
            "changeset": changeset,
            "contact": current_app.config["OPEN311_CONTACT"],
            "key_service": current_app.config["OPEN311_KEY_SERVICE"],
            "endpoints": [
                {
                    "specification": render.SPEC_URL,
                    "url": f"{base}/open311/v2",
                    "changeset": changeset,
                    "type": current_app.config["OPEN311_ENDPOINT_TYPE"],
                    "formats": ["text/xml", "application/json"],
                }
            ],
        }
        return formats.render(document, fmt, root="discovery")


@blp.route("/services.<fmt:fmt>")
class Services(MethodView):
    """The service list."""

    @blp.arguments(ServicesArgsSchema, location="query")
    @blp.response(200, ServiceSchema(many=True))
    @_errors_doc(400, 404)
    def get(self, args: dict, fmt: str):
        """Services offered, ordered by group then name."""
        jurisdiction = resolve_city(db.session, args.get("jurisdiction_id"))
        services = db.session.scalars(
            select(Service)
            .where(Service.jurisdiction_id == jurisdiction.id, Service.active.is_(True))
            .order_by(Service.group, Service.service_name, Service.service_code)
        ).all()
        return formats.render([render.service_entry(s) for s in services], fmt,
                              root="services", item="service")


def _service_definition(args: dict, service_code: str, fmt: str):
    jurisdiction = resolve_city(db.session, args.get("jurisdiction_id"))
    service = db.session.scalar(
        select(Service).where(Service.jurisdiction_id == jurisdiction.id,
                              Service.service_code == service_code,
                              Service.active.is_(True))
    )
    if service is None:
        raise NotFound(f"service_code {service_code!r} was not found")
    return formats.render(render.service_definition(service), fmt, root="service_definition")


@blp.route("/services/<service_code>.<fmt:fmt>")
class ServiceDefinition(MethodView):
    """A service definition."""

    @blp.arguments(ServicesArgsSchema, location="query")
    @blp.response(200, ServiceDefinitionSchema)
    @_errors_doc(400, 404)
    def get(self, args: dict, service_code: str, fmt: str):
        """The attributes (questions) of a service."""
        return _service_definition(args, service_code, fmt)


@blp.route("/service/<service_code>.<fmt:fmt>")
class ServiceDefinitionAlias(MethodView):
    """The singular path some clients use for a service definition."""

    @blp.arguments(ServicesArgsSchema, location="query")
    @blp.response(200, ServiceDefinitionSchema)
    @_errors_doc(400, 404)
    def get(self, args: dict, service_code: str, fmt: str):
        """Same as services/{service_code}."""
        return _service_definition(args, service_code, fmt)


def attribute_answers(values: MultiDict) -> dict[str, list[str]]:
    """GeoReport v2 `attribute[CODE]` (and `attribute[CODE][]`) fields of a form by code."""
    answers: dict[str, list[str]] = {}
    for key in values:
        match = _ATTRIBUTE_KEY.match(key)
        if match:
            answers.setdefault(match.group(1), []).extend(values.getlist(key))
    return answers


def request_documents(query: Select, timezone: str, fmt: str, extended: bool,
                      by_id_from: Select | None = None) -> tuple[int, Response]:
    """(how many requests, the document) of a GET requests statement."""
    if extended:
        entries = extensions.extended_entries(db.session, query, timezone)
        return len(entries), formats.render(entries, fmt, root="service_requests",
                                            item="request")
    if by_id_from is not None:
        query = _page_by_id(query, by_id_from)
    found, entries = read_row(db.session, render.document_query(query, fmt),
                              city_zone(timezone))
    return found, render.document_response(entries, fmt)


def _page_by_id(query: Select, base: Select) -> Select:
    """The page's ids first, then `base` restricted to them, in their order.

    A distance order is a sort, and PostgreSQL evaluates the select list (here the whole
    redacted document) before a top-N sort: in a dense downtown, thousands of documents for a
    page of 1000. Ids are cheap to sort."""
    ids = list(db.session.scalars(query.with_only_columns(ServiceRequest.id)))
    return base.where(ServiceRequest.id.in_(ids)).order_by(
        func.array_position(cast(ids, ARRAY(BigInteger)), ServiceRequest.id))


@blp.route("/requests.<fmt:fmt>")
class ServiceRequests(MethodView):
    """Service requests."""

    @blp.arguments(RequestsArgsSchema, location="query")
    @blp.response(200, ServiceRequestSchema(many=True))
    @_errors_doc(400, 404)
    def get(self, args: dict, fmt: str):
        """Requests, newest first, at most 1000, by default from the last 90 days."""
        jurisdiction = resolve_city(db.session, args.get("jurisdiction_id"))
        filters, paging = params.request_filters(db.session, jurisdiction, args)
        window_page = params.window_page(jurisdiction, filters, paging, fmt)
        if window_page is not None:
            statement, parameters = window_page
            # One plan for every window: an index walk, newest first (planning each page
            # took PostgreSQL 0.3 ms, a seventh of its run).
            _, entries = read_row(db.session, statement,
                                  {**parameters, **city_zone(jurisdiction.timezone)}, "generic")
            return render.document_response(entries, fmt)
        by_id_from = (reads.matching(jurisdiction, RequestFilters(), ServiceRequest.id)
                      if filters.circle else None)
        _, document = request_documents(params.list_query(jurisdiction, filters, paging),
                                        jurisdiction.timezone, fmt, paging.extended,
                                        by_id_from=by_id_from)
        return document

    @blp.arguments(SubmitFormSchema, location="form")
    @blp.response(200, SubmitResponseSchema(many=True))
    @_errors_doc(400, 403, 404)
    def post(self, form: dict, fmt: str):
        """File a request (form-encoded or multipart). Needs an api_key."""
        api_key = find_api_key(db.session, form.get("api_key"))
        if api_key is None:
            raise Forbidden("api_key is missing or not valid")
        owner = idempotency.Owner(api_key_id=api_key.id)
        fields = list(request.form.items(multi=True))
        content_hash = idempotency.body_hash(
            fields + [(f"file:{name}", upload.filename or "")
                      for name, upload in request.files.items(multi=True)])
        retry_key, first = idempotency.replay(db.session, owner, request.headers.get(
            "Idempotency-Key"), form.get("device_id"), fields, content_hash=content_hash)
        if first is not None:  # a retry: the first answer again, nothing filed
            return formats.render([submit_response(first, first.service.type)], fmt,
                                  root="service_requests", item="request")
        jurisdiction = resolve_city(db.session, form.get("jurisdiction_id"))
        photos = [(photo, photo_name(photo)) for photo in uploaded_photos(request.files)]
        submitted = SubmitForm(
            service_code=form.get("service_code"),
            lat=form.get("lat"),
            long=form.get("long"),
            address_string=form.get("address_string"),
            address_id=form.get("address_id"),
            zipcode=form.get("zipcode"),
            description=form.get("description"),
            media_urls=checked_media_urls(form.get("media_url", []), len(photos))
            + [media_url(name) for _, name in photos],
            attributes=attribute_answers(request.values),
            reporter={k: form[k] for k in REPORTER_FIELDS if form.get(k)},
        )
        service_request = submit_request(
            db.session, jurisdiction, submitted,
            Actor(label=f"api_key:{api_key.name}", api_key_id=api_key.id),
        )
        # Written once the report is valid, before the commit that publishes its URL.
        for photo, name in photos:
            store_photo(db.session, photo, name, service_request.id)
        idempotency.remember(db.session, owner, retry_key, service_request,
                             content_hash=content_hash)
        # Read before the commit expires the objects (reading after cost two more queries);
        # the service's type from the definition remembered per process.
        response = submit_response(service_request, service_definition(
            db.session, jurisdiction, submitted.service_code).type)
        if photos:
            response["media_url"] = media_url(photos[0][1])
        db.session.commit()
        return formats.render([response], fmt, root="service_requests", item="request")


def submit_response(service_request: ServiceRequest, service_type: str) -> dict[str, Any]:
    """GeoReport v2 POST response: an id for realtime, a token for batch, neither for
    blackbox."""
    entry: dict[str, Any] = {}
    if service_type == "realtime":
        entry["service_request_id"] = str(service_request.id)
    elif service_type == "batch":
        entry["token"] = service_request.token
    entry["service_notice"] = service_request.service_notice
    return entry


@blp.route("/requests/<service_request_id>.<fmt:fmt>")
class ServiceRequestById(MethodView):
    """One service request."""

    @blp.arguments(RequestArgsSchema, location="query")
    @blp.response(200, ServiceRequestSchema(many=True))
    @_errors_doc(400, 404)
    def get(self, args: dict, service_request_id: str, fmt: str):
        """A list holding the one request (the spec's shape)."""
        jurisdiction = resolve_city(db.session, args.get("jurisdiction_id"))
        extended = args.get("extensions", False)
        query = params.one_query(jurisdiction, service_request_id, extended)
        found, document = (0, None) if query is None else request_documents(
            query, jurisdiction.timezone, fmt, extended)
        if not found:
            raise NotFound(f"service_request_id {service_request_id!r} was not found")
        return document


@blp.route("/tokens/<token>.<fmt:fmt>")
class TokenById(MethodView):
    """The request behind a batch token."""

    @blp.arguments(ServicesArgsSchema, location="query")
    @blp.response(200, TokenResponseSchema(many=True))
    @_errors_doc(400, 404)
    def get(self, args: dict, token: str, fmt: str):
        """The service_request_id a token stands for."""
        jurisdiction = resolve_city(db.session, args.get("jurisdiction_id"))
        service_request = db.session.scalar(
            select(ServiceRequest).where(ServiceRequest.token == token,
                                         ServiceRequest.jurisdiction_id == jurisdiction.id)
        )
        if service_request is None:
            raise NotFound(f"token {token!r} was not found")
        return formats.render(
            [{"service_request_id": str(service_request.id), "token": token}], fmt,
            root="service_requests", item="request",
        )
