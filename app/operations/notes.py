"""Notes on a request: public ones reach Open311 clients and FixMyStreet, internal ones don't."""

from datetime import datetime

from app.db import DbSession
from app.exceptions import BadRequest
from app.models import RequestUpdate, ServiceRequest
from app.operations.history import record

MAX_NOTE = 4000


def add_note(session: DbSession, service_request: ServiceRequest, text: str, public: bool,
             *, actor: str, now: datetime) -> RequestUpdate:
    """Append a note to a locked request's history."""
    if not text or not text.strip():
        raise BadRequest("text is required")
    if len(text) > MAX_NOTE:
        raise BadRequest(f"text is longer than {MAX_NOTE} characters")
    service_request.updated_at = now
    return record(session, service_request, actor, "note", now, description=text.strip(),
                  public=public)
