"""The public HTML pages: report a problem, a request's page, the city map, the dashboard.

Built on the public API: pages are rendered from the same read functions (app/web/reads.py),
and their scripts call the public JSON endpoints. Every asset is served from here
(static/vendor holds MapLibre GL JS, pinned in web/package.json): no page asks a third-party
host for anything, for residents' privacy."""

from pathlib import Path

from flask import Blueprint, Flask

blp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                static_url_path="/web/static")

TRANSLATIONS = Path(__file__).parent / "translations"


def init_web(app: Flask) -> None:
    """Attach Flask-Babel and the pages' blueprint to `app`."""
    from flask_babel import Babel

    from app.web import i18n, views  # noqa: F401  (routes register on import)

    app.config.setdefault("BABEL_DEFAULT_LOCALE", i18n.DEFAULT_LOCALE)
    Babel(app, locale_selector=i18n.select_locale,
          default_translation_directories=str(TRANSLATIONS))
    app.register_blueprint(blp)
