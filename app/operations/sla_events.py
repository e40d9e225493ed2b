"""SLA events for departments: one warning at 75 % of the SLA used, one when overdue."""

from datetime import datetime

from sqlalchemy import and_, extract, literal, or_, select

from app.db import DbSession
from app.models import ServiceRequest
from app.operations.notifications import at, notify_department

WARN_AT = 0.75


def check_sla(session: DbSession, now: datetime) -> dict[str, int]:
    """Write each due event once (the request's sla_warned_at / overdue_notified_at say it was
    written); paused requests are skipped, their clock is stopped."""
    elapsed = extract("epoch", literal(now) - ServiceRequest.requested_at)
    allowed = extract("epoch", ServiceRequest.deadline - ServiceRequest.requested_at)
    due = session.scalars(
        select(ServiceRequest).where(
            ServiceRequest.status == "open",
            ServiceRequest.deadline.is_not(None),
            ServiceRequest.paused_at.is_(None),
            or_(and_(ServiceRequest.sla_warned_at.is_(None), elapsed >= allowed * WARN_AT),
                and_(ServiceRequest.overdue_notified_at.is_(None),
                     ServiceRequest.deadline < now)),
        ).order_by(ServiceRequest.id).with_for_update(skip_locked=True)
    ).all()
    counts = {"warned": 0, "overdue": 0}
    for service_request in due:
        label = f"{service_request.service.service_name} request #{service_request.id}"
        deadline = at(service_request.deadline, session, service_request)
        if service_request.deadline and service_request.deadline < now:
            notify_department(session, service_request, "sla.overdue", f"OVERDUE: {label}",
                              f"{label} passed its deadline ({deadline}) and is still open.")
            service_request.overdue_notified_at = now
            counts["overdue"] += 1
        else:
            notify_department(session, service_request, "sla.warning",
                              f"75% of SLA used: {label}",
                              f"{label} has used 75% of its SLA; it is due {deadline}.")
            counts["warned"] += 1
        # Overdue implies the warning moment has passed too: one event, not two.
        service_request.sla_warned_at = service_request.sla_warned_at or now
    session.flush()
    return counts
