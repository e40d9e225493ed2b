"""Creating and checking api keys."""

from sqlalchemy import select

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


def find_api_key(session: DbSession, key: str | None) -> ApiKey | None:
    """The live api key matching a clear key, or None."""
    if not key:
        return None
    return session.scalar(
        select(ApiKey).where(ApiKey.key_hash == hash_secret(key), ApiKey.revoked_at.is_(None))
    )
