"""How the read path runs a document statement: one round trip, outside a transaction.

A public page is one statement that builds its whole document in PostgreSQL. Run in the
request's session it would cost two more round trips, the session's BEGIN and the ROLLBACK
that ends the request, and psycopg forgets its prepared statements at every ROLLBACK, so the
page's statement would never reach the prepare_threshold-th run on a connection that makes
psycopg prepare it server-side (issue 12). On a connection of its own in autocommit mode it is
sent alone, and prepared once it has run prepare_threshold times there.

Statements built once and kept (module constants or per-jurisdiction caches, with bindparam()s
for what varies) also skip SQLAlchemy's per-execution work: a statement built anew on each
request is traversed for its cache key every time, which cost more than building the document
in PostgreSQL (py-spy, issue 12).
"""

from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Executable
from sqlalchemy.engine import Engine
from sqlalchemy.orm import scoped_session

from app.db import DbSession


def read_value(session: DbSession, statement: Executable, parameters: dict[str, Any]) -> Any:
    """The first column of the first row of a read-only `statement` (None without a row),
    read where the request's session reads (the primary or its replica, app/replicas.py)."""
    row = read_row(session, statement, parameters)
    return row[0] if row is not None else None


def read_row(session: DbSession, statement: Executable, parameters: dict[str, Any]) -> Any:
    """The first row of a read-only `statement` (None without one), read as read_value does."""
    current = session() if isinstance(session, scoped_session) else session
    bind = current.get_bind(clause=statement)  # type: ignore[arg-type]
    # A session already in a transaction (it read something first, or a test shares its
    # transaction) is used as it is: its connection is the one holding that snapshot.
    if not isinstance(bind, Engine) or current.in_transaction():
        return current.execute(statement, parameters).first()  # type: ignore[call-overload]
    with _autocommit(bind).connect() as connection:
        return connection.execute(statement, parameters).first()  # type: ignore[call-overload]


_autocommit_engines: "WeakKeyDictionary[Engine, Engine]" = WeakKeyDictionary()


def _autocommit(engine: Engine) -> Engine:
    """`engine` in autocommit mode (sharing its pool), made once: setting the option on each
    connection instead cost SQLAlchemy more than the statement's own execution."""
    found = _autocommit_engines.get(engine)
    if found is None:
        found = _autocommit_engines[engine] = engine.execution_options(
            isolation_level="AUTOCOMMIT")
    return found
