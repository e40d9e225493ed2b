"""Model rows as GeoReport v2 documents, after the public redaction rules."""

from typing import Any
from zoneinfo import ZoneInfo

from app.datetimes import w3c
from app.models import Service
from app.redaction import mask_text, public_address, public_lat_long

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"


def service_entry(service: Service) -> dict[str, Any]:
    """GET services: one service."""
    return {
        "service_code": service.service_code,
        "service_name": service.service_name,
        "description": service.description,
        "metadata": bool(service.attributes),
        "type": service.type,
        "keywords": ",".join(service.keywords or []),
        "group": service.group,
    }


def service_definition(service: Service) -> dict[str, Any]:
    """GET services/{code}: the attributes, in their order."""
    attributes = []
    for attribute in service.attributes:
        entry: dict[str, Any] = {
            "variable": attribute.variable,
            "code": attribute.code,
            "datatype": attribute.datatype,
            "required": attribute.required,
            "datatype_description": attribute.datatype_description,
            "order": attribute.order,
            "description": attribute.description,
        }
        if attribute.datatype in ("singlevaluelist", "multivaluelist"):
            entry["values"] = [{"key": v["key"], "name": v["name"]} for v in attribute.values]
        attributes.append(entry)
    return {"service_code": service.service_code, "attributes": attributes}


def request_entry(row: Any, zone: ZoneInfo) -> dict[str, Any]:
    """GET requests: one request from a row of queries.REQUEST_COLUMNS."""
    lat, long = public_lat_long(row.lat, row.long, row.public_location)
    address, address_id = public_address(row.address, row.address_id, row.public_location)
    return {
        "service_request_id": str(row.id),
        "status": row.status,
        "status_notes": mask_text(row.status_notes),
        "service_name": row.service_name,
        "service_code": row.service_code,
        "description": mask_text(row.description),
        "agency_responsible": row.agency_responsible,
        "service_notice": row.service_notice,
        "requested_datetime": w3c(row.requested_at, zone),
        "updated_datetime": w3c(row.updated_at, zone),
        "expected_datetime": w3c(row.deadline, zone),
        "address": address,
        "address_id": address_id,
        "zipcode": row.zipcode if row.public_location != "hidden" else None,
        "lat": lat,
        "long": long,
        "media_url": row.media_urls[0] if row.media_urls else None,
    }
