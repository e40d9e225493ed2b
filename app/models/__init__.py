"""SQLAlchemy 2.0 typed models. The database itself is only ever changed by migrations/."""

from app.models.access import ApiKey, StaffUser
from app.models.catalog import (
    Address,
    Department,
    District,
    Jurisdiction,
    Service,
    ServiceAttribute,
    StateCode,
)
from app.models.outbox import IdempotencyKey, OutboxEvent, UsageCounter
from app.models.requests import (
    Photo,
    Reporter,
    RequestUpdate,
    ServiceRequest,
    Subscription,
    Survey,
    Vote,
)

__all__ = [
    "Address",
    "ApiKey",
    "Department",
    "District",
    "IdempotencyKey",
    "Jurisdiction",
    "OutboxEvent",
    "Photo",
    "Reporter",
    "RequestUpdate",
    "Service",
    "ServiceAttribute",
    "ServiceRequest",
    "StaffUser",
    "StateCode",
    "Subscription",
    "Survey",
    "UsageCounter",
    "Vote",
]
