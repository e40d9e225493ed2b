"""Escalation, after Houston 311: only for overdue, imminent-threat, recurring or unsatisfied
requests; anything else is refused with the reason."""

from datetime import datetime, timedelta

from sqlalchemy import exists, select

from app import workflow
from app.db import DbSession
from app.exceptions import BadRequest, Conflict
from app.models import RequestUpdate, ServiceRequest, Survey
from app.operations.history import record
from geo.nearby import within_metres_of


def _earlier_nearby(service_request: ServiceRequest, radius_m: int):
    """Earlier requests of the same service within `radius_m` in the recurring window."""
    since = service_request.requested_at - timedelta(days=workflow.RECURRING_WINDOW_DAYS)
    return select(ServiceRequest.id).where(
        ServiceRequest.id != service_request.id,
        ServiceRequest.service_id == service_request.service_id,
        ServiceRequest.requested_at >= since,
        ServiceRequest.requested_at <= service_request.requested_at,
        within_metres_of(ServiceRequest.location, service_request.location, radius_m),
    )


def _nearby_problem(session: DbSession, service_request: ServiceRequest,
                    reason: str) -> str | None:
    """Recurring and unsatisfied look at earlier requests of the same service nearby."""
    radius = service_request.service.duplicate_radius_m
    if service_request.location is None or not radius:
        return f"{reason} needs a located request of a service with a duplicate radius"
    earlier = _earlier_nearby(service_request, radius)
    if reason == workflow.RECURRING:
        if session.scalar(select(exists(earlier))):
            return None
        return (f"no earlier {service_request.service.service_code} request within {radius} m "
                f"in the last {workflow.RECURRING_WINDOW_DAYS} days")
    unsatisfied = earlier.join(Survey, Survey.service_request_id == ServiceRequest.id).where(
        ServiceRequest.status == "closed",
        ServiceRequest.state_code.in_(workflow.WITHOUT_ACTION_CODES),
        Survey.rating == workflow.RATING_MIN,
    )
    if session.scalar(select(exists(unsatisfied))):
        return None
    return "no earlier request here was closed without action and rated unsatisfied"


def ineligibility(session: DbSession, service_request: ServiceRequest, reason: str,
                  now: datetime) -> str | None:
    """Why this request may not be escalated for `reason`, or None when it may."""
    if reason == workflow.IMMINENT_THREAT:
        return None
    if reason == workflow.OVERDUE:
        if service_request.deadline is not None and now > service_request.deadline:
            return None
        return "the request is not past its deadline"
    return _nearby_problem(session, service_request, reason)


def escalate(session: DbSession, service_request: ServiceRequest, reason: str, note: str | None,
             *, actor: str, now: datetime) -> RequestUpdate:
    """Escalate a locked open request for an eligible reason; 409 with the reason otherwise."""
    if reason not in workflow.ESCALATION_REASONS:
        raise BadRequest(f"reason must be one of {', '.join(workflow.ESCALATION_REASONS)}")
    if service_request.status != "open":
        raise Conflict("a closed request cannot be escalated")
    if service_request.escalated_at is not None:
        raise Conflict(f"already escalated ({service_request.escalation_reason})")
    why_not = ineligibility(session, service_request, reason, now)
    if why_not:
        raise Conflict(f"not eligible for escalation as {reason}: {why_not}")
    service_request.escalated_at = now
    service_request.escalation_reason = reason
    service_request.updated_at = now
    return record(session, service_request, actor, "escalation", now, public=False,
                  description=note or f"Escalated: {reason}", data={"reason": reason})
