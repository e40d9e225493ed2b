"""Finding the jurisdiction a call is about: optional with one, required with several."""

from sqlalchemy import func, select

from app.db import DbSession
from app.exceptions import BadRequest, NotFound
from app.models import Jurisdiction, ServiceRequest


def resolve_jurisdiction(session: DbSession, jurisdiction_id: str | None) -> Jurisdiction:
    """The jurisdiction named, or the only one; 400 when several and none named, 404 unknown."""
    if jurisdiction_id:
        jurisdiction = session.get(Jurisdiction, jurisdiction_id)
        if jurisdiction is None:
            raise NotFound(f"jurisdiction_id {jurisdiction_id!r} was not found")
        return jurisdiction
    found = session.scalars(select(Jurisdiction).limit(2)).all()
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound("no jurisdiction is configured on this server")
    count = session.scalar(select(func.count()).select_from(Jurisdiction))
    raise BadRequest(f"jurisdiction_id is required: this server serves {count} jurisdictions")


def jurisdiction_of(session: DbSession, service_request: ServiceRequest) -> Jurisdiction:
    """The jurisdiction a stored request belongs to (its foreign key guarantees one)."""
    jurisdiction = session.get(Jurisdiction, service_request.jurisdiction_id)
    if jurisdiction is None:
        raise NotFound(f"jurisdiction {service_request.jurisdiction_id!r} was not found")
    return jurisdiction
