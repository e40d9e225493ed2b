"""The append-only history: every change and note becomes one request_updates row."""

from datetime import datetime
from typing import Any

from app.db import DbSession
from app.models import RequestUpdate, ServiceRequest


def record(session: DbSession, service_request: ServiceRequest, actor: str, kind: str,
           now: datetime, *, description: str | None = None, public: bool = True,
           from_status: str | None = None, to_status: str | None = None,
           state_code: str | None = None, data: dict[str, Any] | None = None) -> RequestUpdate:
    """Append one history row (who, when, what, public or internal)."""
    update = RequestUpdate(
        jurisdiction_id=service_request.jurisdiction_id,
        service_request_id=service_request.id,
        created_at=now,
        actor=actor,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        state_code=state_code,
        description=description,
        public=public,
        data=data or {},
    )
    session.add(update)
    session.flush()
    return update
