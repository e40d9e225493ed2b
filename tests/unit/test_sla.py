"""sla.paused_duration and sla.extend_deadline: weekends, holidays, DST, nights."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app import sla

CHICAGO = ZoneInfo("America/Chicago")
# US-IL holidays plus an extra city holiday, as in tests/fixtures/catalog.yaml.
WORK = sla.calendar_from("America/Chicago", "US", "IL", [date(2026, 4, 21)])


def local(*args: int) -> datetime:
    """A Chicago wall time as an aware datetime."""
    return datetime(*args, tzinfo=CHICAGO)


def test_calendar_pause_counts_every_hour():
    assert sla.paused_duration(local(2026, 5, 1, 9), local(2026, 5, 4, 9), "calendar",
                               WORK) == timedelta(days=3)


def test_business_pause_over_a_weekend_skips_the_weekend():
    # Friday 17:00 to Monday 09:00: Friday evening and Monday morning only.
    assert sla.paused_duration(local(2026, 5, 1, 17), local(2026, 5, 4, 9), "business",
                               WORK) == timedelta(hours=16)


def test_business_pause_across_a_weeknight_counts_the_night():
    assert sla.paused_duration(local(2026, 5, 5, 17), local(2026, 5, 6, 9), "business",
                               WORK) == timedelta(hours=16)


def test_business_pause_on_a_catalog_holiday_counts_nothing():
    assert sla.paused_duration(local(2026, 4, 21, 8), local(2026, 4, 21, 18), "business",
                               WORK) == timedelta(0)


def test_business_pause_skips_a_federal_holiday():
    # Memorial Day 2026 is Monday 25 May: Friday 12:00 to Tuesday 12:00 is 12 h + 12 h.
    assert sla.paused_duration(local(2026, 5, 22, 12), local(2026, 5, 26, 12), "business",
                               WORK) == timedelta(hours=24)


def test_pause_ending_before_it_starts_is_zero():
    assert sla.paused_duration(local(2026, 5, 5, 12), local(2026, 5, 5, 11), "business",
                               WORK) == timedelta(0)


@pytest.mark.parametrize("calendar", sla.SLA_CALENDARS)
def test_pause_over_spring_forward_is_one_wall_clock_day(calendar):
    # 2026-03-08 02:00 CST -> 03:00 CDT: 23 elapsed hours, one day on the clock.
    start, end = local(2026, 3, 7, 10), local(2026, 3, 8, 10)
    expected = timedelta(days=1) if calendar == "calendar" else timedelta(0)
    assert sla.paused_duration(start, end, calendar, WORK) == expected


def test_pause_is_the_same_whatever_timezone_the_bounds_carry():
    start, end = local(2026, 3, 7, 10), local(2026, 3, 9, 10)
    assert sla.paused_duration(start.astimezone(UTC), end.astimezone(UTC), "calendar",
                               WORK) == sla.paused_duration(start, end, "calendar", WORK)


def test_naive_pause_bounds_are_refused():
    with pytest.raises(ValueError, match="aware"):
        sla.paused_duration(datetime(2026, 5, 5, 9), local(2026, 5, 5, 10), "calendar", WORK)


def test_calendar_extension_keeps_local_time_across_dst():
    deadline = local(2026, 3, 7, 15).astimezone(UTC)
    moved = sla.extend_deadline(deadline, timedelta(days=1), "calendar", WORK)
    assert moved.astimezone(CHICAGO) == local(2026, 3, 8, 15)


def test_business_extension_rolls_over_the_weekend():
    # Friday 15:00 + 24 business hours: 9 h on Friday, 15 h on Monday.
    moved = sla.extend_deadline(local(2026, 5, 1, 15), timedelta(hours=24), "business", WORK)
    assert moved.astimezone(CHICAGO) == local(2026, 5, 4, 15)


def test_business_extension_skips_a_holiday():
    # Monday 20 April 15:00 + one business day: Tuesday 21 is the city's extra holiday.
    moved = sla.extend_deadline(local(2026, 4, 20, 15), timedelta(days=1), "business", WORK)
    assert moved.astimezone(CHICAGO) == local(2026, 4, 22, 15)


def test_business_extension_from_a_weekend_deadline_starts_on_monday_morning():
    moved = sla.extend_deadline(local(2026, 5, 2, 15), timedelta(hours=1), "business", WORK)
    assert moved.astimezone(CHICAGO) == local(2026, 5, 4, 1)


def test_business_extension_across_spring_forward_keeps_local_time():
    moved = sla.extend_deadline(local(2026, 3, 6, 15), timedelta(days=1), "business", WORK)
    assert moved.astimezone(CHICAGO) == local(2026, 3, 9, 15)


def test_zero_pause_leaves_the_deadline():
    deadline = local(2026, 5, 5, 15)
    assert sla.extend_deadline(deadline, timedelta(0), "business", WORK) == deadline


def test_pause_then_extension_moves_a_deadline_by_the_business_time_paused():
    # Paused Friday 17:00 to Monday 09:00 (16 business hours); due Wednesday 15:00.
    pause = sla.paused_duration(local(2026, 5, 1, 17), local(2026, 5, 4, 9), "business", WORK)
    moved = sla.extend_deadline(local(2026, 5, 6, 15), pause, "business", WORK)
    assert moved.astimezone(CHICAGO) == local(2026, 5, 7, 7)


def test_add_business_days_skips_weekend_and_holiday():
    # Friday 17 April 15:00 + 2 business days: Monday 20, (Tuesday 21 holiday), Wednesday 22.
    due = sla.add_days(local(2026, 4, 17, 15), 2, "business", WORK)
    assert due.astimezone(CHICAGO) == local(2026, 4, 22, 15)


def test_add_calendar_days_keeps_local_time_across_fall_back():
    due = sla.add_days(local(2026, 10, 31, 9), 3, "calendar", WORK)
    assert due.astimezone(CHICAGO) == local(2026, 11, 3, 9)
