"""Events to deliver (email, webhooks), written in the same transaction as the change."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class OutboxEvent(Base):
    """One delivery to make; a worker claims it with SKIP LOCKED and marks it delivered."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The worker's queue: only what is still to deliver.
        Index("ix_outbox_pending", "available_at", postgresql_where=text("delivered_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    jurisdiction_id: Mapped[str | None] = mapped_column(ForeignKey("jurisdictions.id"))
    service_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_requests.id"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    event: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    available_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


class IdempotencyKey(Base):
    """The first answer to a POST, so that a retried POST returns it instead of a second request."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("api_key_id", "key"),
        UniqueConstraint("staff_user_id", "key"),
        # Keys belong to the app (api key) or the staff member that sent them, never both.
        CheckConstraint("num_nonnulls(api_key_id, staff_user_id) = 1", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    key: Mapped[str] = mapped_column(String(200))
    service_request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id"))
    # sha256 of the body first sent with the key: a replay with another body is refused.
    body_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class UsageCounter(Base):
    """How often one subject (a keyed hash of an address, never the address) did one thing on
    one UTC day; in PostgreSQL so that every worker and host shares the count."""

    __tablename__ = "usage_counters"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
