"""Creating and checking api keys."""

from dataclasses import dataclass

from sqlalchemy import select

from app.db import DbSession
from app.models import ApiKey
from app.process_cache import ProcessCache
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


# Every POST checks its key: live keys are remembered per process (app/process_cache.py),
# so a key revoked in the database by another process is still accepted here for up to
# the cache's TTL. Unknown keys are never remembered: a new key works at once.


@dataclass(frozen=True)
class LiveKey:
    """What a request needs of its api key."""

    id: int
    name: str
    quota_per_hour: int | None


_live_keys: ProcessCache[LiveKey] = ProcessCache(ApiKey)


def find_api_key(session: DbSession, key: str | None) -> LiveKey | None:
    """The live api key matching a clear key, or None."""
    if not key:
        return None
    key_hash = hash_secret(key)

    def load() -> LiveKey | None:
        row = session.execute(
            select(ApiKey.id, ApiKey.name, ApiKey.quota_per_hour)
            .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
        ).one_or_none()
        return LiveKey(*row) if row is not None else None

    return _live_keys.get(key_hash, load)
