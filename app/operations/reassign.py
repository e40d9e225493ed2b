"""Routing a request to another department or service type; the deadline follows."""

from datetime import datetime, timedelta

from sqlalchemy import select

from app import sla
from app.db import DbSession
from app.exceptions import BadRequest, Conflict, NotFound
from app.lookups import jurisdiction_of
from app.models import Department, RequestUpdate, ServiceRequest
from app.operations.definitions import find_service
from app.operations.history import record
from app.operations.submit import compute_deadline, ensure_may_file, work_calendar
from app.operations.transitions import move_deadline


def _paused_so_far(session: DbSession, service_request: ServiceRequest) -> timedelta:
    """The SLA pauses already granted, from the history, so that a new deadline keeps them."""
    seconds = session.scalars(
        select(RequestUpdate.data["paused_seconds"].as_integer()).where(
            RequestUpdate.service_request_id == service_request.id,
            RequestUpdate.kind == "sla_paused")
    ).all()
    return timedelta(seconds=sum(seconds))


def reassign(session: DbSession, service_request: ServiceRequest, *,
             department_code: str | None, service_code: str | None, actor: str,
             now: datetime, staff_role: str | None = None) -> RequestUpdate:
    """Move a locked open request to a department or a service (and its department);
    the deadline is recomputed from the filing time, keeping pauses already granted. A
    restricted service takes only requests its roles could have filed."""
    if bool(department_code) == bool(service_code):
        raise BadRequest("give either department or service_code")
    if service_request.status != "open":
        raise Conflict("a closed request cannot be reassigned; reopen it first")
    jurisdiction = jurisdiction_of(session, service_request)
    before = {"service_code": service_request.service.service_code,
              "department": service_request.department.code if service_request.department
              else None,
              "deadline": service_request.deadline.isoformat() if service_request.deadline
              else None}
    if service_code:
        service = find_service(session, jurisdiction, service_code)
        ensure_may_file(service, staff_role)
        service_request.service = service
        service_request.department_id = service.department_id
    else:
        department = session.scalar(select(Department).where(
            Department.jurisdiction_id == jurisdiction.id, Department.code == department_code))
        if department is None:
            raise NotFound(f"department {department_code!r} was not found")
        service_request.department_id = department.id
    session.flush()
    session.refresh(service_request, ["department", "service"])
    service = service_request.service
    deadline = compute_deadline(jurisdiction, service, service_request.requested_at)
    if deadline is not None:
        deadline = sla.extend_deadline(deadline, _paused_so_far(session, service_request),
                                       service.sla_calendar, work_calendar(jurisdiction))
    move_deadline(service_request, deadline, now)
    service_request.updated_at = now
    after = {"service_code": service.service_code,
             "department": service_request.department.code if service_request.department
             else None,
             "deadline": deadline.isoformat() if deadline else None}
    return record(session, service_request, actor, "reassign", now, public=False,
                  description=f"Reassigned from {before['department']}/{before['service_code']}"
                              f" to {after['department']}/{after['service_code']}",
                  data={"from": before, "to": after})
