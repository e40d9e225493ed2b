"""Helpers for staff API tests: tokens for each role and authorised calls."""

from app.operations.staff import create_staff


def bearer(db_session, role: str = "agent", department: str | None = None) -> dict[str, str]:
    """Authorization headers of a new staff member with this role."""
    email = f"{role}-{department or 'all'}@springfield.example.gov"
    token, _ = create_staff(db_session, email, role, department)
    return {"Authorization": f"Bearer {token}"}


def move(client, headers, service_request, to: str, **fields):
    """POST a transition and return the response."""
    return client.post(f"/api/v1/staff/requests/{service_request.id}/transitions",
                       json={"to": to, **fields}, headers=headers)
