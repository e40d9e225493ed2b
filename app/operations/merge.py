"""Merging a request into another as its duplicate, and undoing it. A merged request stays
open and follows its parent: it is closed with it (duplicates.cascade_closure)."""

from datetime import datetime

from sqlalchemy import exists, select

from app.db import DbSession
from app.exceptions import BadRequest, Conflict
from app.models import RequestUpdate, ServiceRequest
from app.operations.history import record
from app.operations.transitions import lock_request


def merge(session: DbSession, duplicate: ServiceRequest, into_id: int | str, actor: str,
          now: datetime) -> RequestUpdate:
    """Mark a locked request as a duplicate of `into_id` (locked here too)."""
    if str(into_id) == str(duplicate.id):
        raise BadRequest("a request cannot be merged into itself")
    parent = lock_request(session, into_id)
    if parent.jurisdiction_id != duplicate.jurisdiction_id:
        raise BadRequest("both requests must belong to the same jurisdiction")
    if duplicate.duplicate_of_id is not None:
        raise Conflict(f"already merged into {duplicate.duplicate_of_id}")
    if duplicate.status != "open" or parent.status != "open":
        raise Conflict("only open requests can be merged")
    if parent.duplicate_of_id is not None:
        raise Conflict(f"{parent.id} is itself a duplicate; merge into "
                       f"{parent.duplicate_of_id}")
    if session.scalar(select(exists().where(ServiceRequest.duplicate_of_id == duplicate.id))):
        raise Conflict(f"{duplicate.id} has duplicates of its own; merge the other way round")
    duplicate.duplicate_of_id = parent.id
    duplicate.updated_at = parent.updated_at = now
    record(session, parent, actor, "merge", now, public=False,
           description=f"Request {duplicate.id} merged into this one",
           data={"duplicate": duplicate.id})
    return record(session, duplicate, actor, "merge", now,
                  description=f"Merged into request {parent.id}", data={"into": parent.id})


def unmerge(session: DbSession, duplicate: ServiceRequest, actor: str,
            now: datetime) -> RequestUpdate:
    """Undo a merge of a locked request; 409 when it is not merged."""
    if duplicate.duplicate_of_id is None:
        raise Conflict(f"{duplicate.id} is not merged into another request")
    parent = lock_request(session, duplicate.duplicate_of_id)
    duplicate.duplicate_of_id = None
    duplicate.updated_at = parent.updated_at = now
    record(session, parent, actor, "unmerge", now, public=False,
           description=f"Request {duplicate.id} is no longer a duplicate of this one",
           data={"duplicate": duplicate.id})
    return record(session, duplicate, actor, "unmerge", now,
                  description=f"No longer a duplicate of request {parent.id}",
                  data={"from": parent.id})
