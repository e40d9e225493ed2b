"""What the map layers show: the public columns of requests and districts as SQL expressions,
and the queryables a filter may name. Public data only: `reporters` is never joined, locations
go through app.redaction.public_geometry_sql and free text through mask_text_sql."""

from typing import Any

from sqlalchemy import Select, String, cast, select
from sqlalchemy.orm import aliased

from app.maps.cql import BOOLEAN, DATETIME, GEOMETRY, NUMBER, STRING, Queryable
from app.models import Department, District, Jurisdiction, Service, ServiceRequest
from app.redaction import BLOCK_GRID_DEGREES, public_geometry_sql
from app.redaction import mask_text_sql as masked
from geo.features import as_feature, iso8601_local

RequestDistrict = aliased(District, name="request_district")

# A snapped point lies at most half a grid cell from the stored one in each axis: the bbox
# index test is widened by that (and 1 cm for rounding) so that it never drops a feature the
# exact test would keep. Every degree of margin is rows read from the heap and thrown away: a
# full cell made the index return six times the rows of a small downtown bbox.
BLOCK_INDEX_MARGIN = BLOCK_GRID_DEGREES / 2 + 1e-7

REQUEST_GEOMETRY = public_geometry_sql(ServiceRequest.location, Service.public_location)
REQUEST_STATUSES = ("open", "closed")


def requests_from() -> Select:
    """Every request with what its public properties need (no reporter)."""
    return (
        select(ServiceRequest.id)
        .select_from(ServiceRequest)
        .join(Service, Service.id == ServiceRequest.service_id)
        .join(Jurisdiction, Jurisdiction.id == ServiceRequest.jurisdiction_id)
        .outerjoin(Department, Department.id == ServiceRequest.department_id)
        .outerjoin(RequestDistrict, RequestDistrict.id == ServiceRequest.district_id)
    )


def _local(timestamp: Any) -> Any:
    return iso8601_local(timestamp, Jurisdiction.timezone)


REQUEST_PROPERTIES: dict[str, Any] = {
    "service_request_id": cast(ServiceRequest.id, String),
    "jurisdiction_id": ServiceRequest.jurisdiction_id,
    "service_code": Service.service_code,
    "service_name": Service.service_name,
    "agency_responsible": Department.name,
    "status": ServiceRequest.status,
    "status_notes": masked(ServiceRequest.status_notes),
    "description": masked(ServiceRequest.description),
    "district": RequestDistrict.code,
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
    "description": Queryable(masked(ServiceRequest.description), STRING, "What was reported"),
    "district": Queryable(RequestDistrict.code, STRING, "Council district code"),
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
