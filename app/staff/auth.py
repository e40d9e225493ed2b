"""Bearer-token authentication for staff, and who may work which request."""

from flask import request

from app.exceptions import Forbidden, Unauthorized
from app.extensions import db
from app.models import ServiceRequest, StaffUser
from app.operations.staff import find_staff
from app.operations.transitions import lock_request

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="staff"'}


def current_staff() -> StaffUser:
    """The staff member of the Authorization: Bearer header; 401 when missing, unknown or
    revoked."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("an Authorization: Bearer token is required", headers=CHALLENGE)
    staff = find_staff(db.session, token.strip())
    if staff is None:
        raise Unauthorized("the bearer token is unknown or revoked", headers=CHALLENGE)
    return staff


def may_work(staff: StaffUser, service_request: ServiceRequest) -> bool:
    """Department staff see their department's requests only; other roles see all."""
    return staff.role != "department" or service_request.department_id == staff.department_id


def ensure_may_work(staff: StaffUser, service_request: ServiceRequest) -> None:
    """403 unless `staff` may see and change this request."""
    if not may_work(staff, service_request):
        raise Forbidden("this request belongs to another department")


def locked_request_for(staff: StaffUser, service_request_id: str) -> ServiceRequest:
    """The request, row-locked for a change, after checking the staff member's right to it."""
    service_request = lock_request(db.session, service_request_id)
    ensure_may_work(staff, service_request)
    return service_request


def actor_label(staff: StaffUser) -> str:
    """How staff appear in the history."""
    return f"staff:{staff.email}"
