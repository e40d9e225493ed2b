"""Retries never duplicate: a POST repeated with the same Idempotency-Key (kept 24 hours), or
an Open311 POST with the same api key, device_id and body within ten minutes, returns the first
request.

A key belongs to its sender: the api key of an app, or the staff user. Without a header, only
a POST naming a device_id is matched on its body: two residents may send identical reports
through the same web portal, and both must be filed (the second links as a duplicate).

A key names one body: its hash is stored with it, and a replay with another body is refused
with 422 (the IETF Idempotency-Key draft and Stripe do the same) rather than answered with the
first request, which would silently drop the second, different report.

Two identical retries can race; an advisory lock on the key serialises them so the second
sees the first's row instead of filing again.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.db import DbSession
from app.exceptions import BadRequest, UnprocessableContent
from app.models import IdempotencyKey, ServiceRequest
from app.operations.round_trips import compiled, pipelined

HEADER_KEY_TTL = timedelta(hours=24)
IMPLICIT_WINDOW = timedelta(minutes=10)
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Owner:
    """Who sent the key: an app's api key or a staff user (exactly one)."""

    api_key_id: int | None = None
    staff_user_id: int | None = None

    def lock_name(self, key: str) -> str:
        """The advisory lock's name for this owner's key."""
        return f"{self.api_key_id}:{self.staff_user_id}:{key}"

    def matches(self):
        """The WHERE clause selecting this owner's keys."""
        if self.api_key_id is not None:
            return IdempotencyKey.api_key_id == self.api_key_id
        return IdempotencyKey.staff_user_id == self.staff_user_id


def header_key(value: str) -> str:
    """The stored key of an Idempotency-Key header; any text up to MAX_KEY_LENGTH characters."""
    value = value.strip()
    if not value or len(value) > MAX_KEY_LENGTH:
        raise BadRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
    # Hashed so that any characters fit the column and keys of one shape never clash with body
    # keys.
    return "header:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def body_hash(body: object) -> str:
    """sha256 of a body in a canonical form: form pairs sorted (api_key aside, being the
    credential, not the content), JSON with sorted keys."""
    if isinstance(body, list):
        body = sorted((k, v) for k, v in body if k != "api_key")
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def implicit_key(device_id: str | None, form: Iterable[tuple[str, str]]) -> str:
    """A key for a POST without Idempotency-Key: the device and the whole body, api_key aside."""
    body = sorted((k, v) for k, v in form if k != "api_key")
    digest = hashlib.sha256(json.dumps([device_id or "", body]).encode()).hexdigest()
    return f"body:{digest}"


def retry_key(header: str | None, device_id: str | None,
              form: Iterable[tuple[str, str]] | None) -> tuple[str, bool] | None:
    """(key, explicit) for a POST, or None when it carries neither a header nor (with a body to
    match) a device_id."""
    if header is not None:
        return header_key(header), True
    if device_id and form is not None:
        return implicit_key(device_id, form), False
    return None


# The key's lock, taken in the round trip that reads what the key stands for.
_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended(%(name)s, 0))"


def claim(session: DbSession, owner: Owner, key: str, explicit: bool, *,
          content_hash: str | None = None, now: datetime | None = None,
          ) -> ServiceRequest | None:
    """Lock the key for this transaction and return the request it already stands for, if it
    was used within its window; 422 when it was used with another body."""
    now = now or datetime.now(UTC)
    window = HEADER_KEY_TTL if explicit else IMPLICIT_WINDOW
    lookup = select(IdempotencyKey.service_request_id, IdempotencyKey.body_hash).where(
        owner.matches(), IdempotencyKey.key == key, IdempotencyKey.created_at > now - window)
    # One round trip: the lookup is a statement of its own after the lock, so that it reads
    # the row of the retry it waited for.
    _, found = pipelined(session, [(_LOCK_SQL, {"name": owner.lock_name(key)}),
                                   compiled(session, lookup)])
    if found is None:
        return None
    service_request_id, stored_hash = found
    if content_hash is not None and stored_hash is not None and stored_hash != content_hash:
        raise UnprocessableContent(
            "this Idempotency-Key was already used with a different body; send a new key for "
            "a new request, or the same body to retry")
    return session.get(ServiceRequest, service_request_id)


def replay(session: DbSession, owner: Owner, header: str | None, device_id: str | None = None,
           form: Iterable[tuple[str, str]] | None = None, *, content_hash: str | None = None,
           ) -> tuple[str | None, ServiceRequest | None]:
    """(the key to remember after filing, the request a retry stands for): claim in one call.
    `content_hash` (body_hash of the body) makes a replay with another body a 422."""
    found = retry_key(header, device_id, form)
    if found is None:
        return None, None
    return found[0], claim(session, owner, *found, content_hash=content_hash)


def remember(session: DbSession, owner: Owner, key: str | None, service_request: ServiceRequest,
             *, now: datetime | None = None, content_hash: str | None = None) -> None:
    """Record the request a key produced (replacing an expired record of the same key), in
    one statement."""
    if key is None:
        return
    now = now or datetime.now(UTC)
    owner_column = (IdempotencyKey.api_key_id if owner.api_key_id is not None
                    else IdempotencyKey.staff_user_id)
    record = {"service_request_id": service_request.id, "created_at": now,
              "body_hash": content_hash}
    session.execute(insert(IdempotencyKey).values(
        api_key_id=owner.api_key_id, staff_user_id=owner.staff_user_id, key=key, **record,
    ).on_conflict_do_update(index_elements=[owner_column, IdempotencyKey.key], set_=record))
