"""GeoReport v2 under /open311/v2/, every endpoint in .json and .xml."""

from flask_smorest import Blueprint

blp = Blueprint(
    "open311", __name__, url_prefix="/open311/v2",
    description="Open311 GeoReport v2 (JSON and XML)",
)
