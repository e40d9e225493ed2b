"""GET /api/v1/public/stats: counts, medians, on-time share, satisfaction, low samples."""

from datetime import UTC, datetime, timedelta

import pytest

from app.models import Survey

URL = "/api/v1/public/stats"
START = datetime(2026, 2, 2, 15, tzinfo=UTC)


def resolved(make_request, code="POTHOLE", days=2.0, deadline_days=5.0, **columns):
    """A request resolved `days` after filing, with a deadline `deadline_days` after."""
    return make_request(code, requested_at=START, status="closed", detailed_status="resolved",
                        closed_at=START + timedelta(days=days),
                        deadline=START + timedelta(days=deadline_days), **columns)


def rows_by(client, group_by: str, key: str) -> dict:
    """The stats rows keyed by one group column."""
    response = client.get(f"{URL}?group_by={group_by}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return {row[key]: row for row in response.get_json()["rows"]}


def test_counts_per_service(client, make_request):
    make_request("POTHOLE")
    make_request("POTHOLE")
    make_request("TREE")
    rows = rows_by(client, "service", "service_code")
    assert (rows["POTHOLE"]["count"], rows["TREE"]["count"]) == (2, 1)


def test_median_days_to_close_over_resolved_requests(client, make_request):
    for days in (1, 2, 6):
        resolved(make_request, days=days)
    make_request(status="closed", detailed_status="cancelled", closed_at=START)
    assert rows_by(client, "service", "service_code")["POTHOLE"]["median_days_to_close"] == 2


def test_on_time_counts_open_requests_past_their_deadline_as_late(client, make_request):
    resolved(make_request, days=1, deadline_days=5)
    resolved(make_request, days=7, deadline_days=5)
    make_request(deadline=datetime.now(UTC) - timedelta(days=1))  # overdue, still open
    make_request(deadline=datetime.now(UTC) + timedelta(days=3))  # not judged yet
    row = rows_by(client, "service", "service_code")["POTHOLE"]
    assert (row["sample_size"], row["on_time_percent"]) == (3, 33.3)


def test_groups_under_the_minimum_sample_are_flagged(app, client, make_request, monkeypatch):
    monkeypatch.setitem(app.config, "STATS_MIN_SAMPLE", 2)
    resolved(make_request, "POTHOLE")
    resolved(make_request, "POTHOLE")
    resolved(make_request, "TREE", deadline_days=60)
    rows = rows_by(client, "service", "service_code")
    assert (rows["POTHOLE"]["low_sample"], rows["TREE"]["low_sample"]) == (False, True)


def test_satisfaction_is_the_mean_survey_rating(client, db_session, make_request):
    for rating in (3, 2):
        service_request = resolved(make_request)
        db_session.add(Survey(service_request_id=service_request.id, rating=rating,
                              token_hash=f"hash-{service_request.id}"))
    resolved(make_request)
    db_session.flush()
    row = rows_by(client, "department", "department")["PW"]
    assert (row["satisfaction"], row["satisfaction_responses"]) == (2.5, 2)


def test_duplicates_are_excluded(client, make_request):
    original = make_request()
    make_request(duplicate_of_id=original.id)
    assert rows_by(client, "status", "status")["submitted"]["count"] == 1


def test_months_are_local_calendar_months(client, make_request):
    # 2026-03-01 03:00 UTC is still February in Chicago.
    make_request(requested_at=datetime(2026, 3, 1, 3, tzinfo=UTC))
    assert list(rows_by(client, "month", "month")) == ["2026-02"]


def test_several_groups_give_one_row_per_combination(client, make_request):
    make_request("POTHOLE", detailed_status="submitted")
    make_request("POTHOLE", detailed_status="in_progress")
    make_request("TREE", detailed_status="submitted")
    rows = client.get(f"{URL}?group_by=service,status").get_json()["rows"]
    assert [(r["service_code"], r["status"]) for r in rows] == [
        ("POTHOLE", "in_progress"), ("POTHOLE", "submitted"), ("TREE", "submitted")]


def test_filters_apply_to_statistics(client, make_request):
    make_request("POTHOLE")
    make_request("TREE")
    rows = client.get(f"{URL}?group_by=service&service_code=TREE").get_json()["rows"]
    assert [r["service_code"] for r in rows] == ["TREE"]


def test_the_method_is_stated(client, jurisdiction):
    document = client.get(f"{URL}?group_by=service").get_json()
    assert "on_time_percent" in document["method"] and "excluded" in document["method"]


@pytest.mark.parametrize("query", ["", "group_by=agency", "group_by=service,month,agency"])
def test_missing_or_unknown_group_by_is_400(client, jurisdiction, query):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert "group_by" in response.get_json()["message"]
