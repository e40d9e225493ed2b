"""Creating and checking api keys."""

import time
from dataclasses import dataclass
from threading import Lock

from sqlalchemy import event, select

from app.db import DbSession
from app.models import ApiKey
from app.security import hash_secret, new_secret


def create_api_key(session: DbSession, name: str, quota_per_hour: int | None = None,
                   webhook_url: str | None = None) -> tuple[str, ApiKey]:
    """A new api key; the clear key is returned once and never stored."""
    key = new_secret()
    api_key = ApiKey(
        name=name,
        key_hash=hash_secret(key),
        quota_per_hour=quota_per_hour,
        webhook_url=webhook_url,
        webhook_secret=new_secret() if webhook_url else None,
    )
    session.add(api_key)
    session.flush()
    return key, api_key


# Every POST checks its key: live keys are remembered per process for this long, so a key
# revoked in the database is still accepted for up to that long by a process that saw it
# (docs/reliability.md). Unknown keys are never remembered: a new key works at once.
API_KEY_TTL_SECONDS = 30.0
API_KEY_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class LiveKey:
    """What a request needs of its api key."""

    id: int
    name: str
    quota_per_hour: int | None


_live_keys: dict[str, tuple[float, LiveKey]] = {}
_live_keys_lock = Lock()


def find_api_key(session: DbSession, key: str | None) -> LiveKey | None:
    """The live api key matching a clear key, or None."""
    if not key:
        return None
    key_hash = hash_secret(key)
    now = time.monotonic()
    cached = _live_keys.get(key_hash)
    if cached is not None and now - cached[0] < API_KEY_TTL_SECONDS:
        return cached[1]
    row = session.execute(
        select(ApiKey.id, ApiKey.name, ApiKey.quota_per_hour)
        .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    ).one_or_none()
    with _live_keys_lock:
        if row is None:
            _live_keys.pop(key_hash, None)
            return None
        if len(_live_keys) >= API_KEY_CACHE_SIZE:
            _live_keys.clear()
        live = _live_keys[key_hash] = (now, LiveKey(*row))
    return live[1]


def forget_api_keys(*_: object) -> None:
    """Drop the remembered keys (a key was changed or revoked in this process)."""
    with _live_keys_lock:
        _live_keys.clear()


for _event in ("after_update", "after_delete"):
    event.listen(ApiKey, _event, forget_api_keys)
