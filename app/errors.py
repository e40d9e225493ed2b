"""One exception hierarchy and one renderer for every surface.

Each surface answers errors in its own format: Open311 as its error list (JSON or XML, by the
requested format, XML when none can be told), the JSON APIs as `{"code", "status", "message"}`
objects, OGC API as its exception document.
"""

import logging

from flask import Response, request
from werkzeug.exceptions import HTTPException

from app import formats
from app.exceptions import Open311Error

log = logging.getLogger(__name__)


def surface_of_path(path: str) -> str:
    """Which surface a URL belongs to, which decides the error format."""
    if path.startswith("/open311/"):
        return "open311"
    if path.startswith("/ogc"):
        return "ogc"
    return "json"


def open311_format_of_path(path: str) -> str:
    """The Open311 format asked for by the URL's extension; XML when it cannot be told."""
    last = path.rsplit("/", 1)[-1]
    if "." in last and last.rsplit(".", 1)[1].lower() == "json":
        return "json"
    return "xml"


def render_errors(status: int, descriptions: list[str], headers=None) -> Response:
    """Render a list of problems in the format of the surface the request came to."""
    surface = surface_of_path(request.path)
    if surface == "open311":
        fmt = open311_format_of_path(request.path)
        body = [{"code": status, "description": d} for d in descriptions]
        response = formats.render(body, fmt, root="errors", item="error", status=status)
    elif surface == "ogc":
        response = formats.json_response(
            {"code": _reason(status), "description": "; ".join(descriptions)}, status=status
        )
    else:
        response = formats.json_response(
            {
                "code": status,
                "status": _reason(status),
                "message": "; ".join(descriptions),
                "errors": descriptions,
            },
            status=status,
        )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _messages_of(error: HTTPException) -> list[str]:
    """Flatten webargs/marshmallow validation messages into one sentence per problem."""
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if not messages:
        return [error.description or _reason(error.code or 500)]
    found: list[str] = []

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(key, int) or key in {"query", "form", "json", "files", "headers"}:
                    walk(prefix, inner)
                else:
                    walk(str(key), inner)
        elif isinstance(value, list):
            for inner in value:
                walk(prefix, inner)
        else:
            found.append(f"{prefix}: {value}" if prefix and prefix != "_schema" else str(value))

    walk("", messages)
    return found


def render_http_exception(error: HTTPException) -> Response:
    """werkzeug/flask-smorest HTTP errors (404 routes, 405, 413, validation 400s)."""
    status = error.code or 500
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    return render_errors(status, _messages_of(error), headers)


def handle_open311_error(error: Open311Error) -> Response:
    """Our own errors, raised anywhere below a view."""
    return render_errors(error.status, error.descriptions, error.headers)


def handle_unexpected(error: Exception) -> Response:
    """5xx: log the traceback, show a generic description, never the internals."""
    from psycopg.errors import ReadOnlySqlTransaction
    from sqlalchemy.exc import DataError, DBAPIError, OperationalError

    from app.extensions import db

    if isinstance(error, HTTPException):
        return render_http_exception(error)
    # PostgreSQL refused a value for its column (too long, out of range): the input's fault.
    # Schemas bound what they can; this keeps what they miss a 400, never a 500.
    if isinstance(error, DataError):
        db.session.rollback()
        log.info("value refused by the database: %s", type(error.orig).__name__)
        return render_errors(400, ["A value is too long or out of range for its field."])
    # A lost or refused connection is an outage, not a bug: 503 so that clients retry. So is a
    # write refused by a server in recovery: DATABASE_URL names a standby, as during a failover.
    if isinstance(error, OperationalError) or (
            isinstance(error, DBAPIError) and isinstance(error.orig, ReadOnlySqlTransaction)):
        log_outage(error)
        return render_errors(
            503, ["The service is temporarily unavailable; try again shortly."],
            {"Retry-After": "5"},
        )
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_errors(500, ["Internal server error"])


# An outage answers every request with 503: its cause is logged once per interval, with how
# many requests it cost meanwhile, so that a wrong DATABASE_URL is visible without flooding.
OUTAGE_LOG_INTERVAL_S = 60.0
_outage = {"logged_at": float("-inf"), "since_logged": 0}


def log_outage(error: Exception) -> None:
    """Log why the database is unavailable: its host and the driver's reason (connection
    errors carry no query values), at most once per OUTAGE_LOG_INTERVAL_S."""
    import time

    from flask import current_app

    from app.config import database_label

    now = time.monotonic()
    _outage["since_logged"] += 1
    if now - _outage["logged_at"] < OUTAGE_LOG_INTERVAL_S:
        return
    orig = getattr(error, "orig", None) or error
    lines = str(orig).strip().splitlines()
    log.error("database %s unavailable, answering 503 (%d requests since the last report): "
              "%s: %s; check DATABASE_URL and that PostgreSQL runs",
              database_label(current_app.config["SQLALCHEMY_DATABASE_URI"]),
              _outage["since_logged"], type(orig).__name__, lines[0] if lines else "")
    _outage["logged_at"], _outage["since_logged"] = now, 0


def release_session(_error: BaseException | None = None) -> None:
    """End the request's session; a connection the database already dropped (a restart,
    a failover) is discarded instead of failing the request after its answer."""
    from sqlalchemy.exc import DBAPIError

    from app.extensions import db

    try:
        db.session.remove()
    except DBAPIError as error:
        log.warning("database connection lost at the end of a request: %s",
                    type(error.orig).__name__)
        db.session.registry.clear()


def register_error_handlers(app) -> None:
    """Attach the renderer for every error class."""
    app.register_error_handler(Open311Error, handle_open311_error)
    app.register_error_handler(HTTPException, render_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
    # Registered after Flask-SQLAlchemy's own, so it runs first (teardowns run in reverse).
    app.teardown_appcontext(release_session)
