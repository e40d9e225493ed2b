from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import RequestUpdateFactory
from tests.open311_client import body, error_codes
from tests.staff_client import bearer, move

FORMATS = ["json", "xml"]


def update(db_session, service_request, **columns):
    RequestUpdateFactory._meta.sqlalchemy_session = db_session
    return RequestUpdateFactory(service_request=service_request, **columns)


@pytest.mark.parametrize("fmt", FORMATS)
def test_updates_need_an_api_key(client, jurisdiction, fmt):
    response = client.get(f"/open311/v2/servicerequestupdates.{fmt}")
    assert response.status_code == 403
    assert error_codes(response, fmt) == [403]


@pytest.mark.parametrize("fmt", FORMATS)
def test_status_change_is_a_request_update(client, db_session, make_request, api_key, fmt):
    pothole = make_request("POTHOLE")
    move(client, bearer(db_session), pothole, "resolved", state_code="WORK_COMPLETED",
         description="Filled")
    items = body(client.get(f"/open311/v2/servicerequestupdates.{fmt}?api_key={api_key}"), fmt)
    assert [(i["service_request_id"], i["status"], i["description"]) for i in items] == [
        (str(pothole.id), "fixed", "Filled")]
    assert items[0]["external_status_code"] == "WORK_COMPLETED"


def test_xml_root_and_children_are_fixmystreets(client, db_session, make_request, api_key):
    update(db_session, make_request("POTHOLE"), kind="note", description="Crew sent")
    data = client.get(f"/open311/v2/servicerequestupdates.xml?api_key={api_key}").data
    assert b"<service_request_updates><request_update><update_id>" in data


def test_internal_notes_are_not_published(client, db_session, make_request, api_key):
    update(db_session, make_request("POTHOLE"), kind="note", public=False, description="secret")
    assert client.get(f"/open311/v2/servicerequestupdates.json?api_key={api_key}"
                      ).get_json() == []


def test_note_carries_the_requests_state_at_that_time(client, db_session, make_request,
                                                      api_key):
    pothole = make_request("POTHOLE")
    headers = bearer(db_session)
    move(client, headers, pothole, "in_progress")
    client.post(f"/api/v1/staff/requests/{pothole.id}/notes",
                json={"text": "Crew on site", "public": True}, headers=headers)
    items = client.get(f"/open311/v2/servicerequestupdates.json?api_key={api_key}").get_json()
    assert [i["status"] for i in items] == ["in_progress", "in_progress"]


def test_emails_in_public_notes_are_masked(client, db_session, make_request, api_key):
    update(db_session, make_request("POTHOLE"), kind="note",
           description="Call jane@example.org back")
    (item,) = client.get(f"/open311/v2/servicerequestupdates.json?api_key={api_key}").get_json()
    assert "jane@example.org" not in item["description"]


def test_updates_outside_the_window_are_left_out(client, db_session, make_request, api_key):
    long_ago = datetime.now(UTC) - timedelta(days=10)
    update(db_session, make_request("POTHOLE"), kind="note", description="old",
           created_at=long_ago)
    recent = update(db_session, make_request("POTHOLE"), kind="note", description="new")
    start = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    items = client.get(f"/open311/v2/servicerequestupdates.json?api_key={api_key}"
                       f"&start_date={start}").get_json()
    assert [i["update_id"] for i in items] == [str(recent.id)]


def test_bad_start_date_is_400(client, jurisdiction, api_key):
    response = client.get(f"/open311/v2/servicerequestupdates.json?api_key={api_key}"
                          "&start_date=yesterday")
    assert response.status_code == 400
