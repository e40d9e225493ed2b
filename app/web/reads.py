"""The pages' one door to the public read path.

Every page reads what the public API answers, through the functions the API's own views call,
so a page can never show more than the API does. Issue 10 moves the public read path to
app/reads/, which this module calls."""

import json
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.extensions import db
from app.lookups import AnyJurisdiction, City, resolve_city
from app.models import District, Jurisdiction, Service, ServiceRequest
from app.public.transparency import (
    follow_request,
    public_filters,
    request_document,
    statistics_document,
)
from app.reads import requests as public_reads
from app.reads.filters import RequestFilters


def jurisdiction(jurisdiction_id: str | None) -> City:
    """The jurisdiction a page is about (optional when the server has one)."""
    return resolve_city(db.session, jurisdiction_id)


def zone(city: AnyJurisdiction) -> ZoneInfo:
    """The city's timezone, in which the pages show dates."""
    return ZoneInfo(city.timezone)


def public_request(city: AnyJurisdiction, service_request_id: int) -> dict[str, Any]:
    """GET /api/v1/public/requests/{id}: the request and its public timeline (404 if none)."""
    return request_document(city, service_request_id)


def follow(service_request_id: int, email: str) -> None:
    """POST /api/v1/public/requests/{id}/subscriptions: a confirmation link by email."""
    follow_request(service_request_id, email)


def duplicates_of(city: AnyJurisdiction, service_request_id: int) -> list[str]:
    """The public requests merged into or linked to this one, oldest first."""
    query = public_reads.matching(city, RequestFilters(), ServiceRequest.id).where(
        ServiceRequest.duplicate_of_id == service_request_id).order_by(ServiceRequest.id)
    return [str(found) for found in db.session.scalars(query)]


def statistics(city: AnyJurisdiction, args: dict[str, Any], group_by: list[str]) -> dict[str, Any]:
    """GET /api/v1/public/stats with these (parsed) arguments."""
    return statistics_document(city, public_filters(args, zone(city)), group_by)


def services(city: AnyJurisdiction) -> list[Service]:
    """The services a resident may file (GET /services less those only staff may file),
    ordered as the Open311 list."""
    return list(db.session.scalars(
        select(Service)
        .where(Service.jurisdiction_id == city.id, Service.active.is_(True),
               func.cardinality(Service.restricted_to) == 0)
        .order_by(Service.group, Service.service_name, Service.service_code)
    ))


def city_outline(city: AnyJurisdiction) -> dict[str, Any]:
    """The boundary and the districts as one GeoJSON FeatureCollection (public map data)."""
    features = []
    boundary = db.session.scalar(select(func.ST_AsGeoJSON(Jurisdiction.boundary, 6))
                                 .where(Jurisdiction.id == city.id))
    if boundary is not None:
        features.append({"type": "Feature", "geometry": json.loads(boundary),
                         "properties": {"kind": "boundary", "name": city.name}})
    for code, name, geometry in db.session.execute(
        select(District.code, District.name, func.ST_AsGeoJSON(District.geom, 6))
        .where(District.jurisdiction_id == city.id).order_by(District.code)
    ):
        features.append({"type": "Feature", "geometry": json.loads(geometry),
                         "properties": {"kind": "district", "code": code, "name": name}})
    return {"type": "FeatureCollection", "features": features}
