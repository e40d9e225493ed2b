"""Retries never duplicate: a POST repeated with the same Idempotency-Key (kept 24 hours), or
the same api key, device and body within ten minutes, returns the first request.

Two identical retries can race; an advisory lock on the key serialises them so the second
sees the first's row instead of filing again.
"""

import hashlib
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import IdempotencyKey, ServiceRequest

HEADER_KEY_TTL = timedelta(hours=24)
IMPLICIT_WINDOW = timedelta(minutes=10)
MAX_KEY_LENGTH = 200


def implicit_key(device_id: str | None, form: list[tuple[str, str]]) -> str:
    """A key for a POST without Idempotency-Key: the device and the whole body, api_key aside."""
    body = sorted((k, v) for k, v in form if k != "api_key")
    digest = hashlib.sha256(json.dumps([device_id or "", body]).encode()).hexdigest()
    return f"body:{digest}"


def claim(session: Session, api_key_id: int, key: str, explicit: bool,
          now: datetime | None = None) -> ServiceRequest | None:
    """Lock the key for this transaction and return the request it already stands for, if it
    was used within its window."""
    now = now or datetime.now(UTC)
    session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(
        f"{api_key_id}:{key}", 0))))
    window = HEADER_KEY_TTL if explicit else IMPLICIT_WINDOW
    return session.scalar(
        select(ServiceRequest)
        .join(IdempotencyKey, IdempotencyKey.service_request_id == ServiceRequest.id)
        .where(IdempotencyKey.api_key_id == api_key_id, IdempotencyKey.key == key,
               IdempotencyKey.created_at > now - window)
    )


def remember(session: Session, api_key_id: int, key: str, service_request: ServiceRequest,
             now: datetime | None = None) -> None:
    """Record the request a key produced (replacing an expired record of the same key)."""
    now = now or datetime.now(UTC)
    existing = session.scalar(select(IdempotencyKey).where(
        IdempotencyKey.api_key_id == api_key_id, IdempotencyKey.key == key))
    if existing is None:
        session.add(IdempotencyKey(api_key_id=api_key_id, key=key,
                                   service_request_id=service_request.id, created_at=now))
    else:
        existing.service_request_id = service_request.id
        existing.created_at = now
    session.flush()
