"""Public pin tools: the open cases near a pin before filing, "me too" votes, and address
autocomplete (the "location box")."""

from datetime import UTC, datetime

from flask import current_app
from flask.views import MethodView
from sqlalchemy import select

from app import formats
from app.exceptions import NotFound, TooManyRequests
from app.extensions import db
from app.lookups import resolve_city, resolve_jurisdiction
from app.models import ServiceRequest
from app.operations.locations import search_addresses
from app.operations.submit import find_service
from app.operations.votes import cast_vote, voter_identity
from app.public import blp
from app.reads.requests import nearby_open
from app.usage_limits import VOTES_PER_CLIENT, within_limit
from app.web_addresses import client_address
from schemas.pins import (
    AddressArgsSchema,
    AddressSchema,
    NearbyArgsSchema,
    NearbyRequestSchema,
    VoteFormSchema,
    VoteResultSchema,
)


@blp.route("/nearby")
class NearbyOpenRequests(MethodView):
    """Open cases near a pin."""

    @blp.arguments(NearbyArgsSchema, location="query")
    @blp.response(200, NearbyRequestSchema(many=True))
    def get(self, args: dict):
        """Open requests of the service within its duplicate radius and window, nearest
        first: what an app shows before "submit". Empty for a service without a rule."""
        jurisdiction = resolve_city(db.session, args.get("jurisdiction_id"))
        service = find_service(db.session, jurisdiction, args["service_code"])
        lat, long = args["lat"], args["long"]
        rows = nearby_open(db.session, jurisdiction, service, lat=lat, long=long,
                           now=datetime.now(UTC))
        return formats.json_response([
            {**row._asdict(), "distance_m": float(row.distance_m),
             "duplicate_of": str(row.duplicate_of) if row.duplicate_of else None}
            for row in rows])


@blp.route("/requests/<service_request_id>/votes")
class ServiceRequestVotes(MethodView):
    """"Me too" on an open request."""

    @blp.arguments(VoteFormSchema, location="json")
    @blp.response(201, VoteResultSchema)
    @blp.alt_response(200, schema=VoteResultSchema,
                      description="This voter had already voted: the count is unchanged")
    def post(self, form: dict, service_request_id: str):
        """One vote per device_id or email (kept only as a keyed hash, never published; one
        mailbox's spellings are one voter). 201 when counted, 200 with counted=false for a
        repeat vote, 409 on a closed request, 429 once this client address voted on this
        request VOTES_PER_CLIENT_PER_REQUEST_PER_DAY times today."""
        jurisdiction = resolve_jurisdiction(db.session, form.get("jurisdiction_id"))
        service_request = None
        if service_request_id.isdigit() and len(service_request_id) < 19:
            service_request = db.session.scalar(
                select(ServiceRequest).where(ServiceRequest.id == int(service_request_id),
                                             ServiceRequest.jurisdiction_id == jurisdiction.id)
            )
        if service_request is None:
            raise NotFound(f"service_request_id {service_request_id!r} was not found")
        config = current_app.config
        # Device ids cost nothing to invent: one client address gets a few votes per request
        # and day, whatever the voters it names.
        if not within_limit(db.session, VOTES_PER_CLIENT,
                            f"{client_address()}|{service_request.id}",
                            config["VOTES_PER_CLIENT_PER_REQUEST_PER_DAY"],
                            config["SECRET_KEY"]):
            raise TooManyRequests("this address has voted on this request too often today")
        result = cast_vote(db.session, service_request,
                           voter_identity(form.get("device_id"), form.get("email")),
                           current_app.config["SECRET_KEY"])
        db.session.commit()
        return formats.json_response(
            {"service_request_id": service_request_id, "votes": result.vote_count,
             "counted": result.counted},
            status=201 if result.counted else 200,
        )


@blp.route("/addresses")
class Addresses(MethodView):
    """The city's addresses, for a location box."""

    @blp.arguments(AddressArgsSchema, location="query")
    @blp.response(200, AddressSchema(many=True))
    def get(self, args: dict):
        """Addresses like the typed text (pg_trgm word similarity), best first."""
        jurisdiction = resolve_city(db.session, args.get("jurisdiction_id"))
        rows = search_addresses(db.session, jurisdiction, args["q"], args["limit"])
        return formats.json_response([
            {"address_id": row.address_id, "address": row.address, "zipcode": row.zipcode,
             "lat": row.lat, "long": row.long}
            for row in rows
        ])
