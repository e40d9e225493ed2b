"""The request lifecycle as data: states, allowed transitions, closure state codes."""

from dataclasses import dataclass

SUBMITTED = "submitted"
ACKNOWLEDGED = "acknowledged"
IN_PROGRESS = "in_progress"
ON_HOLD = "on_hold"
WAITING_FOR_REPORTER = "waiting_for_reporter"
RESOLVED = "resolved"
CANCELLED = "cancelled"

OPEN_STATES = (SUBMITTED, ACKNOWLEDGED, IN_PROGRESS, ON_HOLD, WAITING_FOR_REPORTER)
CLOSED_STATES = (RESOLVED, CANCELLED)
ALL_STATES = OPEN_STATES + CLOSED_STATES
# The SLA clock stops while the request waits on someone outside the department.
PAUSED_STATES = (ON_HOLD, WAITING_FOR_REPORTER)

# Reopening (a closed state -> acknowledged) is allowed only with a note; see REQUIRES_NOTE.
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    SUBMITTED: (ACKNOWLEDGED, IN_PROGRESS, RESOLVED, CANCELLED),
    ACKNOWLEDGED: (IN_PROGRESS, ON_HOLD, WAITING_FOR_REPORTER, RESOLVED, CANCELLED),
    IN_PROGRESS: (ON_HOLD, WAITING_FOR_REPORTER, RESOLVED, CANCELLED),
    ON_HOLD: (IN_PROGRESS, RESOLVED, CANCELLED),
    WAITING_FOR_REPORTER: (IN_PROGRESS, RESOLVED, CANCELLED),
    RESOLVED: (ACKNOWLEDGED,),
    CANCELLED: (ACKNOWLEDGED,),
}


def open311_status(detailed_status: str) -> str:
    """GeoReport v2 knows only open and closed."""
    return "closed" if detailed_status in CLOSED_STATES else "open"


def is_allowed(from_state: str, to_state: str) -> bool:
    """Whether the lifecycle table allows this move."""
    return to_state in ALLOWED_TRANSITIONS.get(from_state, ())


@dataclass(frozen=True)
class StateCodeInfo:
    """A closure reason: which closed state it belongs to and what the public reads."""

    code: str
    closes_as: str
    label: str


DEFAULT_STATE_CODES: tuple[StateCodeInfo, ...] = (
    StateCodeInfo("WORK_COMPLETED", RESOLVED, "Work completed"),
    StateCodeInfo("NO_ACTION_NEEDED", RESOLVED, "Inspected, no action needed"),
    StateCodeInfo("REFERRED", RESOLVED, "Referred to another agency"),
    StateCodeInfo("INFORMATION_PROVIDED", RESOLVED, "Information provided"),
    StateCodeInfo("DUPLICATE", CANCELLED, "Duplicate of another request"),
    StateCodeInfo("INVALID", CANCELLED, "Invalid request"),
    StateCodeInfo("CANNOT_LOCATE", CANCELLED, "Cannot locate the problem"),
    StateCodeInfo("WITHDRAWN", CANCELLED, "Withdrawn by the reporter"),
    StateCodeInfo("ADMIN_EXPIRED", CANCELLED, "Administrative Closure – Expired"),
    StateCodeInfo("ADMIN_CLOSED", CANCELLED, "Administrative Closure"),
)
