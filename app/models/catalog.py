"""What a city loads from its catalog file: jurisdiction, departments, services, places."""

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geography, Geometry
from sqlalchemy import (
    ARRAY,
    Boolean,
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
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base


class Jurisdiction(Base):
    """One city (Open311 jurisdiction_id); every table carries it so it can be a shard key."""

    __tablename__ = "jurisdictions"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64))
    # Deferred: every POST reads its jurisdiction, and a city's polygon is large; the point
    # is tested against a cached copy (app/operations/shapes.py).
    boundary: Mapped[Any | None] = mapped_column(
        Geometry("MULTIPOLYGON", 4326, spatial_index=False), nullable=True, deferred=True
    )
    holiday_country: Mapped[str | None] = mapped_column(String(8))
    holiday_subdivision: Mapped[str | None] = mapped_column(String(16))
    holiday_extra: Mapped[list[date]] = mapped_column(ARRAY(Date), default=list)
    # Digest of the loaded catalog: reloading an unchanged file changes nothing.
    catalog_hash: Mapped[str | None] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    departments: Mapped[list["Department"]] = relationship(back_populates="jurisdiction")
    services: Mapped[list["Service"]] = relationship(back_populates="jurisdiction")


class Department(Base):
    """A city department: the Open311 agency_responsible of its services."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[str] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)

    jurisdiction: Mapped[Jurisdiction] = relationship(back_populates="departments")


class Service(Base):
    """An Open311 service type with its SLA, duplicate rule and public-location policy."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "service_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[str] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    service_code: Mapped[str] = mapped_column(String(100))
    service_name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    group: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    type: Mapped[str] = mapped_column(String(16), default="realtime")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    sla_days: Mapped[int | None] = mapped_column(Integer)
    sla_calendar: Mapped[str] = mapped_column(String(16), default="calendar")
    sla_explanation: Mapped[str | None] = mapped_column(Text)
    duplicate_radius_m: Mapped[int | None] = mapped_column(Integer)
    duplicate_window_days: Mapped[int | None] = mapped_column(Integer)
    expire_after_days: Mapped[int | None] = mapped_column(Integer)
    public_location: Mapped[str] = mapped_column(String(16), default="exact")
    restricted_to: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    # language code -> {service_name, description, group, attributes} shown by the web pages
    translations: Mapped[dict[str, dict[str, Any]]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb"))
    # A service removed from the catalog is kept for its history but no longer offered.
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    jurisdiction: Mapped[Jurisdiction] = relationship(back_populates="services")
    department: Mapped[Department | None] = relationship()
    attributes: Mapped[list["ServiceAttribute"]] = relationship(
        back_populates="service",
        order_by="ServiceAttribute.order",
        cascade="all, delete-orphan",
    )


class ServiceAttribute(Base):
    """One question of a service definition (GeoReport v2 "GET Service Definition")."""

    __tablename__ = "service_attributes"
    __table_args__ = (UniqueConstraint("service_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(100))
    variable: Mapped[bool] = mapped_column(Boolean, default=True)
    datatype: Mapped[str] = mapped_column(String(32))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    datatype_description: Mapped[str | None] = mapped_column(Text)
    order: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    values: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list)

    service: Mapped[Service] = relationship(back_populates="attributes")


class StateCode(Base):
    """A closure state code a catalog adds to the defaults of app.workflow."""

    __tablename__ = "state_codes"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[str] = mapped_column(ForeignKey("jurisdictions.id"))
    code: Mapped[str] = mapped_column(String(64))
    closes_as: Mapped[str] = mapped_column(String(16))  # resolved | cancelled
    label: Mapped[str] = mapped_column(Text)


class District(Base):
    """A council district or ward; requests get theirs when filed."""

    __tablename__ = "districts"
    __table_args__ = (
        UniqueConstraint("jurisdiction_id", "code"),
        Index("ix_districts_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[str] = mapped_column(ForeignKey("jurisdictions.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(Geometry("MULTIPOLYGON", 4326, spatial_index=False))


class Address(Base):
    """One of the city's address points, for address_id and address search."""

    __tablename__ = "addresses"
    __table_args__ = (
        UniqueConstraint("jurisdiction_id", "address_id"),
        Index("ix_addresses_location", "location", postgresql_using="gist"),
        Index("ix_addresses_normalized_trgm", "normalized", postgresql_using="gin",
              postgresql_ops={"normalized": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[str] = mapped_column(ForeignKey("jurisdictions.id"))
    address_id: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(Text)
    # Lower-cased, abbreviations expanded: what pg_trgm compares.
    normalized: Mapped[str] = mapped_column(Text)
    zipcode: Mapped[str | None] = mapped_column(String(16))
    location: Mapped[Any] = mapped_column(Geography("POINT", 4326, spatial_index=False))
