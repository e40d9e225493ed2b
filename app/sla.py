"""Deadlines in calendar or business days, counted in the jurisdiction's timezone.

Business days skip weekends and the holidays of the catalog's calendar (the `holidays` package
for the country and subdivision, plus the catalog's extra dates). A deadline keeps the local
time of day at which its clock started: a pothole filed Friday 15:00 with 2 business days is due
Tuesday 15:00 (Monday and Tuesday counted), or Wednesday 15:00 when Monday is a holiday.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

CALENDAR_DAYS = "calendar"
BUSINESS_DAYS = "business"
SLA_CALENDARS = (CALENDAR_DAYS, BUSINESS_DAYS)
# GeoReport v2: service_notice explains an expected_datetime this far off.
LONG_SLA_DAYS = 30


@dataclass(frozen=True)
class WorkCalendar:
    """Which days count as business days for one jurisdiction."""

    timezone: str
    country: str | None = None
    subdivision: str | None = None
    extra_holidays: frozenset[date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        """The jurisdiction's timezone."""
        return ZoneInfo(self.timezone)

    def is_holiday(self, day: date) -> bool:
        """True for a public holiday of the country/subdivision or a catalog extra date."""
        if day in self.extra_holidays:
            return True
        if not self.country:
            return False
        return day in _country_holidays(self.country, self.subdivision, day.year)

    def is_business_day(self, day: date) -> bool:
        """Monday to Friday and not a holiday."""
        return day.weekday() < 5 and not self.is_holiday(day)


@lru_cache(maxsize=256)
def _country_holidays(country: str, subdivision: str | None, year: int) -> holidays_lib.HolidayBase:
    return holidays_lib.country_holidays(country, subdiv=subdivision, years=year)


def _at_local(day: date, like: datetime, zone: ZoneInfo) -> datetime:
    """`day` at the local wall time of `like`, as an aware UTC datetime."""
    local = datetime.combine(day, like.timetz().replace(tzinfo=None), tzinfo=zone)
    return local.astimezone(UTC)


def add_days(start: datetime, days: int, calendar: str, work: WorkCalendar) -> datetime:
    """The moment `days` calendar or business days after `start` (aware), in UTC."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if calendar not in SLA_CALENDARS:
        raise ValueError(f"unknown SLA calendar {calendar!r}")
    zone = work.zone
    local = start.astimezone(zone)
    if calendar == CALENDAR_DAYS:
        return _at_local(local.date() + timedelta(days=days), local, zone)
    day = local.date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if work.is_business_day(day):
            counted += 1
    return _at_local(day, local, zone)


def paused_duration(paused_from: datetime, paused_to: datetime, calendar: str,
                    work: WorkCalendar) -> timedelta:
    """How far a deadline moves for a pause: elapsed time, or for business-day SLAs only the
    part of it that fell on business days (a pause over a weekend does not add the weekend)."""
    if paused_to <= paused_from:
        return timedelta(0)
    if calendar == CALENDAR_DAYS:
        return paused_to - paused_from
    zone = work.zone
    total = timedelta(0)
    cursor = paused_from.astimezone(zone)
    end = paused_to.astimezone(zone)
    while cursor < end:
        next_midnight = datetime.combine(cursor.date() + timedelta(days=1), datetime.min.time(),
                                         tzinfo=zone)
        segment_end = min(next_midnight, end)
        if work.is_business_day(cursor.date()):
            total += segment_end - cursor
        cursor = segment_end
    return total


def extend_deadline(deadline: datetime, pause: timedelta, calendar: str,
                    work: WorkCalendar) -> datetime:
    """Move a deadline forward by paused business time, skipping non-business days again."""
    if calendar == CALENDAR_DAYS or pause <= timedelta(0):
        return deadline + pause
    zone = work.zone
    cursor = deadline.astimezone(zone)
    remaining = pause
    while remaining > timedelta(0):
        if not work.is_business_day(cursor.date()):
            cursor = datetime.combine(cursor.date() + timedelta(days=1), cursor.timetz())
            continue
        next_midnight = datetime.combine(cursor.date() + timedelta(days=1), datetime.min.time(),
                                         tzinfo=zone)
        step = min(remaining, next_midnight - cursor)
        cursor += step
        remaining -= step
        if remaining > timedelta(0):
            cursor = next_midnight
    return cursor.astimezone(UTC)


def is_on_time(closed_at: datetime | None, deadline: datetime | None) -> bool | None:
    """On time: closed at or before the deadline. None when there is nothing to judge."""
    if closed_at is None or deadline is None:
        return None
    return closed_at <= deadline


def is_overdue(now: datetime, closed_at: datetime | None, deadline: datetime | None) -> bool:
    """Overdue: still open past the deadline."""
    return closed_at is None and deadline is not None and now > deadline


def calendar_from(timezone: str, country: str | None, subdivision: str | None,
                  extra: Iterable[date] = ()) -> WorkCalendar:
    """Build a WorkCalendar from a jurisdiction's stored settings."""
    return WorkCalendar(timezone, country or None, subdivision or None, frozenset(extra or ()))
