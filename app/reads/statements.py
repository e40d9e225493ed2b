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
in PostgreSQL (py-spy, issue 12). The statements built once go further: a `BuiltOnce` is
compiled to its driver SQL once per dialect and sent as that text, which skips SQLAlchemy's
compiled-cache lookup and parameter processing on every request.
"""

from typing import Any, Literal, cast
from weakref import WeakKeyDictionary

import psycopg
from sqlalchemy import Executable
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import scoped_session
from sqlalchemy.sql.compiler import Compiled

from app.db import DbSession
from app.replicas import driver_connection, driver_errors_raised_as_sqlalchemy


class BuiltOnce:
    """A read statement built once per process (a module constant, with bindparam()s for what
    varies), compiled to the SQL text its driver takes once per dialect.

    Only for statements whose parameters psycopg adapts itself (numbers, text, datetimes) and
    that have no expanding IN list: compiling refuses others, so that a change which would
    need SQLAlchemy's per-execution processing fails at once rather than sends wrong SQL."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._by_dialect: dict[str, tuple[str, dict[str, Any]]] = {}

    def driver_sql(self, dialect: Dialect) -> tuple[str, dict[str, Any]]:
        """(SQL with %(name)s placeholders, the values of the parameters the statement fixes)."""
        found = self._by_dialect.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)  # type: ignore[attr-defined]
            if compiled.post_compile_params or compiled._bind_processors:
                raise ValueError("a BuiltOnce statement needs SQLAlchemy's processing of its "
                                 "parameters: run it as a plain statement")
            found = self._by_dialect[dialect.name] = (compiled.string,
                                                      fixed_parameters(compiled))
        return found


def fixed_parameters(compiled: Compiled) -> dict[str, Any]:
    """The values a compiled statement fixes itself (literals it bound); its bindparam()s
    without a value are the caller's to give."""
    return {name: value for name, value in compiled.params.items() if value is not None}


# How PostgreSQL plans a statement built once, sent by psycopg (which prepares it on a
# connection once it has run there prepare_threshold times):
# - "cached": as PostgreSQL chooses (plan_cache_mode = auto): custom plans while they look
#   cheaper, which for a spatial filter they always do, so the statement is planned on every
#   execution, and sometimes a generic plan that suits the usual values and not others;
# - "generic": one plan for any values, made once per connection: for a statement whose
#   planning costs more than its run (the OGC items of a small bbox: 1.1 ms of planning, 0.8 of
#   running, in the statement log of the 1M city) and whose plan suits every value it gets;
# - "custom": planned for its values on every execution, never prepared: for values that
#   need their own plan (a bbox over the whole city, where the small bbox's plan reads every
#   point in it to sort them by id: 5 s instead of 0.2).
PlanChoice = Literal["cached", "generic", "custom"]
# "generic" for the statements after it in the same transaction (a filing's take it too:
# operations/definitions.py).
FORCE_GENERIC_PLAN = "set_config('plan_cache_mode', 'force_generic_plan', true)"


def read_value(session: DbSession, statement: Executable | BuiltOnce,
               parameters: dict[str, Any], plan: PlanChoice = "cached") -> Any:
    """The first column of the first row of a read-only `statement` (None without a row),
    read where the request's session reads (the primary or its replica, app/replicas.py).
    `plan` applies to a BuiltOnce read outside a transaction (the request's usual case)."""
    row = read_row(session, statement, parameters, plan)
    return row[0] if row is not None else None


def read_row(session: DbSession, statement: Executable | BuiltOnce,
             parameters: dict[str, Any], plan: PlanChoice = "cached") -> Any:
    """The first row of a read-only `statement` (None without one), read as read_value does."""
    current = session() if isinstance(session, scoped_session) else session
    plain = statement.statement if isinstance(statement, BuiltOnce) else statement
    bind = current.get_bind(clause=plain)  # type: ignore[arg-type]
    # A session already in a transaction (it read something first, or a test shares its
    # transaction) is used as it is: its connection is the one holding that snapshot.
    if not isinstance(bind, Engine) or current.in_transaction():
        return current.execute(plain, parameters).first()  # type: ignore[call-overload]
    if isinstance(statement, BuiltOnce):
        sql, fixed = statement.driver_sql(bind.dialect)
        return _driver_row(bind, sql, {**fixed, **parameters}, plan)
    with _autocommit(bind).connect() as connection:
        return connection.execute(statement, parameters).first()  # type: ignore[call-overload]


def _driver_row(engine: Engine, sql: str, parameters: dict[str, Any],
                plan: PlanChoice) -> Any:
    """The first row of `sql`, sent by psycopg itself on a pooled connection in autocommit
    mode: SQLAlchemy's connection and execution context around a statement built once cost
    a seventh of the nearby check's instructions (callgrind, issue 12)."""
    pooled = driver_connection(engine)
    try:
        connection = cast(psycopg.Connection, pooled.driver_connection)
        with driver_errors_raised_as_sqlalchemy(engine, pooled, sql):
            connection.autocommit = True
            try:
                if plan == "custom":
                    return connection.execute(sql, parameters, prepare=False).fetchone()
                if plan == "generic":
                    # One pipeline is one implicit transaction: the setting holds for the
                    # statement after it and ends with it, on this connection as behind a
                    # transaction-pooling PgBouncer.
                    with connection.pipeline():
                        connection.execute(f"SELECT {FORCE_GENERIC_PLAN}")
                        cursor = connection.execute(sql, parameters)
                    return cursor.fetchone()
                return connection.execute(sql, parameters).fetchone()
            finally:
                if not connection.broken:  # a lost connection is dropped, not reset
                    connection.autocommit = False
    finally:
        pooled.close()


_autocommit_engines: "WeakKeyDictionary[Engine, Engine]" = WeakKeyDictionary()


def _autocommit(engine: Engine) -> Engine:
    """`engine` in autocommit mode (sharing its pool), made once: setting the option on each
    connection instead cost SQLAlchemy more than the statement's own execution."""
    found = _autocommit_engines.get(engine)
    if found is None:
        found = _autocommit_engines[engine] = engine.execution_options(
            isolation_level="AUTOCOMMIT")
    return found
