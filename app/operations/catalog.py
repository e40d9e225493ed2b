"""Load a catalog file: create or update one jurisdiction, idempotently, all or nothing."""

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from geoalchemy2.shape import from_shape
from marshmallow import ValidationError
from shapely.geometry import MultiPolygon, shape
from sqlalchemy import func, select

from app.db import DbSession
from app.models import Department, Jurisdiction, Service, ServiceAttribute, StateCode
from app.operations.definitions import lock_catalog
from app.operations.public_form import refresh_public_forms
from schemas.catalog import CatalogSchema, flatten_errors


class CatalogError(ValueError):
    """A catalog file that cannot be loaded; `problems` name each field and what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_geojson_area(path: Path, field: str) -> MultiPolygon:
    """A Polygon/MultiPolygon (bare, Feature or FeatureCollection) as one valid MultiPolygon."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError([f"{field}: file {path} does not exist"]) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CatalogError([f"{field}: {path} is not GeoJSON ({error})"]) from None
    geometries = _geometries_of(document)
    polygons = []
    for geometry in geometries:
        try:
            area = shape(geometry)
        except Exception as error:  # shapely raises several types for malformed input
            raise CatalogError([f"{field}: invalid geometry ({error})"]) from None
        if area.geom_type == "Polygon":
            polygons.append(area)
        elif area.geom_type == "MultiPolygon":
            polygons.extend(area.geoms)
        else:
            raise CatalogError(
                [f"{field}: must be a Polygon or MultiPolygon, not {area.geom_type}"]
            )
    if not polygons:
        raise CatalogError([f"{field}: no polygon in {path}"])
    result = MultiPolygon(polygons)
    if not result.is_valid:
        raise CatalogError([f"{field}: the polygon is not valid (self-intersecting?)"])
    return result


def _geometries_of(document: Any) -> list[dict]:
    if not isinstance(document, dict):
        return []
    if document.get("type") == "FeatureCollection":
        return [f.get("geometry") for f in document.get("features", []) if f.get("geometry")]
    if document.get("type") == "Feature":
        return [document["geometry"]] if document.get("geometry") else []
    return [document]


def parse_catalog(path: Path) -> tuple[dict, MultiPolygon | None, str]:
    """Validate a catalog file; returns the data, its boundary and a digest of both."""
    try:
        raw_text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError([f"{path}: file does not exist"]) from None
    try:
        raw = yaml.safe_load(raw_text)
    except yaml.YAMLError as error:
        raise CatalogError([f"{path}: not valid YAML ({error})"]) from None
    if not isinstance(raw, dict):
        raise CatalogError([f"{path}: must be a mapping with jurisdiction and services"])
    try:
        data = CatalogSchema().load(raw)
    except ValidationError as error:
        raise CatalogError(flatten_errors(error.messages)) from None
    boundary = None
    if data["jurisdiction"]["boundary"]:
        boundary = read_geojson_area(
            path.parent / data["jurisdiction"]["boundary"], "jurisdiction.boundary"
        )
    return data, boundary, catalog_digest(data, boundary)


def catalog_digest(data: dict, boundary: MultiPolygon | None) -> str:
    """What tells a catalog that changed from one loaded already."""
    boundary_wkb = boundary.wkb if boundary is not None else b""
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, default=str).encode() + boundary_wkb
    ).hexdigest()


def load_catalog(session: DbSession, path: Path) -> tuple[Jurisdiction, bool]:
    """Create or update the jurisdiction of a catalog file. Returns it and whether it changed."""
    return apply_catalog(session, *parse_catalog(path))


def apply_catalog(session: DbSession, data: dict, boundary: MultiPolygon | None,
                  digest: str) -> tuple[Jurisdiction, bool]:
    """Create or update the jurisdiction of a parsed catalog (see parse_catalog)."""
    spec = data["jurisdiction"]
    # Reports being filed commit first, and new ones wait for this load (definitions.py).
    lock_catalog(session, spec["id"])
    jurisdiction = session.get(Jurisdiction, spec["id"])
    if jurisdiction is not None and jurisdiction.catalog_hash == digest:
        return jurisdiction, False
    if jurisdiction is None:
        jurisdiction = Jurisdiction(id=spec["id"])
        session.add(jurisdiction)
    jurisdiction.name = spec["name"]
    jurisdiction.timezone = spec["timezone"]
    jurisdiction.boundary = from_shape(boundary, srid=4326) if boundary is not None else None
    holidays = spec["holidays"] or {}
    # The country is the phone numbering the public texts were masked in.
    country_changed = jurisdiction.holiday_country != holidays.get("country")
    jurisdiction.holiday_country = holidays.get("country")
    jurisdiction.holiday_subdivision = holidays.get("subdivision")
    jurisdiction.holiday_extra = list(holidays.get("extra") or [])
    jurisdiction.catalog_hash = digest
    jurisdiction.changed_at = func.now()
    session.flush()

    departments = _upsert_departments(session, jurisdiction.id, data["departments"])
    policy_changed = _upsert_services(session, jurisdiction.id, data["services"], departments)
    _upsert_state_codes(session, jurisdiction.id, data["state_codes"])
    session.flush()
    # Requests already stored take a stricter public_location now (a looser one only through
    # a staff release: see operations/public_form.py).
    if country_changed:
        refresh_public_forms(session, jurisdiction_id=jurisdiction.id)
    else:
        for service_id in policy_changed:
            refresh_public_forms(session, service_id=service_id)
    return jurisdiction, True


def _upsert_departments(session: DbSession, jurisdiction_id: str, specs: list[dict]) -> dict:
    existing = {
        d.code: d
        for d in session.scalars(
            select(Department).where(Department.jurisdiction_id == jurisdiction_id)
        )
    }
    for spec in specs:
        department = existing.get(spec["code"])
        if department is None:
            department = Department(jurisdiction_id=jurisdiction_id, code=spec["code"])
            session.add(department)
            existing[spec["code"]] = department
        department.name = spec["name"]
        department.email = spec["email"]
    session.flush()
    return existing


def _upsert_services(session: DbSession, jurisdiction_id: str, specs: list[dict],
                     departments: dict[str, Department]) -> list[int]:
    """Create or update the services; returns the ids of those whose public_location
    changed."""
    policy_changed = []
    existing = {
        s.service_code: s
        for s in session.scalars(select(Service).where(Service.jurisdiction_id == jurisdiction_id))
    }
    listed = set()
    for spec in specs:
        listed.add(spec["service_code"])
        service = existing.get(spec["service_code"])
        if service is None:
            service = Service(jurisdiction_id=jurisdiction_id, service_code=spec["service_code"])
            session.add(service)
        sla = spec["sla"] or {}
        duplicates = spec["duplicates"] or {}
        service.service_name = spec["service_name"]
        service.description = spec["description"]
        service.group = spec["group"]
        service.keywords = spec["keywords"]
        service.type = spec["type"]
        service.department = departments[spec["department"]] if spec["department"] else None
        service.sla_days = sla.get("days")
        service.sla_calendar = sla.get("calendar", "calendar")
        service.sla_explanation = sla.get("explanation")
        service.duplicate_radius_m = duplicates.get("radius_m")
        service.duplicate_window_days = duplicates.get("window_days")
        service.expire_after_days = spec["expire_after_days"]
        if service.id is not None and service.public_location != spec["public_location"]:
            policy_changed.append(service.id)
        service.public_location = spec["public_location"]
        service.restricted_to = spec["restricted_to"]
        service.translations = spec["translations"]
        service.active = True
        _sync_attributes(service, spec["attributes"])
        session.flush()
    for code, service in existing.items():
        if code not in listed:
            # Kept for the history of its requests; no longer offered.
            service.active = False
    return policy_changed


def _sync_attributes(service: Service, specs: list[dict]) -> None:
    """Update attributes in place by code, so their rows (and ids) survive a reload."""
    by_code = {a.code: a for a in service.attributes}
    wanted = []
    for spec in specs:
        attribute = by_code.get(spec["code"]) or ServiceAttribute(code=spec["code"])
        for name in ("variable", "datatype", "required", "datatype_description", "order",
                     "description", "values"):
            setattr(attribute, name, spec[name])
        wanted.append(attribute)
    service.attributes = wanted


def _upsert_state_codes(session: DbSession, jurisdiction_id: str, specs: list[dict]) -> None:
    existing = {
        c.code: c
        for c in session.scalars(
            select(StateCode).where(StateCode.jurisdiction_id == jurisdiction_id)
        )
    }
    for spec in specs:
        code = existing.get(spec["code"])
        if code is None:
            code = StateCode(jurisdiction_id=jurisdiction_id, code=spec["code"])
            session.add(code)
        code.closes_as = spec["closes_as"]
        code.label = spec["label"]
    for name, code in existing.items():
        if name not in {s["code"] for s in specs}:
            session.delete(code)
