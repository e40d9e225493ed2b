""""Me too" votes: one per voter per request, counted, the voter kept only as a keyed hash."""

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from app.db import DbSession
from app.emails import same_person_key
from app.exceptions import BadRequest, Conflict
from app.models import ServiceRequest, Vote
from app.security import keyed_hash


@dataclass(frozen=True)
class VoteResult:
    """The request's count after the vote, and whether this vote was counted."""

    vote_count: int
    counted: bool


def voter_identity(device_id: str | None, email: str | None) -> str:
    """What identifies a voter: the email if given (two spellings of one mailbox, such as
    `a+1@x.org` and `a@x.org`, are one voter), else the device id; namespaced so that a
    device id spelled like an email is still another voter."""
    if email:
        return f"email:{same_person_key(email)}"
    if device_id:
        return f"device:{device_id}"
    raise BadRequest("device_id or email is required to vote")


def cast_vote(session: DbSession, service_request: ServiceRequest, voter: str,
              secret_key: str) -> VoteResult:
    """Count one vote per voter; a repeat vote changes nothing. Closed requests take none."""
    if service_request.status != "open":
        raise Conflict(f"request {service_request.id} is closed and takes no more votes")
    # ON CONFLICT: two taps at once from the same voter still count once.
    inserted = session.scalar(
        insert(Vote)
        .values(service_request_id=service_request.id,
                voter_hash=keyed_hash(secret_key, voter))
        .on_conflict_do_nothing(index_elements=["service_request_id", "voter_hash"])
        .returning(Vote.id)
    )
    if inserted is None:
        count = session.scalar(
            select(ServiceRequest.vote_count).where(ServiceRequest.id == service_request.id)
        )
        return VoteResult(count or 0, counted=False)
    # Incremented in SQL so that concurrent votes by different voters all count.
    count = session.scalar(
        update(ServiceRequest)
        .where(ServiceRequest.id == service_request.id)
        .values(vote_count=ServiceRequest.vote_count + 1)
        .returning(ServiceRequest.vote_count)
    )
    session.flush()
    return VoteResult(count or 0, counted=True)
