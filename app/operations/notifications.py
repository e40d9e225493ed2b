"""What residents, departments and apps hear: outbox rows written in the caller's transaction.

Emails carry {"subject", "body"}; `{base_url}` in a body is filled in by the worker from
PUBLIC_BASE_URL, so operations need no Flask (and no link follows a Host header). An email to a
follower also names its subscription (SUBSCRIPTION_KEY): the worker adds the unsubscribe link
and the List-Unsubscribe headers. Webhooks carry the JSON document to POST.
Nothing personal goes into a webhook; an email goes only to the reporter or a confirmed
subscriber of that request.
"""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import sla
from app.datetimes import w3c
from app.db import DbSession
from app.lookups import resolve_city
from app.models import (
    ApiKey,
    OutboxEvent,
    Reporter,
    RequestUpdate,
    ServiceRequest,
    Subscription,
    Survey,
)
from app.operations.definitions import AnyService
from app.redaction import mask_text
from app.security import hash_secret, new_secret

EMAIL, WEBHOOK = "email", "webhook"
SURVEY_PATH = "/api/v1/public/surveys/"
SUBSCRIPTION_KEY = "subscription_id"


def queue(session: DbSession, service_request: ServiceRequest, *, channel: str, event: str,
          recipient: str, payload: dict[str, Any]) -> OutboxEvent:
    """One outbox row, delivered later by `outbox work`."""
    outbox_event = outbox_row(service_request, channel=channel, event=event,
                              recipient=recipient, payload=payload)
    session.add(outbox_event)
    return outbox_event


def outbox_row(service_request: ServiceRequest, *, channel: str, event: str, recipient: str,
               payload: dict[str, Any]) -> OutboxEvent:
    """An outbox row of a request, not yet added to a session."""
    return OutboxEvent(
        jurisdiction_id=service_request.jurisdiction_id,
        service_request_id=service_request.id,
        channel=channel,
        event=event,
        recipient=recipient,
        payload=payload,
        attempts=0,
    )


def _zone(session: DbSession, service_request: ServiceRequest) -> ZoneInfo:
    return ZoneInfo(resolve_city(session, service_request.jurisdiction_id).timezone)


def resident_recipients(session: DbSession,
                        service_request: ServiceRequest) -> dict[str, int | None]:
    """The reporter's email and confirmed subscribers, each once, with the subscription id
    of a follower (None for the reporter, who did not subscribe)."""
    recipients: dict[str, int | None] = {}
    reporter = _reporter_email(session, service_request)
    if reporter:
        recipients[reporter] = None
    for subscription_id, email in session.execute(
            select(Subscription.id, Subscription.email).where(
                Subscription.service_request_id == service_request.id,
                Subscription.confirmed_at.is_not(None))):
        recipients.setdefault(email, subscription_id)
    return recipients


def _reporter_email(session: DbSession, service_request: ServiceRequest) -> str | None:
    return session.scalar(select(Reporter.email).where(
        Reporter.service_request_id == service_request.id))


def submitted_confirmation(session: DbSession, service_request: ServiceRequest,
                           service: AnyService, email: str | None) -> OutboxEvent | None:
    """The outbox row (not yet added to the session) of the confirmation to the reporter at
    `email` (the one stored with the report, passed in rather than read back): the id, the
    deadline, and why it is far off if it is."""
    if not email:
        return None
    lines = [f"We received your {service.service_name} request #{service_request.id}."]
    if service_request.deadline:
        lines.append(f"We expect to handle it by "
                     f"{w3c(service_request.deadline, _zone(session, service_request))}.")
    if service.sla_days and service.sla_days > sla.LONG_SLA_DAYS and service.sla_explanation:
        lines.append(f"Why it takes {service.sla_days} days: {service.sla_explanation}")
    return outbox_row(service_request, channel=EMAIL, event="request.confirmation",
                      recipient=email, payload={"subject": f"Your 311 request "
                                                           f"#{service_request.id}",
                                                "body": "\n\n".join(lines)})


def _webhook_document(session: DbSession, service_request: ServiceRequest,
                      update: RequestUpdate) -> dict[str, Any]:
    zone = _zone(session, service_request)
    return {
        "event": "request.status_changed",
        "service_request_id": str(service_request.id),
        "update_id": str(update.id),
        "status": service_request.status,
        "detailed_status": service_request.detailed_status,
        "state_code": service_request.state_code,
        "status_notes": mask_text(service_request.status_notes),
        "updated_datetime": w3c(update.created_at, zone),
        "expected_datetime": w3c(service_request.deadline, zone),
    }


def notify_status_change(session: DbSession, service_request: ServiceRequest,
                         update: RequestUpdate) -> None:
    """Email the reporter and subscribers; POST a signed webhook to the filing app."""
    state = service_request.detailed_status.replace("_", " ")
    body = f"Your 311 request #{service_request.id} is now {state}."
    if update.description and update.public:
        body += f"\n\n{update.description}"
    for email, subscription_id in resident_recipients(session, service_request).items():
        payload: dict[str, Any] = {"subject": f"311 request #{service_request.id}: {state}",
                                   "body": body}
        if subscription_id is not None:
            payload[SUBSCRIPTION_KEY] = subscription_id
        queue(session, service_request, channel=EMAIL, event="request.status_changed",
              recipient=email, payload=payload)
    if service_request.api_key_id:
        api_key = session.get(ApiKey, service_request.api_key_id)
        if api_key and api_key.webhook_url and api_key.revoked_at is None:
            queue(session, service_request, channel=WEBHOOK, event="request.status_changed",
                  recipient=api_key.webhook_url,
                  payload=_webhook_document(session, service_request, update))


def notify_closure(session: DbSession, service_request: ServiceRequest) -> None:
    """On closure, a satisfaction survey link to the reporter, once per request.

    Call it for each request that closes, including duplicates closed with their parent."""
    email = _reporter_email(session, service_request)
    exists = session.scalar(select(Survey.id).where(
        Survey.service_request_id == service_request.id))
    if not email or exists:
        return
    token = new_secret(24)
    session.add(Survey(service_request_id=service_request.id, token_hash=hash_secret(token)))
    queue(session, service_request, channel=EMAIL, event="request.survey", recipient=email,
          payload={
        "subject": f"How did we do on 311 request #{service_request.id}?",
        "body": (f"Your request #{service_request.id} is closed. Tell us how satisfied you "
                 f"are (1 unsatisfied, 2 neutral, 3 satisfied), once, by posting "
                 f'{{"rating": 1..3, "comment": "..."}} to {{base_url}}{SURVEY_PATH}{token}'),
    })


def notify_department(session: DbSession, service_request: ServiceRequest, event: str,
                      subject: str, body: str) -> bool:
    """An email to the request's department; False when it has no address."""
    department = service_request.department
    if department is None or not department.email:
        return False
    queue(session, service_request, channel=EMAIL, event=event, recipient=department.email,
          payload={"subject": subject, "body": body})
    return True


def at(moment: datetime | None, session: DbSession, service_request: ServiceRequest) -> str | None:
    """A moment in the request's local time, for email text."""
    return w3c(moment, _zone(session, service_request))
