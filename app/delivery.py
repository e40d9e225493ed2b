"""The outbox worker: delivers email (SMTP) and signed webhooks, at least once.

Delivery is at-least-once, not exactly-once: SMTP and HTTP give no way to deliver and record
atomically. Each event is claimed with SELECT ... FOR UPDATE SKIP LOCKED and marked delivered
(or rescheduled) in that same transaction, so parallel workers never take the same event and a
crashed worker's lock vanishes with its connection, leaving the event pending: it is never
lost. The only window for a double is a crash after the remote server accepted the message
and before the commit; receivers can drop such repeats by the stable event id (the email's
Message-ID, the webhook's X-Open311-Event-Id header).
"""

import hashlib
import hmac
import json
import smtplib
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy import select

from app.db import DbSession
from app.models import ApiKey, OutboxEvent
from app.operations.notifications import SUBSCRIPTION_KEY
from app.operations.subscriptions import UNSUBSCRIBE_PATH, unsubscribe_token

SIGNATURE_HEADER = "X-Open311-Signature"
EVENT_ID_HEADER = "X-Open311-Event-Id"
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=6)
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Transport:
    """Where deliveries go: the SMTP server, the sender, the base of links in emails
    (PUBLIC_BASE_URL) and the key signing unsubscribe links (SECRET_KEY)."""

    smtp_url: str
    mail_from: str
    base_url: str = ""
    secret_key: str = ""


def backoff(attempts: int) -> timedelta:
    """Exponential: 30 s, 1 min, 2 min, ... capped at 6 h (an outage never drops an event)."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def sign(secret: str, body: bytes) -> str:
    """HMAC-SHA256 of the body, hex, as `sha256=<digest>` (GitHub's webhook convention)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_email(transport: Transport, outbox_event: OutboxEvent) -> None:
    """Send one email over SMTP (smtp://[user:password@]host:port)."""
    url = urlsplit(transport.smtp_url)
    message = EmailMessage()
    message["From"] = transport.mail_from
    message["To"] = outbox_event.recipient
    message["Subject"] = outbox_event.payload["subject"]
    host = url.hostname or "localhost"
    message["Message-ID"] = f"<outbox-{outbox_event.id}@{host}>"
    body = outbox_event.payload["body"].replace("{base_url}", transport.base_url)
    subscription_id = outbox_event.payload.get(SUBSCRIPTION_KEY)
    if subscription_id is not None:
        # RFC 2369 and RFC 8058: mail clients show an unsubscribe button and may POST to the
        # link in one click.
        link = (f"{transport.base_url}{UNSUBSCRIBE_PATH}"
                f"{unsubscribe_token(transport.secret_key, subscription_id)}")
        message["List-Unsubscribe"] = f"<{link}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        body += f"\n\nTo stop following this request, open {link}"
    message.set_content(body)
    smtp_class = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    with smtp_class(host, url.port or 25, timeout=TIMEOUT_SECONDS) as smtp:
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        smtp.send_message(message)


def send_webhook(session: DbSession, outbox_event: OutboxEvent) -> None:
    """POST the JSON document, signed with the secret of the api key owning the URL."""
    body = json.dumps(outbox_event.payload, ensure_ascii=False).encode("utf-8")
    secret = session.scalar(select(ApiKey.webhook_secret).where(
        ApiKey.webhook_url == outbox_event.recipient, ApiKey.webhook_secret.is_not(None)))
    headers = {"Content-Type": "application/json; charset=utf-8",
               EVENT_ID_HEADER: str(outbox_event.id)}
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, body)
    if not outbox_event.recipient.startswith(("http://", "https://")):
        raise ValueError("webhook URL must be http(s)")
    call = urllib.request.Request(outbox_event.recipient, data=body, headers=headers,  # noqa: S310
                                  method="POST")
    with urllib.request.urlopen(call, timeout=TIMEOUT_SECONDS):  # noqa: S310  (checked above)
        pass  # any 2xx is a delivery; urlopen raises for 4xx/5xx


def deliver_one(session: DbSession, transport: Transport, now: datetime | None = None) -> bool:
    """Claim, send and mark one due event in one transaction; False when none is due."""
    now = now or datetime.now(UTC)
    outbox_event = session.scalar(
        select(OutboxEvent)
        .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.available_at <= now)
        .order_by(OutboxEvent.available_at, OutboxEvent.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if outbox_event is None:
        session.rollback()
        return False
    outbox_event.attempts += 1
    try:
        if outbox_event.channel == "email":
            send_email(transport, outbox_event)
        else:
            send_webhook(session, outbox_event)
    except Exception as error:  # any failure of the remote side is retried later
        outbox_event.available_at = now + backoff(outbox_event.attempts)
        outbox_event.last_error = f"{type(error).__name__}: {error}"[:2000]
    else:
        outbox_event.delivered_at = datetime.now(UTC)
        outbox_event.last_error = None
    session.commit()
    return True


def deliver_due(session: DbSession, transport: Transport) -> int:
    """Deliver every event that is due now; returns how many were tried."""
    tried = 0
    while deliver_one(session, transport):
        tried += 1
    return tried
