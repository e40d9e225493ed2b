"""expected_datetime: SLA days counted in the jurisdiction's calendar (GeoReport v2)."""

from datetime import UTC, date, datetime

import pytest

from app.sla import BUSINESS_DAYS, CALENDAR_DAYS, WorkCalendar, add_days

CHICAGO = WorkCalendar("America/Chicago", "US", "IL", frozenset({date(2026, 4, 21)}))


def chicago(*args) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("America/Chicago"))


def test_business_days_skip_the_weekend():
    friday = chicago(2026, 3, 13, 15, 0)
    assert add_days(friday, 2, BUSINESS_DAYS, CHICAGO) == chicago(2026, 3, 17, 15, 0)


def test_business_days_skip_public_holidays():
    # Thanksgiving 2026 is Thursday 26 November.
    wednesday = chicago(2026, 11, 25, 9, 0)
    assert add_days(wednesday, 1, BUSINESS_DAYS, CHICAGO) == chicago(2026, 11, 27, 9, 0)


def test_business_days_skip_the_catalogs_extra_dates():
    monday = chicago(2026, 4, 20, 9, 0)
    assert add_days(monday, 1, BUSINESS_DAYS, CHICAGO) == chicago(2026, 4, 22, 9, 0)


def test_subdivision_holidays_count():
    # Lincoln's Birthday (12 February) is an Illinois holiday, not a federal one.
    wednesday = chicago(2026, 2, 11, 9, 0)
    assert add_days(wednesday, 1, BUSINESS_DAYS, CHICAGO) == chicago(2026, 2, 13, 9, 0)


def test_calendar_days_keep_local_wall_time_across_dst():
    before_dst = chicago(2026, 3, 7, 10, 0)
    due = add_days(before_dst, 2, CALENDAR_DAYS, CHICAGO)
    assert due == chicago(2026, 3, 9, 10, 0)
    assert due.astimezone(UTC).hour == 15


def test_filed_on_a_saturday_counts_from_monday():
    saturday = chicago(2026, 3, 14, 11, 0)
    assert add_days(saturday, 1, BUSINESS_DAYS, CHICAGO) == chicago(2026, 3, 16, 11, 0)


def test_naive_start_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_days(datetime(2026, 1, 1), 1, CALENDAR_DAYS, CHICAGO)
