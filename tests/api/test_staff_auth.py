from app.operations.staff import revoke_staff
from tests.staff_client import bearer


def test_missing_token_is_401_with_a_bearer_challenge(client, jurisdiction):
    response = client.get("/api/v1/staff/requests")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["code"] == 401


def test_unknown_token_is_401(client, jurisdiction):
    response = client.get("/api/v1/staff/requests", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_revoked_token_is_401(client, db_session, jurisdiction):
    headers = bearer(db_session, "agent")
    revoke_staff(db_session, "agent-all@springfield.example.gov")
    assert client.get("/api/v1/staff/requests", headers=headers).status_code == 401


def test_token_is_stored_only_as_its_hash(db_session, jurisdiction):
    from app.models import StaffUser

    headers = bearer(db_session, "admin")
    token = headers["Authorization"].split()[1]
    stored = db_session.query(StaffUser).one()
    assert token not in (stored.token_hash or "")
    assert len(stored.token_hash) == 64


def test_department_staff_get_404_for_another_departments_request(client, db_session,
                                                                   make_request):
    tree = make_request("TREE")
    headers = bearer(db_session, "department", "PW")
    response = client.get(f"/api/v1/staff/requests/{tree.id}", headers=headers)
    missing = client.get("/api/v1/staff/requests/987654321", headers=headers)
    assert response.status_code == 404
    # Exactly the answer for a request that does not exist, but for the id it names.
    assert response.get_json()["message"].replace(str(tree.id), "N") == \
        missing.get_json()["message"].replace("987654321", "N")


def test_department_staff_see_their_own_departments_request(client, db_session, make_request):
    pothole = make_request("POTHOLE")
    headers = bearer(db_session, "department", "PW")
    assert client.get(f"/api/v1/staff/requests/{pothole.id}", headers=headers).status_code == 200


def test_department_queue_lists_only_their_department(client, db_session, make_request):
    make_request("TREE")
    pothole = make_request("POTHOLE")
    headers = bearer(db_session, "department", "PW")
    listed = client.get("/api/v1/staff/requests", headers=headers).get_json()["requests"]
    assert [r["service_request_id"] for r in listed] == [str(pothole.id)]


def test_department_role_cannot_change_another_departments_request(client, db_session,
                                                                   make_request):
    tree = make_request("TREE")
    headers = bearer(db_session, "department", "PW")
    response = client.post(f"/api/v1/staff/requests/{tree.id}/transitions",
                           json={"to": "acknowledged"}, headers=headers)
    assert response.status_code == 404
    db_session.refresh(tree)
    assert tree.detailed_status == "submitted"
