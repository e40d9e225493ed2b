"""Read replicas: public GETs read from PostgreSQL streaming replicas, everything else from the
primary.

The choice is made per HTTP request, never per query, so that no query module has to know
about it: `RoutingSession.get_bind` (the session class of `db.session`) asks
`engine_for_request()`, which looks only at the request's blueprint, endpoint and method. A GET or
HEAD of a public read surface (`PUBLIC_READ_BLUEPRINTS`) goes to a healthy replica; every other
request, and any statement that writes or locks rows, goes to the primary.

A replica is healthy when it answered its last check (cached `DATABASE_REPLICA_CHECK_SECONDS`)
and lags at most `DATABASE_REPLICA_MAX_LAG` seconds. Its lag is 0 when it has replayed all the
WAL it received (an idle primary leaves `pg_last_xact_replay_timestamp()` old without any
lag), else the age of its last replayed commit. A replica also counts as lagging when it has not
replayed a commit this process saw on the primary more than the bound ago: that catches a replica
cut off from a running primary, which has nothing pending and so looks caught up. With no
healthy replica, public reads go to the primary.

Read-your-writes: a successful write answers with the primary's WAL position after its commit,
signed, in a short-lived cookie and in the `X-Read-Your-Writes` header. A GET carrying either
reads from a replica only once that replica has replayed the position, else from the primary.
Clients without cookies (Open311 apps) still find what they just filed: a public GET that
answers 404 from a replica is asked again of the primary. See docs/operations.md.
"""

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial, wraps
from typing import Any, cast
from weakref import WeakKeyDictionary

import psycopg
import psycopg._queries
import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request
from flask_sqlalchemy.session import Session as FlaskSession
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import PoolProxiedConnection
from werkzeug.exceptions import NotFound as HttpNotFound
from werkzeug.wrappers import Response

from app.exceptions import Open311Error

log = logging.getLogger(__name__)

# The surfaces that only read for the public; their GETs may be served by a replica.
PUBLIC_READ_BLUEPRINTS = frozenset({"open311", "public", "ogc", "tiles", "web", "media"})
# GETs of those surfaces that write or lock rows: the primary serves them.
PRIMARY_GETS = frozenset({"public.SubscriptionConfirmation"})
READ_METHODS = frozenset({"GET", "HEAD"})
ROUTE_KEY = "open311.db_replica"
COOKIE = "open311_rw"
HEADER = "X-Read-Your-Writes"
# A replica or primary that refused a connection is not tried again for this long (a dead host
# would otherwise cost every request its connect timeout).
DOWN_SECONDS = 5.0

HEALTH_SQL = sa.text("""
    SELECT pg_is_in_recovery() AS in_recovery,
           (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
                 ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::bigint AS replayed,
           (pg_last_wal_receive_lsn() - '0/0'::pg_lsn)::bigint AS received,
           EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float AS since_replay
""")
PRIMARY_LSN_SQL = sa.text("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint")


def replica_urls(config: dict) -> list[str]:
    """The replica URLs of DATABASE_REPLICA_URL (comma-separated), in SQLAlchemy's psycopg form."""
    from app.config import normalize_database_url

    raw = config.get("DATABASE_REPLICA_URL") or ""
    return [normalize_database_url(url.strip()) for url in raw.split(",") if url.strip()]


@dataclass
class Replica:
    """One replica's engine and what its last check found."""

    name: str
    engine: Engine
    checked_at: float = float("-inf")
    down_until: float = 0.0
    replayed: int = 0
    lag: float = float("inf")


@dataclass
class ReplicaSet:
    """The replicas of one app, their cached health, and the primary's recent WAL positions."""

    replicas: list[Replica]
    max_lag: float
    check_seconds: float
    primary_down_until: float = 0.0
    _turn: Any = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # (monotonic time, primary LSN) of this process's writes, oldest first.
    _written: deque[tuple[float, int]] = field(default_factory=deque)
    _behind_bound_lsn: int = 0

    def choose(self, min_lsn: int = 0) -> Replica | None:
        """A healthy replica that has replayed `min_lsn`, in turn; None means the primary."""
        now = time.monotonic()
        fit = [r for r in self.replicas if self._healthy(r, now) and r.replayed >= min_lsn]
        if not fit:
            return None
        return fit[next(self._turn) % len(fit)]

    def _healthy(self, replica: Replica, now: float) -> bool:
        if now < replica.down_until:
            return False
        if now - replica.checked_at > self.check_seconds:
            self._check(replica, now)
        return now >= replica.down_until and replica.lag <= self.max_lag and \
            replica.replayed >= self._behind_bound(now)

    def _check(self, replica: Replica, now: float) -> None:
        try:
            with replica.engine.connect() as connection:
                row = connection.execute(HEALTH_SQL).one()
        except DBAPIError as error:
            self.mark_down(replica, error)
            return
        if not row.in_recovery or row.received is None or row.received <= row.replayed:
            lag = 0.0  # promoted, or has replayed everything it received
        else:
            lag = row.since_replay if row.since_replay is not None else float("inf")
        with self._lock:
            replica.checked_at, replica.replayed, replica.lag = now, row.replayed, lag

    def mark_down(self, replica: Replica, error: BaseException) -> None:
        """Skip a replica that failed for DOWN_SECONDS."""
        if time.monotonic() >= replica.down_until:
            log.warning("replica %s unavailable: %s", replica.name, type(error).__name__)
        with self._lock:
            replica.down_until = time.monotonic() + DOWN_SECONDS
            replica.checked_at = float("-inf")

    def wrote(self, lsn: int) -> None:
        """Remember a commit position of the primary, for the cut-off replica rule."""
        with self._lock:
            self._written.append((time.monotonic(), lsn))

    def _behind_bound(self, now: float) -> int:
        """The highest primary position committed more than max_lag seconds ago."""
        with self._lock:
            while self._written and now - self._written[0][0] > self.max_lag:
                self._behind_bound_lsn = max(self._behind_bound_lsn, self._written.popleft()[1])
            return self._behind_bound_lsn

    def primary_is_down(self) -> bool:
        """Whether the primary refused a connection in the last DOWN_SECONDS."""
        return time.monotonic() < self.primary_down_until


class RoutingSession(FlaskSession):
    """Flask-SQLAlchemy's session, sending a public GET's reads to the replica chosen for it."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):  # type: ignore[override]
        """The request's replica for reads; the primary for writes, locks and everything else."""
        if bind is None and not self._flushing and not _writes_or_locks(clause):
            replica = engine_for_request()
            if replica is not None:
                return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def _writes_or_locks(clause: Any) -> bool:
    if clause is None:
        return False
    if getattr(clause, "is_dml", False):
        return True
    return getattr(clause, "_for_update_arg", None) is not None


def _replica_set() -> ReplicaSet | None:
    return current_app.extensions.get("replicas")


def _is_public_read() -> bool:
    return (request.method in READ_METHODS and request.blueprint in PUBLIC_READ_BLUEPRINTS
            and request.endpoint not in PRIMARY_GETS)


def engine_for_request() -> Engine | None:
    """The replica engine this request reads from, or None for the primary (decided once)."""
    if not has_request_context():
        return None
    # Kept in the WSGI environ, which lives exactly as long as the request (a streamed export
    # included); flask.g may outlive it when a test holds an app context open.
    if ROUTE_KEY not in request.environ:
        request.environ[ROUTE_KEY] = _choose_for_request()
    replica: Replica | None = request.environ[ROUTE_KEY]
    return replica.engine if replica is not None else None


def _choose_for_request() -> Replica | None:
    replicas = _replica_set()
    if replicas is None or not _is_public_read():
        return None
    # With the primary down it cannot serve the write anyway; the replica's copy is the best.
    min_lsn = 0 if replicas.primary_is_down() else _written_lsn()
    return replicas.choose(min_lsn)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="read-your-writes")


def _written_lsn() -> int:
    """The primary position this client last wrote at (signed and fresh), else 0."""
    token = request.headers.get(HEADER) or request.cookies.get(COOKIE)
    if not token:
        return 0
    try:
        lsn = _serializer().loads(
            token, max_age=current_app.config["DATABASE_READ_YOUR_WRITES_SECONDS"])
    except BadSignature:  # forged, foreign or expired: read like any other client
        return 0
    return lsn if isinstance(lsn, int) else 0


def remember_write(response: Response) -> Response:
    """after_request: a successful write hands its client the primary's position to read after."""
    replicas = _replica_set()
    assert replicas is not None  # registered with them
    if request.method in READ_METHODS or request.method == "OPTIONS" \
            or response.status_code >= 400:
        return response
    from app.extensions import db

    try:
        with db.engine.connect() as connection:
            lsn = int(connection.scalar(PRIMARY_LSN_SQL) or 0)
    except DBAPIError as error:
        # The write is committed and acknowledged; only the read-your-writes hint is lost.
        log.warning("primary position unavailable after a write: %s", type(error).__name__)
        return response
    replicas.wrote(lsn)
    token = _serializer().dumps(lsn)
    seconds = current_app.config["DATABASE_READ_YOUR_WRITES_SECONDS"]
    response.headers[HEADER] = token
    response.set_cookie(COOKIE, token, max_age=seconds, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return response


def _is_not_found(error: Exception) -> bool:
    return isinstance(error, HttpNotFound) or (
        isinstance(error, Open311Error) and error.status == 404)


def _again_elsewhere(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run a public GET again when the server it read from failed it: a lost replica, on
    another replica or the primary; the primary (chosen for a read-your-writes token or for
    want of a replica), on a replica; and a replica's 404 on the primary, which may hold the
    request its client has just filed. GETs are safe to repeat."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except Exception as error:
            replicas = _replica_set()
            if replicas is None or not _is_public_read():
                raise
            chosen: Replica | None = request.environ.get(ROUTE_KEY)
            if isinstance(error, OperationalError):
                if chosen is not None:
                    replicas.mark_down(chosen, error)
                fallback = replicas.choose()  # without the token: its server is the one gone
                if chosen is None and fallback is None:
                    raise
            elif _is_not_found(error) and chosen is not None and not replicas.primary_is_down():
                fallback = None
            else:
                raise
            request.environ[ROUTE_KEY] = fallback
            _restart_session()
            try:
                return view(*args, **kwargs)
            except OperationalError:
                if _is_not_found(error):
                    raise error from None  # the primary is gone: the replica's answer stands
                raise

    return wrapped


def _restart_session() -> None:
    from app.errors import release_session

    release_session()


# What to call when a connection of an engine is refused or lost: set by _watch_engine.
_failure_watchers: "WeakKeyDictionary[Engine, Callable[[BaseException], None]]" = \
    WeakKeyDictionary()


def _watch_engine(engine: Engine, on_failure: Callable[[BaseException], None]) -> None:
    """Call on_failure when a connection to this engine is refused or lost."""
    _failure_watchers[engine] = on_failure

    def handle_error(context: Any) -> None:
        # No connection at all counts, and so does a lost connection mid-statement; a refused
        # statement (a timeout, bad input) does not. (Idle connections are pinged outside
        # these events, by ping_when_idle: a failed ping only replaces the connection.)
        if context.is_disconnect or context.connection is None:
            on_failure(context.original_exception)

    sa.event.listen(engine, "handle_error", handle_error)


def driver_connection(engine: Engine) -> PoolProxiedConnection:
    """A pooled connection of `engine` for statements sent to psycopg directly; a refused
    connection is raised and reported as SQLAlchemy's Engine.connect() would (an
    OperationalError, the engine reported down), so that it is answered 503, not 500."""
    try:
        return engine.raw_connection()
    except psycopg.Error as error:
        on_failure = _failure_watchers.get(engine)
        if on_failure is not None:
            on_failure(error)
        raise DBAPIError.instance(None, None, error, psycopg.Error,
                                  connection_invalidated=True,
                                  dialect=engine.dialect) from error


@contextmanager
def driver_errors_raised_as_sqlalchemy(
        engine: Engine, pooled: PoolProxiedConnection, sql: str,
        invalidate: Callable[[BaseException], None] | None = None) -> Iterator[None]:
    """For statements sent to psycopg directly, past SQLAlchemy's execution (which costs
    more than a short statement itself, issue 12): psycopg's errors raised the way SQLAlchemy
    raises its own statements' errors, and a lost connection handled as SQLAlchemy's
    handle_error would see it: the pool drops the connection (through `invalidate`, the
    SQLAlchemy Connection's own, when one wraps it), its engine is reported down
    (_watch_engine), and app.errors answers 503 while the database is unreachable."""
    try:
        yield
    except psycopg.Error as error:
        dialect = engine.dialect
        disconnected = dialect.is_disconnect(cast(Any, error), pooled, None)
        if disconnected:
            (invalidate or pooled.invalidate)(error)
            on_failure = _failure_watchers.get(engine)
            if on_failure is not None:
                on_failure(error)
        raise DBAPIError.instance(sql, {}, error, psycopg.Error,
                                  connection_invalidated=disconnected,
                                  dialect=dialect) from error


# psycopg converts a statement's %(name)s placeholders to $n once per SQL text and caches the
# result (an LRU of 128), but only for texts up to 4096 bytes. The public documents are built
# in SQL by a few fixed statements longer than that (OGC items, Open311 lists), and converting
# them again on every request took ~10% of a worker's CPU (py-spy, issue 12). psycopg exposes
# no setting for this limit; the constant is read on each call.
psycopg._queries.MAX_CACHED_STATEMENT_LENGTH = max(
    psycopg._queries.MAX_CACHED_STATEMENT_LENGTH, 32 * 1024)


def engine_options(config: dict) -> dict:
    """SQLAlchemy engine options for the primary and the replicas, from the settings."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("connect_timeout", config.get("DATABASE_CONNECT_TIMEOUT", 5))
    if config.get("DATABASE_PGBOUNCER"):
        # psycopg's documented setting behind a transaction-mode pooler: prepared statements
        # live in one server session, and the next transaction may run on another. PgBouncer
        # tracks them itself only from 1.22 on (with max_prepared_statements), Debian 12 ships
        # 1.18: off.
        connect_args["prepare_threshold"] = None
    options["connect_args"] = connect_args
    return options


# A pooled connection unused for longer than this is pinged before it is handed out. A busy
# worker reuses its connections within milliseconds and never pays the round trip that
# pool_pre_ping would cost every request; a connection that sat idle, maybe across a restart
# of its server, is checked and replaced if dead, so no request fails on it.
PING_AFTER_IDLE_SECONDS = 1.0


def ping_when_idle(engine: Engine) -> None:
    """Check a connection idle for PING_AFTER_IDLE_SECONDS at checkout (the pool replaces it
    when the ping fails)."""

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure: the connection is not usable
            raise sa.exc.DisconnectionError(str(error)) from error

    sa.event.listen(engine.pool, "checkin", checked_in)
    sa.event.listen(engine.pool, "checkout", checked_out)


def init_replicas(app: Flask) -> ReplicaSet | None:
    """Build the replica engines of DATABASE_REPLICA_URL and route public GETs to them."""
    from app.extensions import db

    with app.app_context():
        ping_when_idle(db.engine)
    urls = replica_urls(app.config)
    if not urls:
        return None
    app.after_request(remember_write)
    options = engine_options(app.config)
    replicas = ReplicaSet(
        replicas=[Replica(name=sa.make_url(url).render_as_string(hide_password=True),
                          engine=sa.create_engine(url, **options)) for url in urls],
        max_lag=float(app.config["DATABASE_REPLICA_MAX_LAG"]),
        check_seconds=float(app.config["DATABASE_REPLICA_CHECK_SECONDS"]),
    )
    for replica in replicas.replicas:
        ping_when_idle(replica.engine)
        _watch_engine(replica.engine, partial(replicas.mark_down, replica))

    def primary_failed(_error: BaseException) -> None:
        replicas.primary_down_until = time.monotonic() + DOWN_SECONDS

    with app.app_context():
        _watch_engine(db.engine, primary_failed)
    app.extensions["replicas"] = replicas
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.partition(".")[0]
        view: Any = app.view_functions[rule.endpoint]
        if blueprint in PUBLIC_READ_BLUEPRINTS and not getattr(view, "_replica_fallback", False):
            view = _again_elsewhere(view)
            view._replica_fallback = True
            app.view_functions[rule.endpoint] = view
    return replicas
