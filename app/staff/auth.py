"""Bearer-token authentication for staff, and who may work which request."""

from flask import request

from app.exceptions import NotFound, Unauthorized
from app.extensions import db
from app.models import ServiceRequest, StaffUser
from app.operations.staff import find_staff
from app.operations.transitions import lock_request

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="staff"'}


# Where the request keeps its staff member once found: the before_request hook and the view
# both ask, and each asking was a query. The WSGI environ lives exactly as long as the request
# (flask.g may outlive it where an app context was pushed around several requests).
STAFF_KEY = "open311.staff"


def bearer_token() -> str | None:
    """The token of the request's Authorization: Bearer header, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_staff() -> StaffUser:
    """The staff member of the Authorization: Bearer header; 401 when missing, unknown or
    revoked."""
    staff = request.environ.get(STAFF_KEY)
    if staff is not None:
        return staff
    token = bearer_token()
    if token is None:
        raise Unauthorized("an Authorization: Bearer token is required", headers=CHALLENGE)
    staff = find_staff(db.session, token)
    if staff is None:
        raise Unauthorized("the bearer token is unknown or revoked", headers=CHALLENGE)
    request.environ[STAFF_KEY] = staff
    return staff


def authenticate_staff_routes() -> None:
    """Before any staff view parses its body: a caller without a valid token gets 401, not a
    400 that would tell what the route accepts."""
    current_staff()


def may_work(staff: StaffUser, service_request: ServiceRequest) -> bool:
    """Department staff see their department's requests only; other roles see all."""
    return staff.role != "department" or service_request.department_id == staff.department_id


def ensure_may_work(staff: StaffUser, service_request: ServiceRequest) -> None:
    """404, exactly as for a request that does not exist, unless `staff` may see and change
    this request: no answer may tell another department's requests apart, or their state."""
    if not may_work(staff, service_request):
        raise NotFound(f"service request {str(service_request.id)!r} was not found")


def locked_request_for(staff: StaffUser, service_request_id: int | str) -> ServiceRequest:
    """The request, row-locked for a change, after checking the staff member's right to it."""
    service_request = lock_request(db.session, service_request_id)
    ensure_may_work(staff, service_request)
    return service_request


def actor_label(staff: StaffUser) -> str:
    """How staff appear in the history."""
    return f"staff:{staff.email}"
