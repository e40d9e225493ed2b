"""The authenticated workflow for 311 agents and departments, under /api/v1/staff."""

from app.blueprint import Blueprint

blp = Blueprint(
    "staff", __name__, url_prefix="/api/v1/staff",
    description="Staff workflow (bearer token)",
)

from app.staff import views  # noqa: E402,F401  (routes register on blp)
from app.staff.auth import authenticate_staff_routes  # noqa: E402

blp.before_request(authenticate_staff_routes)
