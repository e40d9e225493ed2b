"""The database handle: one declarative Base with a naming convention, one session per request."""

from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

from app.replicas import RoutingSession

# Deterministic constraint names, so that migrations can name what they drop (Warehouse's db.py).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The session picks the primary or a replica per HTTP request (app/replicas.py).
db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})

# What operations and queries accept: a Session, or Flask-SQLAlchemy's request-scoped proxy
# of one (db.session), which is not a Session subclass but offers the same API.
DbSession = Session | scoped_session[Any]
