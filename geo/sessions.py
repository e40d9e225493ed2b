"""The session type geo/ functions accept (a Session or Flask-SQLAlchemy's scoped proxy)."""

from typing import Any

from sqlalchemy.orm import Session, scoped_session

DbSession = Session | scoped_session[Any]
