"""Public pin tools: the open cases near a pin before filing, "me too" votes, and address
autocomplete (the "location box")."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask.views import MethodView
from sqlalchemy import select

from app import formats
from app.datetimes import w3c
from app.exceptions import NotFound, TooManyRequests
from app.extensions import db
from app.lookups import resolve_jurisdiction
from app.models import ServiceRequest
from app.operations.duplicates import NearbyRequest, find_nearby_open
from app.operations.locations import search_addresses
from app.operations.submit import find_service
from app.operations.votes import cast_vote, voter_identity
from app.public import blp
from app.redaction import EXACT, mask_text, public_lat_long
from app.usage_limits import VOTES_PER_CLIENT, within_limit
from app.web_addresses import client_address
from geo.points import distance_between_m, lat_long_of
from schemas.pins import (
    AddressArgsSchema,
    AddressSchema,
    NearbyArgsSchema,
    NearbyRequestSchema,
    VoteFormSchema,
    VoteResultSchema,
)


def nearby_entry(nearby: NearbyRequest, lat: float, long: float, policy: str,
                 zone: ZoneInfo) -> dict[str, Any]:
    """One open case as the public may see it. The distance is to the public location: a
    true distance from several pins would give away a `block` or `hidden` point."""
    service_request = nearby.service_request
    point = service_request.location
    true_lat, true_long = (None, None) if point is None else lat_long_of(point)
    public_lat, public_long = public_lat_long(true_lat, true_long, policy)
    if policy == EXACT:
        distance: float | None = nearby.distance_m
    elif public_lat is not None and public_long is not None:
        distance = distance_between_m(lat, long, public_lat, public_long)
    else:
        distance = None
    return {
        "service_request_id": str(service_request.id),
        "service_code": service_request.service.service_code,
        "status": service_request.status,
        "requested_datetime": w3c(service_request.requested_at, zone),
        "description": mask_text(service_request.description),
        "votes": service_request.vote_count,
        "duplicate_of": (str(service_request.duplicate_of_id)
                         if service_request.duplicate_of_id else None),
        "distance_m": None if distance is None else round(distance, 1),
        "lat": public_lat,
        "long": public_long,
    }


@blp.route("/nearby")
class NearbyOpenRequests(MethodView):
    """Open cases near a pin."""

    @blp.arguments(NearbyArgsSchema, location="query")
    @blp.response(200, NearbyRequestSchema(many=True))
    def get(self, args: dict):
        """Open requests of the service within its duplicate radius and window, nearest
        first: what an app shows before "submit". Empty for a service without a rule."""
        jurisdiction = resolve_jurisdiction(db.session, args.get("jurisdiction_id"))
        service = find_service(db.session, jurisdiction, args["service_code"])
        lat, long = args["lat"], args["long"]
        found = find_nearby_open(db.session, service, lat, long, datetime.now(UTC))
        zone = ZoneInfo(jurisdiction.timezone)
        return formats.json_response(
            [nearby_entry(nearby, lat, long, service.public_location, zone) for nearby in found]
        )


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
        jurisdiction = resolve_jurisdiction(db.session, args.get("jurisdiction_id"))
        rows = search_addresses(db.session, jurisdiction, args["q"], args["limit"])
        return formats.json_response([
            {"address_id": row.address_id, "address": row.address, "zipcode": row.zipcode,
             "lat": row.lat, "long": row.long}
            for row in rows
        ])
