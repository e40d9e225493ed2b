"""Moving a request through the lifecycle table of app.workflow, one locked row at a time."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app import sla, workflow
from app.db import DbSession
from app.exceptions import BadRequest, Conflict, NotFound
from app.lookups import jurisdiction_of
from app.models import RequestUpdate, ServiceRequest, StateCode
from app.operations import duplicates
from app.operations.history import record
from app.operations.notifications import notify_closure, notify_status_change
from app.operations.submit import Actor, work_calendar


@dataclass
class TransitionForm:
    """A requested move: the target state, and the closure code and description it needs."""

    to: str
    state_code: str | None = None
    description: str | None = None


def lock_request(session: DbSession, service_request_id: int | str) -> ServiceRequest:
    """SELECT ... FOR UPDATE the request, so that concurrent changes queue; 404 if absent."""
    if not str(service_request_id).isdigit() or len(str(service_request_id)) > 18:
        raise NotFound(f"service request {service_request_id!r} was not found")
    service_request = session.scalar(
        select(ServiceRequest).where(ServiceRequest.id == int(service_request_id))
        .with_for_update()
    )
    if service_request is None:
        raise NotFound(f"service request {service_request_id!r} was not found")
    return service_request


def state_codes(session: DbSession, jurisdiction_id: str) -> dict[str, workflow.StateCodeInfo]:
    """The defaults of app.workflow, extended (or relabelled) by the catalog's state_codes."""
    codes = {info.code: info for info in workflow.DEFAULT_STATE_CODES}
    for row in session.scalars(select(StateCode).where(
            StateCode.jurisdiction_id == jurisdiction_id)):
        codes[row.code] = workflow.StateCodeInfo(row.code, row.closes_as, row.label)
    return codes


def check_state_code(session: DbSession, jurisdiction_id: str, code: str,
                     closes_as: str) -> workflow.StateCodeInfo:
    """The state code, if it exists and closes as `closes_as`; 400 otherwise."""
    known = state_codes(session, jurisdiction_id)
    info = known.get(code)
    if info is None:
        raise BadRequest(f"state_code {code!r} is unknown; known: {', '.join(sorted(known))}")
    if info.closes_as != closes_as:
        raise BadRequest(f"state_code {code!r} closes a request as {info.closes_as}, "
                         f"not {closes_as}")
    return info


def _validate(session: DbSession, service_request: ServiceRequest,
              form: TransitionForm) -> workflow.StateCodeInfo | None:
    current = service_request.detailed_status
    if form.to not in workflow.ALL_STATES:
        raise BadRequest(f"to must be one of {', '.join(workflow.ALL_STATES)}")
    if not workflow.is_allowed(current, form.to):
        allowed = ", ".join(workflow.ALLOWED_TRANSITIONS.get(current, ())) or "nothing"
        raise Conflict(f"a {current} request cannot move to {form.to} (allowed: {allowed})")
    if form.to in workflow.REQUIRES_STATE_CODE and not form.state_code:
        raise BadRequest(f"state_code is required to move to {form.to}")
    if form.state_code and form.to not in workflow.REQUIRES_STATE_CODE:
        raise BadRequest("state_code is only for resolved or cancelled")
    if workflow.requires_description(current, form.to) and not form.description:
        what = "reopening" if current in workflow.CLOSED_STATES else f"moving to {form.to}"
        raise BadRequest(f"description is required for {what}")
    if form.state_code:
        return check_state_code(session, service_request.jurisdiction_id, form.state_code,
                                form.to)
    return None


def resume_clock(session: DbSession, service_request: ServiceRequest, actor: str,
                 now: datetime) -> None:
    """Leaving a paused state: the deadline moves by the paused time in the service's
    calendar, and the history says so."""
    paused_at = service_request.paused_at
    service_request.paused_at = None
    if paused_at is None or service_request.deadline is None:
        return
    service = service_request.service
    calendar = work_calendar(jurisdiction_of(session, service_request))
    pause = sla.paused_duration(paused_at, now, service.sla_calendar, calendar)
    old_deadline = service_request.deadline
    new_deadline = sla.extend_deadline(old_deadline, pause, service.sla_calendar, calendar)
    move_deadline(service_request, new_deadline, now)
    record(session, service_request, actor, "sla_paused", now, public=False,
           description=(f"SLA clock stopped while {service_request.detailed_status}: "
                        f"deadline moved by {pause} of {service.sla_calendar} time"),
           data={"paused_seconds": int(pause.total_seconds()),
                 "paused_from": paused_at.isoformat(), "paused_to": now.isoformat(),
                 "deadline_from": old_deadline.isoformat(),
                 "deadline_to": new_deadline.isoformat()})


def move_deadline(service_request: ServiceRequest, deadline: datetime | None,
                  now: datetime) -> None:
    """Set a new deadline; the SLA warnings may fire again for one still ahead."""
    service_request.deadline = deadline
    if deadline is not None and deadline > now:
        service_request.overdue_notified_at = None
        service_request.sla_warned_at = None


def transition(session: DbSession, service_request: ServiceRequest, form: TransitionForm,
               actor: str, now: datetime) -> RequestUpdate:
    """Apply one move of the lifecycle to a row locked with lock_request."""
    code = _validate(session, service_request, form)
    current = service_request.detailed_status
    if current in workflow.PAUSED_STATES:
        resume_clock(session, service_request, actor, now)
    if form.to in workflow.PAUSED_STATES:
        service_request.paused_at = now
    service_request.detailed_status = form.to
    service_request.status = workflow.open311_status(form.to)
    service_request.updated_at = now
    if form.to in workflow.CLOSED_STATES:
        service_request.closed_at = now
        service_request.state_code = form.state_code
        # GeoReport v2 status_notes: the work done, or the closure reason's label.
        service_request.status_notes = form.description or (code.label if code else None)
    elif current in workflow.CLOSED_STATES:
        service_request.closed_at = None
        service_request.state_code = None
        service_request.status_notes = form.description
    update = record(session, service_request, actor, "status", now,
                    from_status=current, to_status=form.to, state_code=form.state_code,
                    description=form.description)
    notify_status_change(session, service_request, update)
    if form.to in workflow.CLOSED_STATES:
        after_close(session, service_request, actor, now)
    return update


def after_close(session: DbSession, service_request: ServiceRequest, actor: str,
                now: datetime) -> None:
    """Everything that follows a closure: the reporter's survey, and the open duplicates that
    close with it, whose reporters hear about it as the parent's do."""
    notify_closure(session, service_request)
    for child, update in duplicates.cascade_closure(session, service_request, Actor(actor),
                                                    now):
        notify_status_change(session, child, update)
        notify_closure(session, child)
