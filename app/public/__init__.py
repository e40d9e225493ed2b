"""Transparency: public queries, exports, feeds, statistics, and resident actions, under
/api/v1/public. Nothing here ever selects from `reporters`."""

from app.blueprint import Blueprint

blp = Blueprint(
    "public", __name__, url_prefix="/api/v1/public",
    description="Public, redacted data about service requests, and resident actions",
)

from app.http_cache import public_response_headers  # noqa: E402
from app.public import pins, surveys, transparency  # noqa: E402,F401  (routes register on blp)

# CORS, ETag/304 and Cache-Control on the public GETs (app/http_cache.py).
blp.after_request(public_response_headers)
