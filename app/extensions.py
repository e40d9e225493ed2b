"""Extensions, created unbound and attached in create_app (Flask tutorial pattern)."""

from pathlib import Path

from flask_migrate import Migrate
from flask_smorest import Api

from app.db import db
from schemas.errors import ApiErrorSchema

# The checkout's migrations whatever the working directory, so `open311 db upgrade` runs anywhere.
migrate = Migrate(directory=str(Path(__file__).resolve().parents[1] / "migrations"))


class SmorestApi(Api):
    """flask-smorest's Api whose HTTP errors go through our one renderer (see app.errors)."""

    ERROR_SCHEMA = ApiErrorSchema

    def handle_http_exception(self, error):  # type: ignore[override]
        """Render every HTTP error of every surface in one place."""
        from app.errors import render_http_exception

        return render_http_exception(error)


api = SmorestApi()

__all__ = ["api", "db", "migrate"]
