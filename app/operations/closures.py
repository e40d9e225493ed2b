"""Administrative closures: a batch by service and age, and the expiry of old requests."""

from datetime import datetime, timedelta

from sqlalchemy import select

from app import workflow
from app.db import DbSession
from app.exceptions import BadRequest
from app.models import Jurisdiction, Service, ServiceRequest
from app.operations.definitions import find_service
from app.operations.transitions import TransitionForm, check_state_code, state_codes, transition

EXPIRED_CODE = "ADMIN_EXPIRED"
EXPIRY_ACTOR = "system:expiry"


def _close_all(session: DbSession, query, form: TransitionForm, actor: str,
               now: datetime) -> list[int]:
    # Row locks in id order, so two batches never deadlock; locked rows are left to whoever
    # holds them (a staff member mid-change) and picked up by the next run.
    rows = session.scalars(
        query.where(ServiceRequest.status == "open").order_by(ServiceRequest.id)
        .with_for_update(skip_locked=True)
    ).all()
    closed = []
    for service_request in rows:
        # A duplicate may already have closed with its parent earlier in this batch.
        if service_request.status == "open":
            transition(session, service_request, form, actor, now)
            closed.append(service_request.id)
    return closed


def close_batch(session: DbSession, jurisdiction: Jurisdiction, *, service_code: str,
                requested_before: datetime, state_code: str, description: str | None,
                actor: str, now: datetime) -> list[int]:
    """Close every open request of a service filed before a date; returns their ids."""
    service = find_service(session, jurisdiction, service_code)
    info = state_codes(session, jurisdiction.id).get(state_code)
    if info is None:
        raise BadRequest(f"state_code {state_code!r} is unknown")
    check_state_code(session, jurisdiction.id, state_code, info.closes_as)
    if info.closes_as == workflow.RESOLVED and not description:
        raise BadRequest("description is required to resolve requests")
    query = select(ServiceRequest).where(ServiceRequest.service_id == service.id,
                                         ServiceRequest.requested_at < requested_before)
    form = TransitionForm(to=info.closes_as, state_code=state_code, description=description)
    return _close_all(session, query, form, actor, now)


def expire_requests(session: DbSession, now: datetime) -> list[int]:
    """Cancel, as ADMIN_EXPIRED, open requests older than their service's expire_after_days."""
    closed: list[int] = []
    expiring = session.scalars(select(Service).where(Service.expire_after_days.is_not(None)))
    for service in expiring.all():
        cutoff = now - timedelta(days=service.expire_after_days or 0)
        query = select(ServiceRequest).where(ServiceRequest.service_id == service.id,
                                             ServiceRequest.requested_at < cutoff)
        form = TransitionForm(to=workflow.CANCELLED, state_code=EXPIRED_CODE)
        closed += _close_all(session, query, form, EXPIRY_ACTOR, now)
    return closed
