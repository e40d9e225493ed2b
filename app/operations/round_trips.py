"""Fewer round trips to PostgreSQL for a write: statements sent together in one psycopg
pipeline, and new rows of several tables inserted by one statement.

Filing a report was seven to nine round trips (the transaction's BEGIN, the jurisdiction, the
service, the duplicate lock and search, the parent, the request's INSERT, its history and
outbox rows, the COMMIT); each is a wait of the worker on PostgreSQL, and under load a wait
for a CPU as well."""

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, cast

import psycopg
from sqlalchemy import (
    ClauseElement,
    ColumnDefault,
    Executable,
    Select,
    Table,
    bindparam,
    insert,
    inspect,
    literal_column,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.sql.compiler import Compiled

from app.db import Base, DbSession
from app.operations.public_form import store_public_forms_of
from app.reads.statements import BuiltOnce, fixed_parameters
from app.replicas import driver_errors_raised_as_sqlalchemy

# A statement as psycopg takes it: SQL with %(name)s placeholders, and its parameters.
Statement = tuple[str, dict[str, Any]]


# Compiled statements by SQLAlchemy cache key: compiling the parent search took a sixth of a
# POST's time in the profile. Bounded like app/process_cache.py's caches.
_compiled: dict[Any, Compiled] = {}
MAX_COMPILED = 500


def compiled(session: DbSession, statement: ClauseElement | BuiltOnce,
             values: dict[str, Any] | None = None) -> Statement:
    """A SQLAlchemy statement as SQL and parameters for `pipelined`, with `values` for its
    bindparam()s that have none: only for statements whose parameters are plain numbers, text
    and datetimes, which psycopg adapts itself. Compiled once per shape, as SQLAlchemy's own
    statement cache does; a statement built once (BuiltOnce) without even its cache key."""
    dialect = session.get_bind().dialect
    if isinstance(statement, BuiltOnce):
        sql, fixed = statement.driver_sql(dialect)
        return sql, {**fixed, **(values or {})}
    cache_key = statement._generate_cache_key()  # what SQLAlchemy's own cache is keyed on
    if cache_key is None:
        once = statement.compile(dialect=dialect)
        return once.string, dict(once.construct_params(params=values) or {})
    done: Compiled | None = _compiled.get((dialect.name, cache_key.key))
    if done is None:
        if len(_compiled) >= MAX_COMPILED:
            _compiled.clear()
        done = _compiled[dialect.name, cache_key.key] = statement.compile(
            dialect=dialect, cache_key=cache_key)
    return done.string, dict(done.construct_params(
        params=values, extracted_parameters=cache_key.bindparams) or {})


def pipelined(session: DbSession, statements: Sequence[Statement]) -> list[Any]:
    """The first row (or None) of each statement, all sent in one psycopg pipeline: one round
    trip, in the session's transaction (whose BEGIN goes in the same pipeline when it is the
    first statement). Each statement still reads its own snapshot, taken when it starts."""
    session.flush()  # what the session holds first, as its own queries would autoflush it
    with _transaction_connection(session, "; ".join(sql for sql, _ in statements)) as connection:
        with connection.pipeline():
            cursors = [connection.execute(sql, parameters) for sql, parameters in statements]
        return [cursor.fetchone() if cursor.description else None for cursor in cursors]


@contextmanager
def _transaction_connection(session: DbSession, sql: str) -> Iterator[psycopg.Connection]:
    """The psycopg connection of the session's transaction, for `sql` sent past SQLAlchemy,
    with its errors raised as SQLAlchemy raises its own (replicas.py)."""
    sa_connection = session.connection()
    with driver_errors_raised_as_sqlalchemy(sa_connection.engine, sa_connection.connection,
                                            sql, sa_connection.invalidate):
        yield cast(psycopg.Connection, sa_connection.connection.driver_connection)


class _RawStatement:
    """A statement as psycopg's RawCursor takes it: SQL with $n placeholders, and how to make
    its parameter list from named values (with SQLAlchemy's bind processors: geometries as
    text, JSON wrapped). psycopg parses a %(name)s query on every execution once it is over
    4,096 characters or 50 parameters, as a report's INSERTs are; a raw query it sends as it
    is."""

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        if compiled.post_compile_params:
            raise ValueError("an expanding parameter has no fixed place in a raw statement")
        positions: dict[str, int] = {}  # a parameter used twice keeps its first $n

        def placeholder(match: re.Match[str]) -> str:
            name = match.group(1)
            if name is None:
                return "%"  # an escaped percent sign
            return f"${positions.setdefault(name, len(positions) + 1)}"

        self.sql = re.sub(r"%\((\w+)\)s|%%", placeholder, compiled.string).encode()
        self.names = list(positions)
        processors = compiled._bind_processors
        self.processors = [processors.get(name) for name in self.names]
        self.fixed = fixed_parameters(compiled)

    def values(self, parameters: dict[str, Any]) -> list[Any]:
        named = {**self.fixed, **parameters}
        return [named[name] if processor is None else processor(named[name])
                for name, processor in zip(self.names, self.processors, strict=True)]


# A touch: an UPDATE (or DELETE) built once, with bindparam()s for what varies, and their
# values for this write.
Touch = tuple[Executable, dict[str, Any]]


@lru_cache(maxsize=256)
def _inserts_together(shape: tuple[tuple[Table, tuple[str, ...]], ...],
                      touches: tuple[Executable, ...], dialect: Dialect) -> _RawStatement:
    """One statement of single-row INSERTs, the nth into the nth table of `shape` with its
    columns, their values bind parameters named row_{n}_{column}, and the `touches`: built
    and compiled once per shape, so a write neither builds a statement nor walks one for
    SQLAlchemy's cache key."""
    together: Select[Any] = select(literal_column("1")).add_cte(*(
        insert(table).values({
            table.c[name]: bindparam(f"row_{number}_{name}", type_=table.c[name].type)
            for name in columns}).cte(f"row_{number}")
        for number, (table, columns) in enumerate(shape)))
    if touches:
        together = together.add_cte(*(
            touch.cte(f"touch_{number}")  # type: ignore[attr-defined]
            for number, touch in enumerate(touches)))
    return _RawStatement(together, dialect)


def insert_together(session: DbSession, rows: Sequence[Base], *touches: Touch,
                    service_policy: str | None = None, kept: Base | None = None) -> None:
    """Insert `rows` (new mapped objects, not added to the session) and run `touches` (an
    UPDATE of another row, say) as one statement of data-modifying CTEs: one round trip for
    what a flush sends as one statement per table. The CTEs run in no set order: rows whose
    order matters (a history's) need their ids set up front.

    The rows get their public form first, as every flush gives it (`service_policy` as in
    public_form.store_public_form). Foreign keys between the rows hold: PostgreSQL checks
    them at the end of the statement. Afterwards `kept`, one of the rows with its primary key
    set up front, belongs to the session as a stored object (its unset columns load when
    read); the others are only rows (adding each to the session cost a twentieth of a POST's
    instructions). No mapper event runs: the rows must not be of a model a process cache
    watches (app/process_cache.py)."""
    store_public_forms_of(session, rows, service_policy)
    shape = []
    parameters: dict[str, Any] = {}
    for number, row in enumerate(rows):
        mapper = inspect(row).mapper
        values: dict[Any, Any] = {prop.columns[0]: row.__dict__[prop.key]
                                  for prop in mapper.column_attrs if prop.key in row.__dict__}
        # An INSERT in a CTE gets no Python-side column defaults from SQLAlchemy: set here.
        for column in mapper.local_table.columns:
            default = column.default
            if column not in values and isinstance(default, ColumnDefault):
                values[column] = default.arg(None) if default.is_callable else default.arg
        shape.append((mapper.local_table, tuple(sorted(column.key for column in values))))
        parameters.update({f"row_{number}_{column.key}": value
                           for column, value in values.items()})
    for _, touch_parameters in touches:
        parameters.update(touch_parameters)
    together = _inserts_together(tuple(shape), tuple(touch for touch, _ in touches),
                                 session.connection().dialect)
    with (_transaction_connection(session, together.sql.decode()) as connection,
          psycopg.RawCursor(connection) as cursor):
        cursor.execute(together.sql, together.values(parameters))
    if kept is not None:
        make_transient_to_detached(kept)
        session.add(kept)
