"""What the map layers show: the public projection of requests (app.reads.projection) and the
districts, and the queryables a filter may name, all over the stored public form."""

from typing import Any

from sqlalchemy import Select, String, cast, select

from app.maps.cql import BOOLEAN, DATETIME, GEOMETRY, NUMBER, STRING, Queryable
from app.models import Department, District, Jurisdiction, Service, ServiceRequest
from app.reads.projection import PublicDistrict, local_datetime_sql, public_sql
from app.reads.projection import requests_from as projection_from
from geo.features import as_feature

REQUEST_GEOMETRY = ServiceRequest.public_point
REQUEST_STATUSES = ("open", "closed")


def requests_from() -> Select:
    """Every request with what its public properties need (no reporter)."""
    return projection_from(ServiceRequest.id).join(
        Jurisdiction, Jurisdiction.id == ServiceRequest.jurisdiction_id)


def _local(timestamp: Any) -> Any:
    return local_datetime_sql(timestamp, Jurisdiction.timezone)


REQUEST_PROPERTIES: dict[str, Any] = {
    "service_request_id": cast(ServiceRequest.id, String),
    "jurisdiction_id": ServiceRequest.jurisdiction_id,
    "service_code": Service.service_code,
    "service_name": Service.service_name,
    "agency_responsible": Department.name,
    "status": ServiceRequest.status,
    "status_notes": public_sql("status_notes"),
    "description": public_sql("description"),
    "district": PublicDistrict.code,
    "vote_count": ServiceRequest.vote_count,
    "requested_datetime": _local(ServiceRequest.requested_at),
    "updated_datetime": _local(ServiceRequest.updated_at),
    "expected_datetime": _local(ServiceRequest.deadline),
    "closed_datetime": _local(ServiceRequest.closed_at),
}

REQUEST_FEATURE = as_feature(ServiceRequest.id, REQUEST_GEOMETRY, REQUEST_PROPERTIES)

# Filters run on what the public sees: the masked description and the redacted point, so that
# a filter can never probe a hidden location or a masked email.
REQUEST_QUERYABLES: dict[str, Queryable] = {
    "geometry": Queryable(REQUEST_GEOMETRY, GEOMETRY, "The location, as published"),
    "service_request_id": Queryable(cast(ServiceRequest.id, String), STRING, "Request id"),
    "jurisdiction_id": Queryable(ServiceRequest.jurisdiction_id, STRING, "Jurisdiction"),
    "service_code": Queryable(Service.service_code, STRING, "Service type code"),
    "service_name": Queryable(Service.service_name, STRING, "Service type name"),
    "agency_responsible": Queryable(Department.name, STRING, "Department in charge"),
    "status": Queryable(ServiceRequest.status, STRING, "open or closed", REQUEST_STATUSES),
    "description": Queryable(public_sql("description"), STRING, "What was reported (masked)"),
    "district": Queryable(PublicDistrict.code, STRING, "Council district code (as published)"),
    "vote_count": Queryable(ServiceRequest.vote_count, NUMBER, "Residents who said 'me too'"),
    "requested_datetime": Queryable(ServiceRequest.requested_at, DATETIME, "When filed"),
    "updated_datetime": Queryable(ServiceRequest.updated_at, DATETIME, "Last change"),
    "expected_datetime": Queryable(ServiceRequest.deadline, DATETIME, "Deadline"),
    "closed_datetime": Queryable(ServiceRequest.closed_at, DATETIME, "When closed"),
}

JSON_SCHEMA_TYPES = {
    STRING: {"type": "string"},
    NUMBER: {"type": "number"},
    BOOLEAN: {"type": "boolean"},
    DATETIME: {"type": "string", "format": "date-time"},
    GEOMETRY: {"$ref": "https://geojson.org/schema/Point.json"},
}


def districts_from() -> Select:
    """Every district."""
    return select(District.id).select_from(District)


DISTRICT_FEATURE = as_feature(
    District.id,
    District.geom,
    {
        "code": District.code,
        "name": District.name,
        "jurisdiction_id": District.jurisdiction_id,
    },
)
