"""GeoReport v2 under /open311/v2/, every endpoint in .json and .xml."""

from app.blueprint import Blueprint

blp = Blueprint(
    "open311", __name__, url_prefix="/open311/v2",
    description="Open311 GeoReport v2. Every path ends in .json or .xml; errors are a list of "
                "{code, description} in the same format.",
)

import app.open311.updates  # noqa: E402,F401  (FixMyStreet servicerequestupdates)
from app.http_cache import public_response_headers  # noqa: E402
from app.open311 import views  # noqa: E402,F401  (routes register on blp)

# Public GETs: CORS, ETag/304 and Cache-Control (app/http_cache.py).
blp.after_request(public_response_headers)

