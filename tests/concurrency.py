"""Real concurrency against PostgreSQL, with committed data (the `committed_city` fixture):
a harness that lines several requests up at the same point before letting them go."""

import threading
import time
from collections.abc import Callable

import sqlalchemy as sa

from app.extensions import db as flask_db

WAIT_SECONDS = 10


def _waiting_backends(connection) -> int:
    return connection.execute(sa.text(
        "SELECT count(DISTINCT l.pid) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        "WHERE NOT l.granted AND a.datname = current_database()"
    )).scalar_one()


def run_together(action: Callable[[], None], count: int = 2) -> None:
    """Run `action` in `count` threads that all reach their INSERT before any may proceed:
    a SHARE lock on service_requests holds them until every one waits on it. Call inside an
    app context."""
    blocker = flask_db.engine.connect()
    blocker.execute(sa.text("LOCK TABLE service_requests IN SHARE MODE"))
    threads = [threading.Thread(target=action) for _ in range(count)]
    for thread in threads:
        thread.start()
    watcher = flask_db.engine.connect()
    deadline = time.monotonic() + WAIT_SECONDS
    while _waiting_backends(watcher) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    watcher.close()
    blocker.rollback()
    blocker.close()
    for thread in threads:
        thread.join(WAIT_SECONDS)
