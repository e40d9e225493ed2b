from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.models import RequestUpdate
from tests.factories import ReporterFactory
from tests.staff_client import bearer, move


def test_acknowledging_records_actor_and_time_in_history(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    headers = bearer(db_session, "agent")
    response = move(client, headers, pothole, "acknowledged")
    assert response.status_code == 200
    last = response.get_json()["updates"][-1]
    assert (last["kind"], last["from_status"], last["to_status"]) == (
        "status", "submitted", "acknowledged")
    assert last["actor"] == "staff:agent-all@springfield.example.gov"


def test_resolving_without_state_code_is_400(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    response = move(client, bearer(db_session), pothole, "resolved", description="Filled")
    assert response.status_code == 400
    assert "state_code" in response.get_json()["message"]


def test_resolving_without_description_is_400(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    response = move(client, bearer(db_session), pothole, "resolved", state_code="WORK_COMPLETED")
    assert response.status_code == 400
    assert "description" in response.get_json()["message"]


def test_cancelling_without_state_code_is_400(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    assert move(client, bearer(db_session), pothole, "cancelled").status_code == 400


def test_state_code_of_the_other_closed_state_is_400(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    response = move(client, bearer(db_session), pothole, "cancelled",
                    state_code="WORK_COMPLETED")
    assert response.status_code == 400


def test_unknown_target_state_is_400(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    assert move(client, bearer(db_session), pothole, "teleported").status_code == 400


def test_impossible_move_is_409_and_changes_nothing(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    response = move(client, bearer(db_session), pothole, "on_hold", description="Waiting")
    assert response.status_code == 409
    db_session.refresh(pothole)
    assert pothole.detailed_status == "submitted"


def test_resolution_description_becomes_open311_status_notes(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    move(client, bearer(db_session), pothole, "resolved", state_code="WORK_COMPLETED",
         description="Filled with cold patch")
    document = client.get(f"/open311/v2/requests/{pothole.id}.json").get_json()[0]
    assert (document["status"], document["status_notes"]) == ("closed", "Filled with cold patch")


def test_catalog_state_code_closes_a_request(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    response = move(client, bearer(db_session), pothole, "resolved",
                    state_code="CONTRACTOR_SCHEDULED", description="Contractor booked")
    assert response.status_code == 200
    assert response.get_json()["state_code"] == "CONTRACTOR_SCHEDULED"


def test_cancelling_with_admin_expired_shows_its_label(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    response = move(client, bearer(db_session), pothole, "cancelled", state_code="ADMIN_EXPIRED")
    assert response.get_json()["status_notes"] == "Administrative Closure – Expired"


def test_reopening_without_a_note_is_400(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    headers = bearer(db_session)
    move(client, headers, pothole, "cancelled", state_code="INVALID")
    assert move(client, headers, pothole, "acknowledged").status_code == 400


def test_reopening_with_a_note_opens_the_request_again(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    headers = bearer(db_session)
    move(client, headers, pothole, "cancelled", state_code="INVALID")
    response = move(client, headers, pothole, "acknowledged", description="Caller called back")
    body = response.get_json()
    assert (body["status"], body["state_code"], body["closed_datetime"]) == ("open", None, None)


def test_entering_on_hold_stops_the_sla_clock(client, db_session, make_request):
    pothole = make_request("POTHOLE", detailed_status="acknowledged")
    response = move(client, bearer(db_session), pothole, "on_hold",
                    description="Waiting for the gas company")
    assert response.get_json()["paused_since"] is not None


def test_leaving_on_hold_moves_the_deadline_and_says_why(client, db_session, make_request):
    now = datetime.now(UTC)
    deadline = now + timedelta(days=20)
    pothole = make_request("GRAFFITI", detailed_status="on_hold", deadline=deadline,
                           paused_at=now - timedelta(days=2))
    response = move(client, bearer(db_session), pothole, "in_progress")
    db_session.refresh(pothole)
    # GRAFFITI counts calendar days: two days paused, two days later.
    assert abs(pothole.deadline - (deadline + timedelta(days=2))) < timedelta(minutes=1)
    assert pothole.paused_at is None
    why = [u for u in response.get_json()["updates"] if u["kind"] == "sla_paused"]
    assert why and why[0]["data"]["paused_seconds"] >= 2 * 86400 - 60


def test_closing_from_hold_judges_on_time_against_the_moved_deadline(client, db_session,
                                                                      make_request):
    now = datetime.now(UTC)
    pothole = make_request("GRAFFITI", detailed_status="on_hold",
                           deadline=now - timedelta(hours=1), paused_at=now - timedelta(days=1))
    move(client, bearer(db_session), pothole, "resolved", state_code="WORK_COMPLETED",
         description="Painted over")
    db_session.refresh(pothole)
    assert pothole.closed_at <= pothole.deadline


def test_every_change_appends_history_never_rewrites_it(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    headers = bearer(db_session)
    move(client, headers, pothole, "acknowledged")
    move(client, headers, pothole, "in_progress")
    kinds = db_session.scalars(select(RequestUpdate.to_status).where(
        RequestUpdate.service_request_id == pothole.id).order_by(RequestUpdate.id)).all()
    assert kinds == ["acknowledged", "in_progress"]


def test_staff_detail_shows_reporter_contact(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    ReporterFactory._meta.sqlalchemy_session = db_session
    ReporterFactory(service_request=pothole, email="caller@example.org")
    detail = client.get(f"/api/v1/staff/requests/{pothole.id}",
                        headers=bearer(db_session)).get_json()
    assert detail["reporter"]["email"] == "caller@example.org"


def test_internal_note_is_in_staff_history_only(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    response = client.post(f"/api/v1/staff/requests/{pothole.id}/notes",
                           json={"text": "Crew says it is a utility cut", "public": False},
                           headers=bearer(db_session))
    assert response.status_code == 201
    note = response.get_json()["updates"][-1]
    assert (note["kind"], note["public"]) == ("note", False)


def test_empty_note_is_400(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    response = client.post(f"/api/v1/staff/requests/{pothole.id}/notes",
                           json={"text": "   "}, headers=bearer(db_session))
    assert response.status_code == 400


def test_unknown_request_is_404(client, db_session, jurisdiction):
    response = client.post("/api/v1/staff/requests/999999999/transitions",
                           json={"to": "acknowledged"}, headers=bearer(db_session))
    assert response.status_code == 404


def test_resolving_a_parent_closes_its_duplicates_and_tells_their_reporters(
        client, db_session, make_request):
    from app.models import OutboxEvent, ServiceRequest

    parent = make_request("POTHOLE")
    child = make_request("POTHOLE", duplicate_of_id=parent.id)
    ReporterFactory._meta.sqlalchemy_session = db_session
    ReporterFactory(service_request=child, email="child.reporter@example.org")
    response = move(client, bearer(db_session), parent, "resolved",
                    state_code="WORK_COMPLETED", description="Filled the hole")
    assert response.status_code == 200
    closed = db_session.get(ServiceRequest, child.id)
    db_session.refresh(closed)
    assert (closed.status, closed.detailed_status, closed.state_code) == (
        "closed", "resolved", "WORK_COMPLETED")
    events = {e.event for e in db_session.scalars(select(OutboxEvent).where(
        OutboxEvent.recipient == "child.reporter@example.org"))}
    assert {"request.status_changed", "request.survey"} <= events


def test_batch_closure_of_a_parent_and_its_duplicate_closes_each_once(
        client, db_session, make_request):
    from app.models import ServiceRequest

    parent = make_request("POTHOLE")
    child = make_request("POTHOLE", duplicate_of_id=parent.id)
    response = client.post("/api/v1/staff/closures", headers=bearer(db_session, "admin"), json={
        "service_code": "POTHOLE", "requested_before": datetime.now(UTC).isoformat(),
        "state_code": "ADMIN_CLOSED"})
    assert response.status_code == 200, response.get_json()
    history = db_session.scalars(select(RequestUpdate).where(
        RequestUpdate.service_request_id == child.id, RequestUpdate.kind == "status")).all()
    assert len(history) == 1
    assert db_session.get(ServiceRequest, child.id).status == "closed"
