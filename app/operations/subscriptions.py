"""Following a request by email: a confirmation link first, then updates."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from app.db import DbSession
from app.exceptions import NotFound
from app.models import OutboxEvent, ServiceRequest, Subscription
from app.security import hash_secret, new_secret

CONFIRM_EVENT = "subscription_confirm"


@dataclass(frozen=True)
class ConfirmLink:
    """Builds the public confirmation URL from a clear token (the view knows the base URL)."""

    url_template: str  # with one {token} placeholder

    def for_token(self, token: str) -> str:
        """The URL a subscriber opens."""
        return self.url_template.format(token=token)


def subscribe(session: DbSession, service_request: ServiceRequest, email: str,
              link: ConfirmLink) -> Subscription:
    """Record an unconfirmed subscription and queue its confirmation email.

    Asking again sends a fresh link (the old one stops working); an address already confirmed
    gets no email, so that nobody can mail a stranger by subscribing them repeatedly."""
    address = email.strip()
    subscription = session.scalar(
        select(Subscription).where(Subscription.service_request_id == service_request.id,
                                   Subscription.email == address)
    )
    if subscription is not None and subscription.confirmed_at is not None:
        return subscription
    token = new_secret()
    if subscription is None:
        subscription = Subscription(service_request_id=service_request.id, email=address,
                                    token_hash=hash_secret(token))
        session.add(subscription)
    else:
        subscription.token_hash = hash_secret(token)
    session.add(OutboxEvent(
        jurisdiction_id=service_request.jurisdiction_id,
        service_request_id=service_request.id,
        channel="email",
        event=CONFIRM_EVENT,
        recipient=address,
        payload={"service_request_id": str(service_request.id),
                 "confirm_url": link.for_token(token)},
    ))
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
