"""The monthly SLA and satisfaction report per service and department (read-only queries)."""

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select

from app import workflow
from app.db import DbSession
from app.lookups import AnyJurisdiction
from app.models import Department, Service, ServiceRequest, Survey
from app.reads.requests import judged_sql, on_time_sql

ON_TIME_TARGET_PCT = 90.0
# Survey ratings are on the city's scale, workflow.RATING_MIN to RATING_MAX (1 unsatisfied,
# 2 neutral, 3 satisfied); an average under neutral needs review.
SATISFACTION_SCALE = (workflow.RATING_MIN, workflow.RATING_MAX)
SATISFACTION_TARGET = 2.0


@dataclass
class Tally:
    """Counts for one service, or one department's total."""

    department: str | None
    service_code: str | None
    opened: int = 0
    closed: int = 0
    closed_on_time: int = 0
    # Closed requests that had a deadline: the on-time percentage's denominator.
    closed_with_deadline: int = 0
    survey_responses: int = 0
    rating_sum: int = 0

    def add(self, other: "Tally") -> None:
        """Sum another tally into this one."""
        for name in ("opened", "closed", "closed_on_time", "closed_with_deadline",
                     "survey_responses", "rating_sum"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def row(self) -> dict[str, Any]:
        """The report row: counts, percentages, and whether it needs review."""
        on_time = (round(100.0 * self.closed_on_time / self.closed_with_deadline, 1)
                   if self.closed_with_deadline else None)
        satisfaction = (round(self.rating_sum / self.survey_responses, 2)
                        if self.survey_responses else None)
        data = asdict(self)
        del data["closed_with_deadline"], data["rating_sum"]
        return data | {
            "on_time_pct": on_time,
            "satisfaction_avg": satisfaction,
            "needs_review": (on_time is not None and on_time < ON_TIME_TARGET_PCT) or (
                satisfaction is not None and satisfaction < SATISFACTION_TARGET),
        }


def month_bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of YYYY-MM in `zone`, in UTC."""
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=zone)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def performance_report(session: DbSession, jurisdiction: AnyJurisdiction, month: str,
                       department_code: str | None = None) -> dict[str, Any]:
    """Opened, closed, on time (the one rule, projection.on_time_sql) and satisfaction (on
    SATISFACTION_SCALE) for a month, per service and department."""
    zone = ZoneInfo(jurisdiction.timezone)
    start, end = month_bounds(month, zone)
    key = (Department.code, Service.service_code)

    def grouped(*columns: Any, where: Any, join_survey: bool = False):
        query = (select(*key, *columns)
                 .select_from(ServiceRequest)
                 .join(Service, Service.id == ServiceRequest.service_id)
                 .outerjoin(Department, Department.id == ServiceRequest.department_id)
                 .where(ServiceRequest.jurisdiction_id == jurisdiction.id, where)
                 .group_by(*key))
        if join_survey:
            query = query.join(Survey, Survey.service_request_id == ServiceRequest.id)
        if department_code:
            query = query.where(Department.code == department_code)
        return session.execute(query).all()

    in_month = lambda column: and_(column >= start, column < end)  # noqa: E731
    tallies: dict[tuple[str | None, str], Tally] = {}

    def tally(department: str | None, service_code: str) -> Tally:
        return tallies.setdefault((department, service_code), Tally(department, service_code))

    for department, code, opened in grouped(func.count(), where=in_month(
            ServiceRequest.requested_at)):
        tally(department, code).opened = opened
    for department, code, closed, on_time, with_deadline in grouped(
            func.count(),
            # The one "on time" rule (app.reads.requests.on_time_sql, docs/public-api.md).
            func.count().filter(on_time_sql().is_(True)),
            func.count().filter(judged_sql()),
            where=in_month(ServiceRequest.closed_at)):
        entry = tally(department, code)
        entry.closed, entry.closed_on_time, entry.closed_with_deadline = (
            closed, on_time, with_deadline)
    for department, code, responses, rating_sum in grouped(
            func.count(), func.sum(Survey.rating),
            where=and_(in_month(Survey.responded_at), Survey.rating.is_not(None)),
            join_survey=True):
        entry = tally(department, code)
        entry.survey_responses, entry.rating_sum = responses, int(rating_sum)

    departments: dict[str | None, Tally] = defaultdict(lambda: Tally(None, None))
    for (department, _), entry in sorted(tallies.items(), key=lambda item: str(item[0])):
        departments[department].department = department
        departments[department].add(entry)
    return {
        "month": month,
        "timezone": jurisdiction.timezone,
        "satisfaction_scale": list(SATISFACTION_SCALE),
        "services": [tallies[k].row() for k in sorted(tallies, key=str)],
        "departments": [departments[k].row() for k in sorted(departments, key=str)],
    }
