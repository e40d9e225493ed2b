"""Finding the jurisdiction a call is about: optional with one, required with several."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from app.db import DbSession
from app.exceptions import BadRequest, NotFound
from app.models import Jurisdiction, ServiceRequest
from app.process_cache import ProcessCache


@dataclass(frozen=True)
class City:
    """What a request needs of its jurisdiction, remembered per process
    (app/process_cache.py): reads and reports resolve it without a round trip."""

    id: str
    name: str
    timezone: str
    holiday_country: str | None
    holiday_subdivision: str | None
    holiday_extra: tuple[date, ...]
    # Bumped by every catalog load: part of the key of what is derived from the catalog.
    changed_at: datetime


# What reads accept: they use only the fields of City, which a mapped Jurisdiction has too.
AnyJurisdiction = Jurisdiction | City

CITY_COLUMNS = (Jurisdiction.id, Jurisdiction.name, Jurisdiction.timezone,
                Jurisdiction.holiday_country, Jurisdiction.holiday_subdivision,
                Jurisdiction.holiday_extra, Jurisdiction.changed_at)

# Keyed on the id asked for; "" is "the only one" of a one-city server.
_cities: ProcessCache[City] = ProcessCache(Jurisdiction)


def _city(row: tuple) -> City:
    return City(*row[:5], tuple(row[5] or ()), row[6])  # type: ignore[call-arg]


def resolve_city(session: DbSession, jurisdiction_id: str | None) -> City:
    """The jurisdiction named, or the only one; 400 when several and none named, 404 unknown."""
    if jurisdiction_id:
        city = _cities.get(jurisdiction_id, lambda: _named(session, jurisdiction_id))
        if city is None:
            raise NotFound(f"jurisdiction_id {jurisdiction_id!r} was not found")
        return city
    city = _cities.get("", lambda: _only(session))
    if city is not None:
        return city
    count = session.scalar(select(func.count()).select_from(Jurisdiction))
    if not count:
        raise NotFound("no jurisdiction is configured on this server")
    raise BadRequest(f"jurisdiction_id is required: this server serves {count} jurisdictions")


def _named(session: DbSession, jurisdiction_id: str) -> City | None:
    row = session.execute(select(*CITY_COLUMNS).where(Jurisdiction.id == jurisdiction_id)).first()
    return _city(tuple(row)) if row is not None else None


def _only(session: DbSession) -> City | None:
    rows = session.execute(select(*CITY_COLUMNS).limit(2)).all()
    return _city(tuple(rows[0])) if len(rows) == 1 else None


def resolve_jurisdiction(session: DbSession, jurisdiction_id: str | None) -> Jurisdiction:
    """The jurisdiction as a mapped object of this session, for operations that change it or
    relate rows to it; resolve_city answers everything else without a round trip."""
    jurisdiction = session.get(Jurisdiction, resolve_city(session, jurisdiction_id).id)
    if jurisdiction is None:  # removed since it was remembered
        raise NotFound(f"jurisdiction_id {jurisdiction_id!r} was not found")
    return jurisdiction


def jurisdiction_of(session: DbSession, service_request: ServiceRequest) -> Jurisdiction:
    """The jurisdiction a stored request belongs to (its foreign key guarantees one)."""
    jurisdiction = session.get(Jurisdiction, service_request.jurisdiction_id)
    if jurisdiction is None:
        raise NotFound(f"jurisdiction {service_request.jurisdiction_id!r} was not found")
    return jurisdiction
