"""Service definitions as frozen snapshots kept per process (app/process_cache.py): every
report is validated against its service's definition, and loading it was one round trip of
each POST.

A snapshot is keyed on the jurisdiction's `changed_at`, which every catalog load bumps, and
filing a report reads the stored `changed_at` in the round trip that takes the duplicate lock
(app/operations/submit.py): a report is not stored under a definition that another process
has already replaced.

The catalog lock closes the window between that check and the report's commit: filing holds
it shared from before the check to its commit, a catalog load holds it exclusively for its
whole transaction. A load therefore starts only once the reports being filed are committed,
so its refresh of the public forms (a stricter public_location, say) covers them; and a
report filed meanwhile waits, then reads the new `changed_at` and is validated again."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.db import DbSession
from app.exceptions import BadRequest, NotFound
from app.lookups import AnyJurisdiction
from app.models import Service, ServiceAttribute
from app.process_cache import ProcessCache
from app.reads.statements import FORCE_GENERIC_PLAN


@dataclass(frozen=True)
class AttributeDefinition:
    """One question of a service (GeoReport v2 service definition attribute)."""

    code: str
    datatype: str
    required: bool
    variable: bool
    description: str
    values: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class ServiceDefinition:
    """What filing a report needs of its service."""

    id: int
    jurisdiction_id: str
    service_code: str
    service_name: str
    type: str
    department_id: int | None
    restricted_to: tuple[str, ...]
    sla_days: int | None
    sla_calendar: str
    sla_explanation: str | None
    duplicate_radius_m: int | None
    duplicate_window_days: int | None
    public_location: str
    attributes: tuple[AttributeDefinition, ...]
    # The jurisdiction's changed_at when the snapshot was taken.
    catalog_changed_at: datetime


# Either kind: the checks that read a service use only the fields of ServiceDefinition.
AnyService = Service | ServiceDefinition

_definitions: ProcessCache[ServiceDefinition] = ProcessCache(Service, ServiceAttribute)

CATALOG_LOCK_SPACE = 0x43415441


def catalog_lock_key(jurisdiction_id: str) -> int:
    """The advisory lock key of a jurisdiction's catalog (see the module's text)."""
    digest = hashlib.blake2b(f"{CATALOG_LOCK_SPACE}:{jurisdiction_id}".encode(),
                             digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


# Taken first in the pipeline of a filing, so that the statements after it (the parent
# search, the changed_at check) read what a catalog load it waited for has committed. A load
# that changes the catalog holds the lock while it refreshes the public forms, which can take
# minutes in a large city: a filing waits for a lock (this one or a duplicate lock) at most
# FILING_LOCK_WAIT, then fails with PostgreSQL's lock timeout, answered 503 with Retry-After.
#
# The filing's statements after it are planned once per connection (generic plans), not on
# every execution: they are few and fixed, and PostgreSQL kept planning the parent search
# anew for each report (its custom plans never looked dearer than the generic one), 0.34 ms
# of the 1.6 ms a POST cost PostgreSQL in the 1M city against 0.08 ms to run it (statement
# log, issue 12). Both settings end with the transaction.
FILING_LOCK_WAIT = "5s"
FILING_CATALOG_LOCK_SQL = (
    "SELECT pg_advisory_xact_lock_shared(%(catalog_key)s) FROM"  # noqa: S608 (constants only)
    " (SELECT set_config('lock_timeout', %(lock_wait)s, true),"
    f" {FORCE_GENERIC_PLAN}) AS filing_settings")


def filing_catalog_lock(jurisdiction_id: str) -> tuple[str, dict]:
    """The first statement of a filing's pipeline, with its parameters."""
    return FILING_CATALOG_LOCK_SQL, {"catalog_key": catalog_lock_key(jurisdiction_id),
                                     "lock_wait": FILING_LOCK_WAIT}


def lock_catalog(session: DbSession, jurisdiction_id: str) -> None:
    """Hold the catalog of a jurisdiction exclusively until the transaction ends."""
    session.execute(select(func.pg_advisory_xact_lock(catalog_lock_key(jurisdiction_id))))


def _snapshot(service: Service, changed_at: datetime) -> ServiceDefinition:
    return ServiceDefinition(
        id=service.id, jurisdiction_id=service.jurisdiction_id,
        service_code=service.service_code, service_name=service.service_name,
        type=service.type, department_id=service.department_id,
        restricted_to=tuple(service.restricted_to or ()), sla_days=service.sla_days,
        sla_calendar=service.sla_calendar, sla_explanation=service.sla_explanation,
        duplicate_radius_m=service.duplicate_radius_m,
        duplicate_window_days=service.duplicate_window_days,
        public_location=service.public_location,
        attributes=tuple(
            AttributeDefinition(code=a.code, datatype=a.datatype, required=a.required,
                                variable=a.variable, description=a.description,
                                values=tuple(a.values or ()))
            for a in service.attributes),
        catalog_changed_at=changed_at,
    )


def find_service(session: DbSession, jurisdiction: AnyJurisdiction, service_code: str | None,
                 ) -> Service:
    """The active service of this code, or 400 (missing) / 404 (unknown)."""
    if not service_code:
        raise BadRequest("service_code is required")
    # Its definition comes in the same round trip: every report is validated against it.
    service = session.scalars(
        select(Service).where(
            Service.jurisdiction_id == jurisdiction.id,
            Service.service_code == service_code,
            Service.active.is_(True),
        ).options(joinedload(Service.attributes))
    ).unique().one_or_none()
    if service is None:
        raise NotFound(f"service_code {service_code!r} was not found")
    return service


def service_definition(session: DbSession, jurisdiction: AnyJurisdiction,
                       service_code: str | None) -> ServiceDefinition:
    """The active service of this code as a snapshot, or 400 (missing) / 404 (unknown): the
    refusals are find_service's, raised before anything is remembered."""

    def load() -> ServiceDefinition:
        return _snapshot(find_service(session, jurisdiction, service_code),
                         jurisdiction.changed_at)

    found = _definitions.get((jurisdiction.id, jurisdiction.changed_at, service_code), load)
    assert found is not None  # load answers a definition or raises
    return found

