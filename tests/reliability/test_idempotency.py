"""Retries never duplicate: Idempotency-Key, or the same api key, device_id and body within ten
minutes, returns the first request."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.exceptions import BadRequest
from app.models import IdempotencyKey, ServiceRequest
from app.operations import idempotency
from app.operations.access import create_api_key
from tests.open311_client import body
from tests.staff_client import bearer

INSIDE = {"lat": "42.045", "long": "-87.70"}


@pytest.fixture
def form(api_key):
    return {"api_key": api_key, "service_code": "POTHOLE", "attribute[SIZE]": "L", **INSIDE}


def count(db_session) -> int:
    return db_session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest))


def post(client, form, fmt="json", **headers):
    return client.post(f"/open311/v2/requests.{fmt}", data=form, headers=headers)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_retry_with_the_same_idempotency_key_returns_the_first_request(
        client, jurisdiction, form, fmt):
    first = post(client, form, fmt, **{"Idempotency-Key": "retry-1"})
    again = post(client, form, fmt, **{"Idempotency-Key": "retry-1"})
    assert (again.status_code, body(again, fmt)) == (200, body(first, fmt))


def test_retry_with_the_same_idempotency_key_files_nothing(client, jurisdiction, form,
                                                          db_session):
    post(client, form, **{"Idempotency-Key": "retry-1"})
    before = count(db_session)
    post(client, form, **{"Idempotency-Key": "retry-1"})
    assert count(db_session) == before


def test_different_idempotency_keys_file_two_requests(client, jurisdiction, form):
    first = body(post(client, form, **{"Idempotency-Key": "a"}), "json")
    second = body(post(client, form, **{"Idempotency-Key": "b"}), "json")
    assert first[0]["service_request_id"] != second[0]["service_request_id"]


def test_the_same_idempotency_key_from_another_app_is_another_request(
        client, jurisdiction, form, db_session):
    other, _ = create_api_key(db_session, "other app")
    first = body(post(client, form, **{"Idempotency-Key": "k"}), "json")
    second = body(post(client, form | {"api_key": other}, **{"Idempotency-Key": "k"}), "json")
    assert first[0]["service_request_id"] != second[0]["service_request_id"]


def test_same_device_and_body_without_a_header_returns_the_first_request(
        client, jurisdiction, form):
    form["device_id"] = "phone-1"
    first = body(post(client, form), "json")
    assert body(post(client, form), "json") == first


def test_same_device_with_another_body_files_another_request(client, jurisdiction, form):
    form["device_id"] = "phone-1"
    first = body(post(client, form), "json")
    second = body(post(client, form | {"description": "and another"}), "json")
    assert first[0]["service_request_id"] != second[0]["service_request_id"]


def test_identical_bodies_without_device_or_header_are_both_filed(client, jurisdiction, form,
                                                                  db_session):
    post(client, form)
    before = count(db_session)
    post(client, form)
    assert count(db_session) == before + 1


def test_implicit_match_expires_after_ten_minutes(db_session, jurisdiction, make_request):
    _, api_key = create_api_key(db_session, "app")
    owner = idempotency.Owner(api_key_id=api_key.id)
    key = idempotency.implicit_key("phone-1", [("service_code", "POTHOLE")])
    service_request = make_request("POTHOLE")
    then = datetime.now(UTC) - timedelta(minutes=11)
    idempotency.remember(db_session, owner, key, service_request, now=then)
    assert idempotency.claim(db_session, owner, key, explicit=False) is None


def test_header_key_is_kept_for_a_day(db_session, jurisdiction, make_request):
    _, api_key = create_api_key(db_session, "app")
    owner = idempotency.Owner(api_key_id=api_key.id)
    key = idempotency.header_key("k")
    service_request = make_request("POTHOLE")
    idempotency.remember(db_session, owner, key, service_request,
                         now=datetime.now(UTC) - timedelta(hours=23))
    assert idempotency.claim(db_session, owner, key, explicit=True) == service_request


def test_overlong_idempotency_key_is_400_in_open311_format(client, jurisdiction, form):
    response = post(client, form, **{"Idempotency-Key": "k" * 201})
    assert (response.status_code, body(response, "json")[0]["code"]) == (400, 400)


def test_header_key_rejects_blank_keys():
    with pytest.raises(BadRequest):
        idempotency.header_key("   ")


def test_staff_retry_with_the_same_idempotency_key_returns_the_first_request(
        client, db_session, jurisdiction):
    headers = bearer(db_session, "agent") | {"Idempotency-Key": "call-42"}
    staff_form = {"service_code": "POTHOLE", "channel": "phone", "attributes": {"SIZE": "L"},
                  **INSIDE}
    first = client.post("/api/v1/staff/requests", json=staff_form, headers=headers)
    again = client.post("/api/v1/staff/requests", json=staff_form, headers=headers)
    assert again.get_json()["service_request_id"] == first.get_json()["service_request_id"]


def test_staff_key_is_stored_for_the_staff_user_only(client, db_session, jurisdiction):
    headers = bearer(db_session, "agent") | {"Idempotency-Key": "call-42"}
    staff_form = {"service_code": "POTHOLE", "channel": "phone", "attributes": {"SIZE": "L"},
                  **INSIDE}
    client.post("/api/v1/staff/requests", json=staff_form, headers=headers)
    stored = db_session.scalars(sa.select(IdempotencyKey)).one()
    assert (stored.api_key_id, stored.staff_user_id is not None) == (None, True)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_key_replayed_with_another_body_is_422_and_files_nothing(
        client, db_session, jurisdiction, form, fmt):
    post(client, form, **{"Idempotency-Key": "retry-1"})
    before = count(db_session)
    response = post(client, form | {"description": "another report"}, fmt,
                    **{"Idempotency-Key": "retry-1"})
    assert response.status_code == 422
    assert "different body" in response.get_data(as_text=True)
    assert count(db_session) == before


def test_staff_key_replayed_with_another_body_is_422(client, db_session, jurisdiction):
    headers = bearer(db_session, "agent") | {"Idempotency-Key": "call-42"}
    staff_form = {"service_code": "POTHOLE", "channel": "phone", "attributes": {"SIZE": "L"},
                  **INSIDE}
    client.post("/api/v1/staff/requests", json=staff_form, headers=headers)
    response = client.post("/api/v1/staff/requests", headers=headers,
                           json=staff_form | {"description": "another call"})
    assert response.status_code == 422
    assert "different body" in response.get_json()["message"]
