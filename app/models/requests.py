"""Service requests, the people behind them (kept apart), and everything that happens to them."""

from datetime import datetime
from typing import Any

from geoalchemy2 import Geography, Geometry
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models.catalog import Department, District, Service


class ServiceRequest(Base):
    """A resident's report. Personal data is never here: it lives in Reporter."""

    __tablename__ = "service_requests"
    __table_args__ = (
        Index("ix_service_requests_location", "location", postgresql_using="gist"),
        # Duplicate detection only ever looks at open requests: a smaller index to walk.
        Index(
            "ix_service_requests_open_location", "location", postgresql_using="gist",
            postgresql_where=text("status = 'open'"),
        ),
        # Every public spatial filter and tile reads the published point, never `location`.
        Index("ix_service_requests_public_point", "public_point", postgresql_using="gist"),
        # The nearby check: open requests around a pin (migration 1900).
        Index(
            "ix_service_requests_open_public_point", "public_point", postgresql_using="gist",
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_service_requests_jurisdiction_requested", "jurisdiction_id", "requested_at",
              "id"),
        Index("ix_service_requests_jurisdiction_updated", "jurisdiction_id", "updated_at"),
        Index("ix_service_requests_service_status", "service_id", "status"),
        Index("ix_service_requests_search", "search_vector", postgresql_using="gin"),
        # The staff queue of open requests (app/staff/views.py), in its own order: escalated
        # first, then by deadline. A page of it reads the index in order and stops.
        Index(
            "ix_service_requests_open_queue", "jurisdiction_id", text("(escalated_at IS NULL)"),
            "deadline", "id", postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    jurisdiction_id: Mapped[str] = mapped_column(ForeignKey("jurisdictions.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    # Open311 status (open | closed) and the workflow state it is derived from.
    status: Mapped[str] = mapped_column(String(8), default="open")
    detailed_status: Mapped[str] = mapped_column(String(32), default="submitted")
    state_code: Mapped[str | None] = mapped_column(String(64))
    status_notes: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    service_notice: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    address_id: Mapped[str | None] = mapped_column(String(100))
    zipcode: Mapped[str | None] = mapped_column(String(16))
    # geography: ST_DWithin in metres on the GiST index, as the spatial filters need.
    location: Mapped[Any | None] = mapped_column(
        Geography("POINT", 4326, spatial_index=False), nullable=True
    )
    media_urls: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    channel: Mapped[str] = mapped_column(String(32), default="api")
    token: Mapped[str | None] = mapped_column(String(64), unique=True)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Open311 expected_datetime; moved forward while the clock is paused.
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sla_warned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    overdue_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_requests.id"), index=True
    )
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalation_reason: Mapped[str | None] = mapped_column(String(32))
    vote_count: Mapped[int] = mapped_column(Integer, default=0)
    # The public form (app.redaction.public_form), stored by every write
    # (app/operations/public_form.py): the only columns public surfaces read besides ids,
    # statuses, dates and counts.
    # The strictest public_location this request ever had (see operations/public_form.py).
    public_location: Mapped[str] = mapped_column(String(8), server_default="exact")
    public_description: Mapped[str | None] = mapped_column(Text)
    public_status_notes: Mapped[str | None] = mapped_column(Text)
    public_address: Mapped[str | None] = mapped_column(Text)
    public_address_id: Mapped[str | None] = mapped_column(String(100))
    public_zipcode: Mapped[str | None] = mapped_column(String(16))
    public_point: Mapped[Any | None] = mapped_column(
        Geometry("POINT", 4326, spatial_index=False), nullable=True
    )
    # Web Mercator copy that request_tile_points is filled from (migration 1600's trigger);
    # no index of its own: nothing filters on it here.
    public_point_3857: Mapped[Any | None] = mapped_column(
        Geometry("POINT", 3857, spatial_index=False),
        Computed("ST_Transform(public_point, 3857)", persisted=True),
    )
    public_district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    public_listed: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    public_attributes: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default=text("'{}'::jsonb"))
    # The request's GeoReport v2 JSON entry, rendered from the columns above (and its service's
    # and department's names, its city's zone) by migration 2100's trigger on every write:
    # a page of GET requests.json aggregates these (app/open311/render.py). Never loaded with
    # the object.
    open311_entry: Mapped[str] = mapped_column(Text, server_default=FetchedValue(),
                                               server_onupdate=FetchedValue(), deferred=True)
    # Full-text search runs over the masked text only: searching for an email or a phone
    # number must not find the request whose output masks it.
    search_vector: Mapped[Any] = mapped_column(
        TSVECTOR,
        Computed("to_tsvector('english', coalesce(public_description, ''))", persisted=True),
    )

    service: Mapped[Service] = relationship()
    department: Mapped[Department | None] = relationship()
    district: Mapped[District | None] = relationship(foreign_keys=[district_id])
    reporter: Mapped["Reporter | None"] = relationship(back_populates="service_request")
    duplicate_of: Mapped["ServiceRequest | None"] = relationship(remote_side=[id])
    updates: Mapped[list["RequestUpdate"]] = relationship(
        back_populates="service_request", order_by="RequestUpdate.id"
    )


class Reporter(Base):
    """The only table holding names, emails, phones, device and account ids."""

    __tablename__ = "reporters"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    service_request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id", ondelete="CASCADE"), unique=True
    )
    first_name: Mapped[str | None] = mapped_column(Text)
    last_name: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    device_id: Mapped[str | None] = mapped_column(Text)
    account_id: Mapped[str | None] = mapped_column(Text)

    service_request: Mapped[ServiceRequest] = relationship(back_populates="reporter")


class Photo(Base):
    """A report's photo, cleaned of its metadata, served at /media/<name>. Kept in PostgreSQL
    (not on one host's disk) so that every app host and every replica serves it."""

    __tablename__ = "photos"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    # Null for a photo brought in by `open311 media import` (the file carried no request).
    service_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_requests.id", ondelete="CASCADE"), index=True
    )
    content_type: Mapped[str] = mapped_column(Text)
    # The strong ETag: a hex SHA-256 of the bytes.
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())


class RequestUpdate(Base):
    """An append-only history row: every change and note, public or internal, with its actor."""

    __tablename__ = "request_updates"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    jurisdiction_id: Mapped[str] = mapped_column(ForeignKey("jurisdictions.id"))
    service_request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(Text)
    # submitted | status | note | reassign | escalation | merge | unmerge | duplicate | ...
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    state_code: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    # The description as the public reads it (app.redaction.public_text); NULL when internal.
    public_description: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    service_request: Mapped[ServiceRequest] = relationship(back_populates="updates")


class Vote(Base):
    """A "me too": one per voter, who is kept only as a keyed hash."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("service_request_id", "voter_hash"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    service_request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id"))
    voter_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Subscription(Base):
    """Someone following a request by email, once they have confirmed."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("service_request_id", "email"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    service_request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id"))
    email: Mapped[str] = mapped_column(Text)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Survey(Base):
    """The satisfaction survey sent on closure; answered once."""

    __tablename__ = "surveys"
    # The city's scale: 1 unsatisfied, 2 neutral, 3 satisfied (app.workflow.RATING_*).
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 3", name="rating_scale"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    service_request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
