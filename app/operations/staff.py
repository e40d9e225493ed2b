"""Staff accounts: created with a bearer token shown once, stored hashed, revocable."""

from datetime import UTC, datetime

from sqlalchemy import select

from app.db import DbSession
from app.emails import InvalidEmail, valid_address
from app.exceptions import BadRequest, NotFound
from app.lookups import resolve_jurisdiction
from app.models import Department, StaffUser
from app.security import hash_secret, new_secret
from app.workflow import STAFF_ROLES


def create_staff(session: DbSession, email: str, role: str, department_code: str | None = None,
                 jurisdiction_id: str | None = None) -> tuple[str, StaffUser]:
    """A new staff account (or a new token for a known email); returns the clear token."""
    if role not in STAFF_ROLES:
        raise BadRequest(f"role must be one of {', '.join(STAFF_ROLES)}")
    if role == "department" and not department_code:
        raise BadRequest("the department role needs --department")
    try:
        email = valid_address(email)
    except InvalidEmail as error:
        raise BadRequest(str(error)) from None
    department = None
    if department_code:
        jurisdiction = resolve_jurisdiction(session, jurisdiction_id)
        department = session.scalar(
            select(Department).where(Department.jurisdiction_id == jurisdiction.id,
                                     Department.code == department_code)
        )
        if department is None:
            raise NotFound(f"department {department_code!r} was not found")
    token = new_secret()
    staff = session.scalar(select(StaffUser).where(StaffUser.email == email))
    if staff is None:
        staff = StaffUser(email=email)
        session.add(staff)
    staff.role = role
    staff.department = department
    staff.token_hash = hash_secret(token)
    staff.revoked_at = None
    session.flush()
    return token, staff


def revoke_staff(session: DbSession, email: str) -> StaffUser:
    """Revoke a staff account's token; 404 for an unknown email."""
    staff = session.scalar(select(StaffUser).where(StaffUser.email == email))
    if staff is None:
        raise NotFound(f"no staff user {email!r}")
    staff.revoked_at = datetime.now(UTC)
    staff.token_hash = None
    session.flush()
    return staff


def find_staff(session: DbSession, token: str | None) -> StaffUser | None:
    """The live staff account holding this bearer token, or None."""
    if not token:
        return None
    return session.scalar(
        select(StaffUser).where(StaffUser.token_hash == hash_secret(token),
                                StaffUser.revoked_at.is_(None))
    )
