import csv
import io
from datetime import UTC, datetime, timedelta

from app.models import Survey
from tests.staff_client import bearer

MAY = datetime(2026, 5, 10, 15, tzinfo=UTC)


def closed(make_request, service="POTHOLE", late=False, at=MAY, **columns):
    deadline = at + (timedelta(hours=-1) if late else timedelta(hours=1))
    return make_request(service, status="closed", detailed_status="resolved",
                        requested_at=at - timedelta(days=2), closed_at=at, deadline=deadline,
                        **columns)


def report(client, db_session, query="month=2026-05", headers=None):
    response = client.get(f"/api/v1/staff/reports/performance?{query}",
                          headers=headers or bearer(db_session, "admin"))
    return response


def service_row(body, code):
    return next(r for r in body["services"] if r["service_code"] == code)


def test_counts_opened_closed_and_on_time(client, db_session, make_request):
    closed(make_request)
    closed(make_request, late=True)
    make_request("POTHOLE", requested_at=MAY)
    row = service_row(report(client, db_session).get_json(), "POTHOLE")
    assert (row["opened"], row["closed"], row["closed_on_time"], row["on_time_pct"]) == (
        3, 2, 1, 50.0)


def test_on_time_under_90_percent_needs_review(client, db_session, make_request):
    closed(make_request)
    closed(make_request, late=True)
    assert service_row(report(client, db_session).get_json(), "POTHOLE")["needs_review"]


def test_all_on_time_and_satisfied_needs_no_review(client, db_session, make_request):
    done = closed(make_request)
    db_session.add(Survey(service_request_id=done.id, token_hash="a" * 64, rating=3,
                          responded_at=MAY))
    db_session.flush()
    row = service_row(report(client, db_session).get_json(), "POTHOLE")
    assert (row["satisfaction_avg"], row["needs_review"]) == (3.0, False)


def test_satisfaction_under_2_needs_review(client, db_session, make_request):
    done = closed(make_request)
    db_session.add(Survey(service_request_id=done.id, token_hash="b" * 64, rating=1,
                          responded_at=MAY))
    db_session.flush()
    assert service_row(report(client, db_session).get_json(), "POTHOLE")["needs_review"]


def test_month_is_counted_in_the_jurisdictions_timezone(client, db_session, make_request):
    # 1 June 2026 03:00 UTC is still 31 May 22:00 in Chicago.
    closed(make_request, at=datetime(2026, 6, 1, 3, tzinfo=UTC))
    may = service_row(report(client, db_session).get_json(), "POTHOLE")
    assert may["closed"] == 1


def test_department_totals_add_up_their_services(client, db_session, make_request):
    closed(make_request, "POTHOLE")
    closed(make_request, "GRAFFITI", late=True)
    body = report(client, db_session).get_json()
    (pw,) = [d for d in body["departments"] if d["department"] == "PW"]
    assert (pw["closed"], pw["closed_on_time"], pw["on_time_pct"]) == (2, 1, 50.0)


def test_department_filter_keeps_one_department(client, db_session, make_request):
    closed(make_request, "POTHOLE")
    closed(make_request, "TREE")
    body = report(client, db_session, "month=2026-05&department=PARKS").get_json()
    assert [r["service_code"] for r in body["services"]] == ["TREE"]


def test_csv_by_accept_header(client, db_session, make_request):
    closed(make_request)
    response = client.get("/api/v1/staff/reports/performance?month=2026-05",
                          headers=bearer(db_session, "admin") | {"Accept": "text/csv"})
    assert response.content_type == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert (rows[0]["level"], rows[0]["service_code"], rows[0]["closed"]) == (
        "service", "POTHOLE", "1")


def test_csv_by_format_parameter(client, db_session, make_request):
    response = report(client, db_session, "month=2026-05&format=csv")
    assert response.get_data(as_text=True).startswith("level,department,service_code")


def test_bad_month_is_400(client, db_session, jurisdiction):
    assert report(client, db_session, "month=2026-13").status_code == 400


def test_department_staff_cannot_read_another_departments_report(client, db_session,
                                                                  jurisdiction):
    response = report(client, db_session, "month=2026-05&department=PARKS",
                      headers=bearer(db_session, "department", "PW"))
    assert response.status_code == 403


def test_report_states_the_satisfaction_scale_of_its_averages(client, db_session,
                                                               make_request):
    for n, rating in enumerate((1, 3, 3)):
        request = closed(make_request)
        db_session.add(Survey(service_request_id=request.id, token_hash=f"{n}" * 64,
                              rating=rating, responded_at=MAY))
    db_session.flush()
    body = report(client, db_session).get_json()
    assert body["satisfaction_scale"] == [1, 3]
    assert service_row(body, "POTHOLE")["satisfaction_avg"] == 2.33


def test_a_cancelled_closure_is_not_judged_on_time(client, db_session, make_request):
    closed(make_request)
    make_request("POTHOLE", status="closed", detailed_status="cancelled",
                 requested_at=MAY - timedelta(days=2), closed_at=MAY,
                 deadline=MAY - timedelta(hours=1))
    row = service_row(report(client, db_session).get_json(), "POTHOLE")
    assert (row["closed"], row["closed_on_time"], row["on_time_pct"]) == (2, 1, 100.0)
