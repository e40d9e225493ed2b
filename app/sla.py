"""Deadlines in calendar or business days, counted in the jurisdiction's timezone.

Business days skip weekends and the holidays of the catalog's calendar (the `holidays` package
for the country and subdivision, plus the catalog's extra dates). A deadline keeps the local
time of day at which its clock started: a pothole filed Friday 15:00 with 2 business days is due
Tuesday 15:00 (Monday and Tuesday counted), or Wednesday 15:00 when Monday is a holiday.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
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


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """The naive local wall time of an aware moment."""
    return moment.astimezone(zone).replace(tzinfo=None)


def _from_wall(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall time as an aware UTC moment."""
    return wall.replace(tzinfo=zone).astimezone(UTC)


def paused_duration(paused_from: datetime, paused_to: datetime, calendar: str,
                    work: WorkCalendar) -> timedelta:
    """How far a deadline moves for a pause, measured on the jurisdiction's wall clock (so a
    pause from Monday 10:00 to Tuesday 10:00 is one day even across a DST change, as deadlines
    keep their local time of day): all of it for calendar-day SLAs, only the part on business
    days for business-day SLAs (a pause over a weekend does not add the weekend)."""
    if paused_from.tzinfo is None or paused_to.tzinfo is None:
        raise ValueError("pause bounds must be timezone-aware")
    zone = work.zone
    cursor, end = _wall(paused_from, zone), _wall(paused_to, zone)
    if end <= cursor:
        return timedelta(0)
    if calendar == CALENDAR_DAYS:
        return end - cursor
    total = timedelta(0)
    while cursor < end:
        segment_end = min(datetime.combine(cursor.date() + timedelta(days=1), time()), end)
        if work.is_business_day(cursor.date()):
            total += segment_end - cursor
        cursor = segment_end
    return total


def extend_deadline(deadline: datetime, pause: timedelta, calendar: str,
                    work: WorkCalendar) -> datetime:
    """Move a deadline forward by a pause from paused_duration, on the wall clock; for
    business-day SLAs the pause is spent on business days only, so the clock that stopped on a
    Friday evening resumes on Monday at midnight, not on Saturday."""
    zone = work.zone
    cursor = _wall(deadline, zone)
    if pause <= timedelta(0):
        return deadline.astimezone(UTC)
    if calendar == CALENDAR_DAYS:
        return _from_wall(cursor + pause, zone)
    remaining = pause
    while remaining > timedelta(0):
        next_midnight = datetime.combine(cursor.date() + timedelta(days=1), time())
        if work.is_business_day(cursor.date()):
            step = min(remaining, next_midnight - cursor)
            cursor += step
            remaining -= step
        else:
            cursor = next_midnight
    return _from_wall(cursor, zone)


def calendar_from(timezone: str, country: str | None, subdivision: str | None,
                  extra: Iterable[date] = ()) -> WorkCalendar:
    """Build a WorkCalendar from a jurisdiction's stored settings."""
    return WorkCalendar(timezone, country or None, subdivision or None, frozenset(extra or ()))
