"""Answering the satisfaction survey sent on closure: once, through its link's token."""

from datetime import datetime

from sqlalchemy import select

from app import workflow
from app.db import DbSession
from app.exceptions import BadRequest, Conflict, NotFound
from app.models import Survey
from app.security import hash_secret

MAX_COMMENT = 2000


def answer_survey(session: DbSession, token: str, rating: int, comment: str | None,
                  now: datetime) -> Survey:
    """Store the one answer a survey takes; 404 unknown link, 409 already answered."""
    if not workflow.RATING_MIN <= rating <= workflow.RATING_MAX:
        raise BadRequest(f"rating must be {workflow.RATING_MIN} to {workflow.RATING_MAX}")
    if comment and len(comment) > MAX_COMMENT:
        raise BadRequest(f"comment is longer than {MAX_COMMENT} characters")
    survey = session.scalar(
        select(Survey).where(Survey.token_hash == hash_secret(token)).with_for_update()
    )
    if survey is None:
        raise NotFound("this survey link is not valid")
    if survey.responded_at is not None:
        raise Conflict("this survey has already been answered")
    survey.rating = rating
    survey.comment = comment
    survey.responded_at = now
    session.flush()
    return survey
