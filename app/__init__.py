"""The Open311 server: create_app builds config -> extensions -> blueprints -> errors -> cli."""

from collections.abc import Callable
from inspect import iscoroutinefunction

from flask import Flask, Request, Response
from flask.sessions import NullSession, SessionInterface, SessionMixin

from app.apidoc import (
    document_bearer_auth,
    document_csv_response,
    document_surface_errors,
    document_xml_responses,
)
from app.config import build_config
from app.formats import FORMATS
from schemas.fields import W3CDateTime


class NoCookieSession(SessionInterface):
    """Flask's null session on every request: nothing reads or writes `flask.session`."""

    def open_session(self, app: Flask, request: Request) -> NullSession:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Never reached: Flask saves no null session."""


class Open311Flask(Flask):
    """Flask without its cookie session: no view keeps state in it, and opening one (a signer
    built, a cookie looked for) cost every request that work."""

    session_interface = NoCookieSession()
    # Whether each view and hook function is a coroutine, by function: Flask inspects every
    # one anew on every request (eleven a nearby check, a twentieth of its profiled time).
    # Bound methods are keyed by their function (a MethodView's are made per request); the
    # bound keeps an unforeseen stream of new callables from growing it without end.
    _coroutine_functions: dict[Callable, bool] = {}
    MAX_REMEMBERED_FUNCTIONS = 1000

    def ensure_sync(self, func: Callable) -> Callable:
        """Flask's ensure_sync, with the inspection remembered per function."""
        key = getattr(func, "__func__", func)
        is_coroutine = self._coroutine_functions.get(key)
        if is_coroutine is None:
            if len(self._coroutine_functions) >= self.MAX_REMEMBERED_FUNCTIONS:
                self._coroutine_functions.clear()
            is_coroutine = self._coroutine_functions[key] = iscoroutinefunction(func)
        return self.async_to_sync(func) if is_coroutine else func


def create_app(config: dict | None = None) -> Flask:
    """Application factory; `config` overrides settings read from the environment."""
    app = Open311Flask(__name__)
    app.config.from_mapping(build_config(config))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.strict_slashes = False

    from app.web_addresses import register_web_addresses

    register_web_addresses(app)

    from app import models  # noqa: F401  (register the tables on the metadata)
    from app.extensions import api, db, migrate
    from app.input_guard import BigintConverter
    from app.routing import FormatConverter

    app.url_map.converters["fmt"] = FormatConverter
    app.url_map.converters["int"] = BigintConverter
    db.init_app(app)
    migrate.init_app(app, db)
    api.init_app(app)
    api.register_field(W3CDateTime, "string", "date-time")
    api.register_converter(FormatConverter, lambda _: {"type": "string", "enum": list(FORMATS)})

    from app.maps import ogc_blp, tiles_blp
    from app.open311 import blp as open311_blp
    from app.public import blp as public_blp
    from app.staff import blp as staff_blp

    api.register_blueprint(open311_blp)
    api.register_blueprint(public_blp)
    api.register_blueprint(staff_blp)
    api.register_blueprint(ogc_blp)
    api.register_blueprint(tiles_blp)
    document_xml_responses(api.spec, open311_blp.url_prefix)
    document_bearer_auth(api.spec, staff_blp.url_prefix)
    document_csv_response(api.spec, f"{staff_blp.url_prefix}/reports/performance")
    document_surface_errors(api.spec, open311_blp.url_prefix, ogc_blp.url_prefix)

    from app.home import blp as home_blp
    from app.media import blp as media_blp

    app.register_blueprint(media_blp)
    app.register_blueprint(home_blp)

    from app.web import init_web

    init_web(app)

    from app.errors import register_error_handlers
    from app.http_headers import register_response_headers

    register_error_handlers(app)
    register_response_headers(app)

    from app.input_guard import register_input_guard
    from app.ratelimits import init_ratelimits

    register_input_guard(app)

    init_ratelimits(app)

    from app.replicas import init_replicas

    # Last: it wraps the public views of every blueprint registered above.
    init_replicas(app)

    from app.cli import register_commands

    register_commands(app)

    return app
