"""Every staff route, for every role, on a request of the caller's department and of another:
a request outside the caller's scope answers 404, exactly as one that does not exist, and is
left unchanged. The table must cover every staff route of the URL map: a new route without a
row fails test_the_table_covers_every_staff_route."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.models import RequestUpdate
from app.workflow import STAFF_ROLES
from tests.staff_client import bearer

STAFF = "/api/v1/staff"
OWN, OTHER = "own", "other"
# Department PW's staff: POTHOLE is theirs (own), TREE belongs to PARKS (other).
SERVICE = {OWN: "POTHOLE", OTHER: "TREE"}
DEPARTMENT = {OWN: "PW", OTHER: "PARKS"}
OK, HIDDEN, FORBIDDEN = "ok", "hidden (404)", "forbidden (403)"
INSIDE = {"lat": "42.045", "long": "-87.70"}


@dataclass(frozen=True)
class Action:
    """One staff action on the `side` request: `call(client, headers, make, side)` returns
    (response, the request ids the action must leave untouched when refused)."""

    name: str
    rule: str
    method: str
    call: Any
    # What department staff get on the other department's request (others always get OK).
    department_on_other: str = HIDDEN
    department_on_own: str = OK
    only_admin: bool = False


def _post(path, body):
    return lambda client, headers: client.post(path, json=body, headers=headers)


def get_one(client, headers, make, side):
    target = make(SERVICE[side])
    return client.get(f"{STAFF}/requests/{target.id}", headers=headers), []


def change(path_end, body):
    def call(client, headers, make, side):
        target = make(SERVICE[side])
        response = client.post(f"{STAFF}/requests/{target.id}/{path_end}", json=body,
                               headers=headers)
        return response, [target.id]
    return call


def merge_path_side(client, headers, make, side):
    target, parent = make(SERVICE[side]), make(SERVICE[OWN])
    return client.post(f"{STAFF}/requests/{target.id}/merge", json={"into": str(parent.id)},
                       headers=headers), [target.id, parent.id]


def merge_into_side(client, headers, make, side):
    duplicate, target = make(SERVICE[OWN]), make(SERVICE[side])
    return client.post(f"{STAFF}/requests/{duplicate.id}/merge", json={"into": str(target.id)},
                       headers=headers), [duplicate.id, target.id]


def unmerge_path_side(client, headers, make, side):
    parent = make(SERVICE[side])
    target = make(SERVICE[side], duplicate_of_id=parent.id)
    return client.delete(f"{STAFF}/requests/{target.id}/merge", headers=headers), \
        [target.id, parent.id]


def unmerge_parent_side(client, headers, make, side):
    parent = make(SERVICE[side])
    duplicate = make(SERVICE[OWN], duplicate_of_id=parent.id)
    return client.delete(f"{STAFF}/requests/{duplicate.id}/merge", headers=headers), \
        [duplicate.id, parent.id]


def release_location(client, headers, make, side):
    # A request once published as hidden has a stricter precision than its exact service to
    # release.
    target = make(SERVICE[side], public_location="hidden")
    response = client.post(f"{STAFF}/requests/{target.id}/location-release",
                           json={"note": "the caller agreed"}, headers=headers)
    return response, [target.id]


def queue(client, headers, make, side):
    target = make(SERVICE[side])
    response = client.get(f"{STAFF}/requests?per_page=500", headers=headers)
    listed = {entry["service_request_id"] for entry in response.get_json()["requests"]}
    # Seen in the queue is OK; left out is what 404 is for one request.
    response.status_code = 200 if str(target.id) in listed else 404
    return response, []


def create(client, headers, make, side):
    return client.post(f"{STAFF}/requests", headers=headers, json={
        "service_code": SERVICE[side], "channel": "phone", "attributes": {"SIZE": "L"},
        **INSIDE}), []


def closures(client, headers, make, side):
    target = make(SERVICE[side], requested_at=datetime.now(UTC) - timedelta(days=2))
    return client.post(f"{STAFF}/closures", headers=headers, json={
        "service_code": SERVICE[side], "requested_before": datetime.now(UTC).isoformat(),
        "state_code": "ADMIN_CLOSED"}), [target.id]


def performance(client, headers, make, side):
    month = datetime.now(UTC).strftime("%Y-%m")
    return client.get(f"{STAFF}/reports/performance?month={month}"
                      f"&department={DEPARTMENT[side]}", headers=headers), []


ACTIONS = [
    Action("queue", "/requests", "GET", queue),
    Action("file", "/requests", "POST", create, department_on_other=FORBIDDEN,
           department_on_own=FORBIDDEN),
    Action("read", "/requests/<service_request_id>", "GET", get_one),
    Action("transition", "/requests/<service_request_id>/transitions", "POST",
           change("transitions", {"to": "acknowledged"})),
    Action("note", "/requests/<service_request_id>/notes", "POST",
           change("notes", {"text": "seen", "public": False})),
    Action("reassign", "/requests/<service_request_id>/reassign", "POST",
           change("reassign", {"department": "PW"})),
    Action("escalate", "/requests/<service_request_id>/escalations", "POST",
           change("escalations", {"reason": "imminent_threat"})),
    Action("release location", "/requests/<service_request_id>/location-release", "POST",
           release_location),
    Action("merge it", "/requests/<service_request_id>/merge", "POST", merge_path_side),
    Action("merge into it", "/requests/<service_request_id>/merge", "POST", merge_into_side),
    Action("unmerge it", "/requests/<service_request_id>/merge", "DELETE", unmerge_path_side),
    Action("unmerge from it", "/requests/<service_request_id>/merge", "DELETE",
           unmerge_parent_side),
    Action("close in batch", "/closures", "POST", closures, only_admin=True,
           department_on_other=FORBIDDEN, department_on_own=FORBIDDEN),
    Action("performance report", "/reports/performance", "GET", performance,
           department_on_other=FORBIDDEN),
]


def expected(action: Action, role: str, side: str) -> str:
    """The table: what `role` gets for `action` on the `side` request."""
    if action.only_admin and role != "admin":
        return FORBIDDEN
    if role == "department":
        return action.department_on_own if side == OWN else action.department_on_other
    return OK


def outcome(response) -> str:
    return {404: HIDDEN, 403: FORBIDDEN}.get(response.status_code,
                                              OK if response.status_code < 300 else
                                              f"status {response.status_code}")


def history_rows(db_session, ids) -> int:
    return db_session.scalar(select(func.count()).select_from(RequestUpdate).where(
        RequestUpdate.service_request_id.in_(ids))) if ids else 0


def test_the_table_covers_every_staff_route(app):
    routes = {(rule.rule.removeprefix(STAFF), method)
              for rule in app.url_map.iter_rules() if rule.rule.startswith(STAFF + "/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == {(action.rule, action.method) for action in ACTIONS}


CASES = [(action, role, side) for action in ACTIONS for role in STAFF_ROLES
         for side in (OWN, OTHER)]


@pytest.mark.parametrize("case", CASES, ids=[f"{a.name}-{role}-{side}" for a, role, side in CASES])
def test_staff_scope(client, db_session, make_request, case):
    action, role, side = case
    headers = bearer(db_session, role, "PW" if role == "department" else None)
    response, untouched = action.call(client, headers, make_request, side)
    want = expected(action, role, side)
    assert outcome(response) == want, response.get_data(as_text=True)
    if want != OK:
        assert history_rows(db_session, untouched) == 0
        assert "status" not in (response.get_json(silent=True) or {}).get("message", "")


@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.name)
def test_staff_routes_authenticate_before_they_validate(client, jurisdiction, action):
    path = STAFF + action.rule.replace("<service_request_id>", "1") + "?month=nope&page=x"
    response = client.open(path, method=action.method, json={"bogus": [1, 2, 3]})
    assert response.status_code == 401


@pytest.mark.parametrize(("role", "status"), [("agent", 403), ("mayor_office", 200)])
def test_reassigning_into_a_restricted_service_needs_its_role(client, db_session, make_request,
                                                              role, status):
    pothole = make_request("POTHOLE")
    response = client.post(f"{STAFF}/requests/{pothole.id}/reassign",
                           json={"service_code": "MAYOR"}, headers=bearer(db_session, role))
    assert response.status_code == status
