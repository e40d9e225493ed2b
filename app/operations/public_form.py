"""Storing the public form of requests (app.redaction.public_form) whenever they are written.

Every flush runs `store_public_forms`: a request that is new, or whose description, status
notes, address, location, district or service changed, gets its public_* columns recomputed;
a new history row gets its public_description. Because it hangs on the flush, no operation can
forget it. Writes that bypass the ORM (the demo loader's bulk SQL, a catalog reload changing a
service's public_location, the migration's backfill) call `refresh_public_forms`, which runs
the same function over the rows in batches.

Precision never loosens silently: a request keeps the strictest public_location it ever had
(`public_location` column); only `release_location`, a staff action with a note kept in the
history, lets it follow a looser service policy again.
"""

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from geoalchemy2.elements import WKTElement
from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Session

from app.db import DbSession
from app.exceptions import BadRequest
from app.lookups import resolve_city
from app.models import RequestUpdate, Service, ServiceRequest
from app.operations.history import record
from app.redaction import (
    DEFAULT_REGION,
    STRICTNESS,
    PublicForm,
    RequestValues,
    public_form,
    public_text,
    strictest,
)
from geo.points import WGS84, lat_long_of

# Attributes of a request its public form is computed from.
SOURCE_ATTRIBUTES = ("attributes", "description", "status_notes", "address", "address_id",
                     "zipcode", "location", "district_id", "service_id", "service",
                     "public_location")
# Requests recomputed per statement by refresh_public_forms.
BATCH_SIZE = 5000


def _point(lat: float | None, long: float | None) -> WKTElement | None:
    if lat is None or long is None:
        return None
    return WKTElement(f"POINT({long!r} {lat!r})", srid=WGS84)


def _write(service_request: ServiceRequest, form: PublicForm) -> None:
    service_request.public_location = form.location_policy
    service_request.public_description = form.description
    service_request.public_status_notes = form.status_notes
    service_request.public_address = form.address
    service_request.public_address_id = form.address_id
    service_request.public_zipcode = form.zipcode
    service_request.public_point = _point(form.lat, form.long)
    service_request.public_district_id = form.district_id
    service_request.public_listed = form.listed
    service_request.public_attributes = form.attributes


def _changed(service_request: ServiceRequest) -> bool:
    state = inspect(service_request)
    if state.pending or state.transient:
        return True
    return any(state.attrs[name].history.has_changes() for name in SOURCE_ATTRIBUTES)


def store_public_form(session: DbSession, service_request: ServiceRequest,
                      service_policy: str | None = None) -> None:
    """Recompute and set one request's public columns (flushed with the request).
    `service_policy` is its service's public_location when the caller holds it already."""
    state = inspect(service_request)
    if service_policy is None:
        with session.no_autoflush:
            # Before the flush, a service set as an object is not yet in service_id, and an id
            # set directly is not yet in the relationship: take whichever was changed.
            if state.attrs.service_id.history.has_changes() or service_request.service is None:
                service = session.get(Service, service_request.service_id)
            else:
                service = service_request.service
        assert service is not None
        service_policy = service.public_location
    # The stored policy is the strictest so far (None for a request not yet stored).
    policy = strictest(service_request.public_location, service_policy)
    location = service_request.location
    lat, long = lat_long_of(location) if location is not None else (None, None)
    values = RequestValues(
        description=service_request.description, status_notes=service_request.status_notes,
        address=service_request.address, address_id=service_request.address_id,
        zipcode=service_request.zipcode, lat=lat, long=long,
        district_id=service_request.district_id, attributes=service_request.attributes,
    )
    _write(service_request, public_form(values, policy,
                                        _region(session, service_request.jurisdiction_id)))


def store_update_text(session: DbSession, update: RequestUpdate) -> None:
    """Set a history row's public_description from its description (None when internal)."""
    update.public_description = (
        public_text(update.description, _region(session, update.jurisdiction_id))
        if update.public else None)


def _region(session: DbSession, jurisdiction_id: str) -> str:
    # The jurisdiction remembered per process (app/lookups.py): no round trip per write.
    with session.no_autoflush:
        return resolve_city(session, jurisdiction_id).holiday_country or DEFAULT_REGION


@event.listens_for(Session, "before_flush")
def store_public_forms(session: Session, _context: Any, _instances: Any) -> None:
    """Before every flush: the public form of each new or changed request and history row."""
    store_public_forms_of(session, (*session.new, *session.dirty))


def store_public_forms_of(session: DbSession, instances: Iterable[object],
                          service_policy: str | None = None) -> None:
    """The public form of each new or changed request and history row among `instances`: what
    every flush does, and what a write that bypasses the flush calls on its rows
    (app/operations/round_trips.py). `service_policy` as in store_public_form."""
    for instance in instances:
        if isinstance(instance, ServiceRequest) and _changed(instance):
            store_public_form(session, instance, service_policy)
        elif isinstance(instance, RequestUpdate) and _update_changed(instance):
            store_update_text(session, instance)


def _update_changed(update: RequestUpdate) -> bool:
    state = inspect(update)
    return bool(state.pending or state.transient
                or state.attrs.description.history.has_changes()
                or state.attrs.public.history.has_changes())


def release_location(session: DbSession, service_request: ServiceRequest, note: str,
                     actor: str, now: datetime) -> RequestUpdate:
    """Let a locked request follow its service's public_location again, when that is looser
    than the strictest it had: a staff decision, with its reason kept in the history."""
    if not note or not note.strip():
        raise BadRequest("a note is required to release a request's location precision")
    before = service_request.public_location
    after = service_request.service.public_location
    if STRICTNESS[after] >= STRICTNESS[before]:
        raise BadRequest(f"the request is already published as {before!r}; "
                         f"its service's public_location is {after!r}: nothing to release")
    service_request.public_location = after
    service_request.updated_at = now
    return record(session, service_request, actor, "location_released", now, public=False,
                  description=note.strip(), data={"from": before, "to": after})


# --- bulk: the same function over many rows -----------------------------------------------

_SOURCE_ROWS = text("""
SELECT sr.id, sr.description, sr.status_notes, sr.address, sr.address_id, sr.zipcode,
       ST_Y(sr.location::geometry) AS lat, ST_X(sr.location::geometry) AS long,
       sr.district_id, sr.attributes, sr.public_location AS stored_policy,
       s.public_location AS policy,
       j.holiday_country AS country
FROM service_requests sr
JOIN services s ON s.id = sr.service_id
JOIN jurisdictions j ON j.id = sr.jurisdiction_id
WHERE sr.id > :after AND (CAST(:jurisdiction AS text) IS NULL OR sr.jurisdiction_id = :jurisdiction)
  AND (CAST(:service AS bigint) IS NULL OR sr.service_id = :service)
ORDER BY sr.id LIMIT :batch
""")

_STORE_ROWS = text("""
UPDATE service_requests sr SET
    public_location = f.location_policy, public_description = f.description,
    public_status_notes = f.status_notes, public_address = f.address,
    public_address_id = f.address_id, public_zipcode = f.zipcode,
    public_point = CASE WHEN f.lat IS NULL THEN NULL
                        ELSE ST_SetSRID(ST_MakePoint(f.long, f.lat), 4326) END,
    public_district_id = f.district_id, public_listed = f.listed,
    public_attributes = f.attributes
FROM jsonb_to_recordset(CAST(:forms AS jsonb)) AS f(
    id bigint, location_policy text, description text, status_notes text, address text,
    address_id text, zipcode text, lat float8, long float8, district_id integer,
    listed boolean, attributes jsonb)
WHERE sr.id = f.id
""")

_UPDATE_ROWS = text("""
SELECT u.id, u.description, j.holiday_country AS country
FROM request_updates u JOIN jurisdictions j ON j.id = u.jurisdiction_id
WHERE u.id > :after AND u.public AND u.description IS NOT NULL
  AND (CAST(:jurisdiction AS text) IS NULL OR u.jurisdiction_id = :jurisdiction)
ORDER BY u.id LIMIT :batch
""")

_STORE_UPDATES = text("""
UPDATE request_updates u SET public_description = f.description
FROM jsonb_to_recordset(CAST(:forms AS jsonb)) AS f(id bigint, description text)
WHERE u.id = f.id
""")


def _json(rows: Iterable[dict[str, Any]]) -> str:
    return json.dumps(list(rows), ensure_ascii=False)


def refresh_public_forms(session: DbSession, *, jurisdiction_id: str | None = None,
                         service_id: int | None = None, updates: bool = True,
                         batch_size: int = BATCH_SIZE) -> int:
    """Recompute the stored public form of every request (of one jurisdiction or service) in
    batches of `batch_size`, and of their public history rows; returns the requests done.
    For writes made in SQL: the demo load, a catalog change, the migration's backfill."""
    after, done = 0, 0
    while True:
        rows = session.execute(_SOURCE_ROWS, {"after": after, "jurisdiction": jurisdiction_id,
                                              "service": service_id,
                                              "batch": batch_size}).all()
        if not rows:
            break
        forms = []
        for row in rows:
            policy = strictest(row.stored_policy, row.policy)
            form = public_form(RequestValues(row.description, row.status_notes, row.address,
                                             row.address_id, row.zipcode, row.lat, row.long,
                                             row.district_id, row.attributes),
                               policy, row.country or DEFAULT_REGION)
            forms.append({"id": row.id, **form.__dict__})
        session.execute(_STORE_ROWS, {"forms": _json(forms)})
        after, done = rows[-1].id, done + len(rows)
    if updates and service_id is None:
        refresh_update_texts(session, jurisdiction_id=jurisdiction_id, batch_size=batch_size)
    return done


def refresh_update_texts(session: DbSession, *, jurisdiction_id: str | None = None,
                         batch_size: int = BATCH_SIZE) -> None:
    """Recompute public_description of the public history rows, in batches."""
    after = 0
    while True:
        rows = session.execute(_UPDATE_ROWS, {"after": after, "jurisdiction": jurisdiction_id,
                                              "batch": batch_size}).all()
        if not rows:
            return
        session.execute(_STORE_UPDATES, {"forms": _json(
            {"id": row.id, "description": public_text(row.description,
                                                      row.country or DEFAULT_REGION)}
            for row in rows)})
        after = rows[-1].id
