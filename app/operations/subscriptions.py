"""Following a request by email: a confirmation link first, then updates; every email to a
follower carries a link (and a List-Unsubscribe header) that stops it.

Links are written as `{base_url}/...`: the outbox worker fills in PUBLIC_BASE_URL, so a link
never depends on the Host header of the request that asked for it.
"""

from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, exists, select

from app.db import DbSession
from app.exceptions import NotFound
from app.models import OutboxEvent, ServiceRequest, Subscription
from app.operations.notifications import EMAIL, SUBSCRIPTION_KEY, queue
from app.security import hash_secret, new_secret
from app.usage_limits import CONFIRMATIONS_PER_RECIPIENT, within_limit

CONFIRM_EVENT = "subscription_confirm"
CONFIRM_PATH = "/api/v1/public/subscriptions/confirm/"
UNSUBSCRIBE_PATH = "/api/v1/public/subscriptions/unsubscribe/"
# While a confirmation link is this fresh, asking again sends nothing: one pending
# confirmation per address and request.
PENDING_FOR = timedelta(days=1)
_UNSUBSCRIBE_SALT = "open311-unsubscribe"


def _pending_confirmation(session: DbSession, service_request: ServiceRequest, address: str,
                          now: datetime) -> bool:
    return bool(session.scalar(select(exists().where(
        OutboxEvent.service_request_id == service_request.id,
        OutboxEvent.event == CONFIRM_EVENT,
        OutboxEvent.recipient == address,
        OutboxEvent.created_at > now - PENDING_FOR,
    ))))


def subscribe(session: DbSession, service_request: ServiceRequest, address: str, *,
              per_recipient_per_day: int, secret_key: str,
              now: datetime | None = None) -> Subscription | None:
    """Record an unconfirmed subscription of a valid `address` and queue its confirmation
    email; None when no email is sent.

    Nobody can mail a stranger repeatedly by subscribing them: an address already confirmed
    gets no email, a confirmation still pending (younger than PENDING_FOR) is not sent again,
    and an address gets at most `per_recipient_per_day` confirmations a day, whatever the
    requests and the clients asking. The caller answers the same in every case."""
    now = now or datetime.now(UTC)
    subscription = session.scalar(
        select(Subscription).where(Subscription.service_request_id == service_request.id,
                                   Subscription.email == address)
    )
    if subscription is not None and subscription.confirmed_at is not None:
        return None
    if _pending_confirmation(session, service_request, address, now):
        return None
    if not within_limit(session, CONFIRMATIONS_PER_RECIPIENT, address, per_recipient_per_day,
                        secret_key):
        return None
    token = new_secret()
    if subscription is None:
        subscription = Subscription(service_request_id=service_request.id, email=address,
                                    token_hash=hash_secret(token))
        session.add(subscription)
    else:  # an expired link: a fresh one replaces it
        subscription.token_hash = hash_secret(token)
    session.flush()
    queue(session, service_request, channel=EMAIL, event=CONFIRM_EVENT, recipient=address,
          payload={
              "subject": f"Confirm: follow 311 request #{service_request.id}",
              "body": (f"Someone, probably you, asked to follow 311 request "
                       f"#{service_request.id} at this address. To receive its updates, open "
                       f"this link:\n\n{{base_url}}{CONFIRM_PATH}{token}\n\nIf you did not "
                       f"ask, ignore this email: nothing more will be sent."),
              SUBSCRIPTION_KEY: subscription.id,
          })
    session.flush()
    return subscription


def confirm(session: DbSession, token: str) -> Subscription:
    """Confirm the subscription a link stands for; 404 for an unknown or replaced link."""
    subscription = session.scalar(
        select(Subscription).where(Subscription.token_hash == hash_secret(token))
    )
    if subscription is None:
        raise NotFound("this confirmation link is not valid (it may have been replaced by a "
                       "newer one)")
    if subscription.confirmed_at is None:
        subscription.confirmed_at = datetime.now(UTC)
        session.flush()
    return subscription


def unsubscribe_token(secret_key: str, subscription_id: int) -> str:
    """The signed token of a subscription's unsubscribe link (nothing stored: the signature
    is the proof)."""
    return str(URLSafeSerializer(secret_key, salt=_UNSUBSCRIBE_SALT).dumps(subscription_id))


def unsubscribe(session: DbSession, token: str, secret_key: str) -> None:
    """Delete the subscription a signed token names; an already deleted one is no error (the
    link is idempotent), a forged token is 404."""
    try:
        subscription_id = URLSafeSerializer(secret_key, salt=_UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        raise NotFound("this unsubscribe link is not valid") from None
    session.execute(delete(Subscription).where(Subscription.id == int(subscription_id)))
    session.flush()
