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

# What each target state asks of the transition (Houston 311 closure policy): resolving needs
# a state code and a description of the work done; cancelling needs a state code; pausing and
# reopening need a note saying why, which goes into the history.
REQUIRES_STATE_CODE = frozenset(CLOSED_STATES)
REQUIRES_DESCRIPTION = frozenset((RESOLVED, ON_HOLD, WAITING_FOR_REPORTER))


def requires_description(from_state: str, to_state: str) -> bool:
    """Whether a move needs a description: resolving, pausing, and reopening a closed request."""
    return to_state in REQUIRES_DESCRIPTION or from_state in CLOSED_STATES


# State codes that say the city did nothing to the problem itself: a resident unhappy with one
# of these may escalate a later report ("unsatisfied").
WITHOUT_ACTION_CODES = frozenset(
    ("NO_ACTION_NEEDED", "CANNOT_LOCATE", "INVALID", "ADMIN_EXPIRED", "ADMIN_CLOSED")
)

STAFF_ROLES = ("agent", "department", "admin", "mayor_office")
# Roles that file requests on behalf of callers; department staff work the queue only.
CREATING_ROLES = ("agent", "admin", "mayor_office")
STAFF_CHANNELS = ("phone", "email", "walk_in", "council", "mayor")

OVERDUE = "overdue"
IMMINENT_THREAT = "imminent_threat"
RECURRING = "recurring"
UNSATISFIED = "unsatisfied"
ESCALATION_REASONS = (OVERDUE, IMMINENT_THREAT, RECURRING, UNSATISFIED)
# "Recurring": an earlier request of the same service nearby within this many days.
RECURRING_WINDOW_DAYS = 183
# Survey ratings: 1 unsatisfied, 2 neutral, 3 satisfied.
RATING_MIN, RATING_MAX = 1, 3
