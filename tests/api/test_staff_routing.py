from datetime import UTC, datetime, timedelta

from app.models import Survey
from tests.factories import point
from tests.staff_client import bearer, move


def escalate(client, headers, service_request, reason, note="Caller is upset"):
    return client.post(f"/api/v1/staff/requests/{service_request.id}/escalations",
                       json={"reason": reason, "note": note}, headers=headers)


def test_reassigning_to_a_service_moves_the_department(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    response = client.post(f"/api/v1/staff/requests/{pothole.id}/reassign",
                           json={"service_code": "TREE"}, headers=bearer(db_session))
    body = response.get_json()
    assert (body["service_code"], body["department"]) == ("TREE", "PARKS")
    assert body["updates"][-1]["kind"] == "reassign"


def test_reassigned_deadline_keeps_pauses_already_granted(client, db_session, make_request):
    now = datetime.now(UTC)
    pothole = make_request("GRAFFITI", detailed_status="on_hold",
                           paused_at=now - timedelta(days=1))
    headers = bearer(db_session)
    move(client, headers, pothole, "in_progress")
    client.post(f"/api/v1/staff/requests/{pothole.id}/reassign",
                json={"department": "PARKS"}, headers=headers)
    db_session.refresh(pothole)
    # GRAFFITI: 3 calendar days from filing, plus the day on hold.
    expected = pothole.requested_at + timedelta(days=4)
    assert abs(pothole.deadline - expected) < timedelta(minutes=1)


def test_reassigned_deadline_follows_the_new_services_sla(client, db_session, make_request,
                                                          services):
    pothole = make_request("POTHOLE")
    client.post(f"/api/v1/staff/requests/{pothole.id}/reassign",
                json={"service_code": "GRAFFITI"}, headers=bearer(db_session))
    db_session.refresh(pothole)
    assert pothole.deadline - pothole.requested_at == timedelta(days=3)


def test_reassigning_to_a_department_is_recorded(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    response = client.post(f"/api/v1/staff/requests/{pothole.id}/reassign",
                           json={"department": "PARKS"}, headers=bearer(db_session))
    assert response.get_json()["department"] == "PARKS"
    assert response.get_json()["updates"][-1]["data"]["from"]["department"] == "PW"


def test_reassign_needs_exactly_one_target(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    response = client.post(f"/api/v1/staff/requests/{pothole.id}/reassign",
                           json={"department": "PARKS", "service_code": "TREE"},
                           headers=bearer(db_session))
    assert response.status_code == 400


def test_reassign_to_unknown_department_is_404(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    response = client.post(f"/api/v1/staff/requests/{pothole.id}/reassign",
                           json={"department": "NOPE"}, headers=bearer(db_session))
    assert response.status_code == 404


def test_overdue_request_may_be_escalated(client, db_session, make_request):
    late = make_request("POTHOLE", deadline=datetime.now(UTC) - timedelta(hours=1))
    response = escalate(client, bearer(db_session), late, "overdue")
    assert response.status_code == 201
    assert response.get_json()["escalation_reason"] == "overdue"


def test_request_within_its_deadline_cannot_be_escalated_as_overdue(client, db_session,
                                                                    make_request):
    response = escalate(client, bearer(db_session), make_request("POTHOLE"), "overdue")
    assert response.status_code == 409
    assert "not past its deadline" in response.get_json()["message"]


def test_imminent_threat_may_always_be_escalated(client, db_session, make_request):
    response = escalate(client, bearer(db_session), make_request("POTHOLE"), "imminent_threat")
    assert response.status_code == 201


def test_unknown_escalation_reason_is_400(client, db_session, make_request):
    response = escalate(client, bearer(db_session), make_request("POTHOLE"), "angry")
    assert response.status_code == 400


def test_second_escalation_is_409(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    headers = bearer(db_session)
    escalate(client, headers, pothole, "imminent_threat")
    assert escalate(client, headers, pothole, "imminent_threat").status_code == 409


def test_earlier_request_nearby_makes_a_request_recurring(client, db_session, make_request):
    earlier = datetime.now(UTC) - timedelta(days=60)
    make_request("POTHOLE", lat=42.04, long=-87.70, requested_at=earlier)
    pothole = make_request("POTHOLE", lat=42.0401, long=-87.70)  # about 11 m north
    assert escalate(client, bearer(db_session), pothole, "recurring").status_code == 201


def test_earlier_request_beyond_the_radius_is_not_recurring(client, db_session, make_request):
    earlier = datetime.now(UTC) - timedelta(days=60)
    make_request("POTHOLE", lat=42.04, long=-87.70, requested_at=earlier)
    pothole = make_request("POTHOLE", lat=42.041, long=-87.70)  # about 111 m north
    assert escalate(client, bearer(db_session), pothole, "recurring").status_code == 409


def test_request_older_than_six_months_is_not_recurring(client, db_session, make_request):
    make_request("POTHOLE", lat=42.04, long=-87.70,
                 requested_at=datetime.now(UTC) - timedelta(days=200))
    pothole = make_request("POTHOLE", lat=42.04, long=-87.70)
    assert escalate(client, bearer(db_session), pothole, "recurring").status_code == 409


def closed_without_action(db_session, make_request, rating):
    earlier = make_request("POTHOLE", lat=42.04, long=-87.70, status="closed",
                           detailed_status="resolved", state_code="NO_ACTION_NEEDED",
                           requested_at=datetime.now(UTC) - timedelta(days=30),
                           closed_at=datetime.now(UTC) - timedelta(days=20))
    db_session.add(Survey(service_request_id=earlier.id, token_hash=f"{earlier.id:064d}",
                          rating=rating, responded_at=datetime.now(UTC)))
    db_session.flush()


def test_unsatisfied_after_closure_without_action_may_be_escalated(client, db_session,
                                                                   make_request):
    closed_without_action(db_session, make_request, rating=1)
    pothole = make_request("POTHOLE", lat=42.04, long=-87.70)
    assert escalate(client, bearer(db_session), pothole, "unsatisfied").status_code == 201


def test_satisfied_reporter_gives_no_unsatisfied_escalation(client, db_session, make_request):
    closed_without_action(db_session, make_request, rating=3)
    pothole = make_request("POTHOLE", lat=42.04, long=-87.70)
    assert escalate(client, bearer(db_session), pothole, "unsatisfied").status_code == 409


def test_merge_links_a_duplicate_to_its_parent(client, db_session, make_request):
    parent, duplicate = make_request("POTHOLE"), make_request("POTHOLE")
    response = client.post(f"/api/v1/staff/requests/{duplicate.id}/merge",
                           json={"into": str(parent.id)}, headers=bearer(db_session))
    assert response.get_json()["duplicate_of"] == str(parent.id)


def test_merge_into_itself_is_400(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    response = client.post(f"/api/v1/staff/requests/{pothole.id}/merge",
                           json={"into": str(pothole.id)}, headers=bearer(db_session))
    assert response.status_code == 400


def test_merge_into_a_closed_request_is_409(client, db_session, make_request):
    parent = make_request("POTHOLE", status="closed", detailed_status="resolved")
    duplicate = make_request("POTHOLE")
    response = client.post(f"/api/v1/staff/requests/{duplicate.id}/merge",
                           json={"into": str(parent.id)}, headers=bearer(db_session))
    assert response.status_code == 409


def test_unmerge_undoes_a_merge(client, db_session, make_request):
    parent, duplicate = make_request("POTHOLE"), make_request("POTHOLE")
    headers = bearer(db_session)
    client.post(f"/api/v1/staff/requests/{duplicate.id}/merge", json={"into": str(parent.id)},
                headers=headers)
    response = client.delete(f"/api/v1/staff/requests/{duplicate.id}/merge", headers=headers)
    assert response.get_json()["duplicate_of"] is None
    assert response.get_json()["updates"][-1]["kind"] == "unmerge"


def test_unmerging_a_request_that_is_not_merged_is_409(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    response = client.delete(f"/api/v1/staff/requests/{pothole.id}/merge",
                             headers=bearer(db_session))
    assert response.status_code == 409


def test_queue_lists_escalated_first_then_by_deadline(client, db_session, make_request):
    now = datetime.now(UTC)
    later = make_request("POTHOLE", deadline=now + timedelta(days=3))
    sooner = make_request("POTHOLE", deadline=now + timedelta(days=1))
    escalated = make_request("POTHOLE", deadline=now + timedelta(days=9), escalated_at=now)
    listed = client.get("/api/v1/staff/requests", headers=bearer(db_session)).get_json()
    assert [r["service_request_id"] for r in listed["requests"]] == [
        str(escalated.id), str(sooner.id), str(later.id)]


def test_queue_filters_overdue(client, db_session, make_request):
    late = make_request("POTHOLE", deadline=datetime.now(UTC) - timedelta(hours=1))
    make_request("POTHOLE")
    listed = client.get("/api/v1/staff/requests?overdue=true",
                        headers=bearer(db_session)).get_json()
    assert [r["service_request_id"] for r in listed["requests"]] == [str(late.id)]


def test_queue_is_paginated(client, db_session, make_request):
    for _ in range(3):
        make_request("POTHOLE")
    listed = client.get("/api/v1/staff/requests?per_page=2&page=2",
                        headers=bearer(db_session)).get_json()
    assert (listed["total"], len(listed["requests"])) == (3, 1)
    assert (listed["total_exact"], listed["has_more"]) == (True, False)
    first = client.get("/api/v1/staff/requests?per_page=2&page=1",
                       headers=bearer(db_session)).get_json()
    assert (len(first["requests"]), first["has_more"]) == (2, True)


def test_queue_total_stops_counting_at_the_cap(client, db_session, make_request, monkeypatch):
    from app.staff import views

    monkeypatch.setattr(views, "TOTAL_CAP", 2)
    for _ in range(3):
        make_request("POTHOLE")
    listed = client.get("/api/v1/staff/requests?per_page=1&page=3",
                        headers=bearer(db_session)).get_json()
    assert (listed["total"], listed["total_exact"], listed["has_more"]) == (2, False, False)
    assert len(listed["requests"]) == 1


def test_queue_page_is_exactly_what_its_schema_documents(app, client, db_session,
                                                         make_request):
    # The view sends its page without the schema's dump: the dump must change nothing, in
    # values, types or order.
    from schemas.staff import StaffRequestPageSchema

    now = datetime.now(UTC)
    parent = make_request("POTHOLE", escalated_at=now, escalation_reason="overdue",
                          deadline=now - timedelta(hours=2), status_notes="Crew sent")
    make_request("POTHOLE", duplicate_of_id=parent.id, paused_at=now,
                 detailed_status="on_hold")
    make_request("TREE", status="closed", detailed_status="closed", closed_at=now,
                 state_code="fixed", location=None)
    response = client.get("/api/v1/staff/requests", headers=bearer(db_session))
    page = response.get_json()
    assert len(page["requests"]) == 3
    with app.app_context():  # as flask-smorest sends a dump: jsonify
        documented = app.json.response(StaffRequestPageSchema().dump(page)).get_data()
    assert response.get_data() == documented


def test_queue_rejects_an_unknown_status(client, db_session, jurisdiction):
    response = client.get("/api/v1/staff/requests?status=lost", headers=bearer(db_session))
    assert response.status_code == 400


def test_agent_files_a_request_for_a_phone_caller(client, db_session, jurisdiction):
    response = client.post("/api/v1/staff/requests", headers=bearer(db_session), json={
        "service_code": "POTHOLE", "channel": "phone", "lat": "42.05", "long": "-87.7",
        "attributes": {"SIZE": "L"}, "first_name": "Ann", "phone": "312 555 0199"})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["channel"], body["reporter"]["phone"]) == ("phone", "312 555 0199")


def test_staff_request_gets_open311_validation(client, db_session, jurisdiction):
    response = client.post("/api/v1/staff/requests", headers=bearer(db_session), json={
        "service_code": "POTHOLE", "channel": "phone", "lat": "42.05", "long": "-87.7"})
    assert response.status_code == 400
    assert "SIZE" in response.get_json()["message"]


def test_unknown_channel_is_400(client, db_session, jurisdiction):
    response = client.post("/api/v1/staff/requests", headers=bearer(db_session), json={
        "service_code": "GRAFFITI", "channel": "pigeon", "address_string": "1 Main St"})
    assert response.status_code == 400


def test_department_staff_cannot_file_requests(client, db_session, jurisdiction):
    response = client.post("/api/v1/staff/requests", headers=bearer(db_session, "department",
                                                                    "PW"), json={
        "service_code": "GRAFFITI", "channel": "phone", "address_string": "1 Main St"})
    assert response.status_code == 403


def test_only_mayor_office_files_restricted_services(client, db_session, jurisdiction):
    form = {"service_code": "MAYOR", "channel": "mayor", "address_string": "1 Main St"}
    agent = client.post("/api/v1/staff/requests", headers=bearer(db_session), json=form)
    mayor = client.post("/api/v1/staff/requests", json=form,
                        headers=bearer(db_session, "mayor_office"))
    assert (agent.status_code, mayor.status_code) == (403, 201)


def test_batch_closure_closes_old_open_requests_of_a_service(client, db_session, make_request):
    old = make_request("POTHOLE", requested_at=datetime.now(UTC) - timedelta(days=40))
    make_request("POTHOLE")
    make_request("GRAFFITI", requested_at=datetime.now(UTC) - timedelta(days=40))
    before = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = client.post("/api/v1/staff/closures", headers=bearer(db_session, "admin"), json={
        "service_code": "POTHOLE", "requested_before": before, "state_code": "ADMIN_CLOSED"})
    assert response.get_json() == {"closed": 1, "service_request_ids": [str(old.id)]}
    db_session.refresh(old)
    assert (old.detailed_status, old.state_code) == ("cancelled", "ADMIN_CLOSED")


def test_batch_closure_is_for_admins(client, db_session, jurisdiction):
    response = client.post("/api/v1/staff/closures", headers=bearer(db_session), json={
        "service_code": "POTHOLE", "requested_before": "2026-01-01", "state_code": "INVALID"})
    assert response.status_code == 403


def test_batch_resolution_needs_a_description(client, db_session, jurisdiction):
    response = client.post("/api/v1/staff/closures", headers=bearer(db_session, "admin"), json={
        "service_code": "POTHOLE", "requested_before": "2026-01-01",
        "state_code": "WORK_COMPLETED"})
    assert response.status_code == 400


def test_expiry_cancels_requests_older_than_the_services_limit(db_session, make_request):
    from app.operations.closures import expire_requests

    old = make_request("POTHOLE", requested_at=datetime.now(UTC) - timedelta(days=91))
    young = make_request("POTHOLE", requested_at=datetime.now(UTC) - timedelta(days=89))
    assert expire_requests(db_session, datetime.now(UTC)) == [old.id]
    assert (old.state_code, young.status) == ("ADMIN_EXPIRED", "open")


def test_staff_see_the_exact_location(client, db_session, make_request):
    pothole = make_request("GRAFFITI", location=point(42.05, -87.71))
    detail = client.get(f"/api/v1/staff/requests/{pothole.id}",
                        headers=bearer(db_session, "admin")).get_json()
    assert (detail["lat"], detail["long"]) == (42.05, -87.71)
