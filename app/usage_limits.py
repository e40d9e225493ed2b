"""Daily limits on what one client address, one recipient or one voter may cause; every limit
and its default is listed in docs/reliability.md.

Counters are rows of `usage_counters` in PostgreSQL, so every gunicorn worker and every host
shares them (process memory would give each worker its own allowance). The counted subject is
a keyed hash, never the address itself. A count is written in the caller's transaction: an
action that fails and rolls back is not counted.
"""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert

from app.db import DbSession
from app.models import UsageCounter
from app.security import keyed_hash

# Scopes: what is counted, per what.
SUBSCRIPTIONS_PER_CLIENT = "subscribe:client"
CONFIRMATIONS_PER_RECIPIENT = "subscribe:recipient"
VOTES_PER_CLIENT = "vote:client"
KEEP_DAYS = 2


def count_use(session: DbSession, scope: str, subject: str, secret_key: str,
              today: date | None = None) -> int:
    """Add one use of `scope` by `subject` today (UTC) and return today's count."""
    today = today or datetime.now(UTC).date()
    statement = insert(UsageCounter).values(
        scope=scope, subject=keyed_hash(secret_key, subject), day=today, count=1)
    # ON CONFLICT: concurrent uses from several hosts all count.
    return session.scalar(statement.on_conflict_do_update(
        index_elements=[UsageCounter.scope, UsageCounter.subject, UsageCounter.day],
        set_={"count": UsageCounter.count + 1},
    ).returning(UsageCounter.count)) or 0


def within_limit(session: DbSession, scope: str, subject: str, limit: int,
                 secret_key: str) -> bool:
    """Count one use; False once the day's count goes over `limit` (0 switches it off)."""
    if limit <= 0:
        return True
    return count_use(session, scope, subject, secret_key) <= limit


def prune(session: DbSession, today: date | None = None) -> int:
    """Forget counters older than yesterday; returns how many rows went."""
    today = today or datetime.now(UTC).date()
    result = session.execute(delete(UsageCounter).where(
        UsageCounter.day < today - timedelta(days=KEEP_DAYS - 1)))
    return int(getattr(result, "rowcount", 0) or 0)
