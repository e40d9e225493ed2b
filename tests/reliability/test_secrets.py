"""Secrets stored hashed, no secret or personal data in logs, security headers everywhere."""

import logging
import runpy
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.models import ApiKey, StaffUser
from app.security import hash_secret
from tests.staff_client import bearer

EMAIL = "resident.secret@example.org"
DESCRIPTION = "my neighbour Jane Doe at 12 Elm"
INSIDE = {"lat": "42.045", "long": "-87.70"}


def test_api_keys_are_stored_only_as_their_digest(db_session, api_key):
    stored = db_session.execute(sa.select(ApiKey.__table__)).one()._asdict()
    assert stored["key_hash"] == hash_secret(api_key)
    assert api_key not in {str(v) for v in stored.values()}


def test_staff_tokens_are_stored_only_as_their_digest(db_session):
    token = bearer(db_session, "agent")["Authorization"].split()[1]
    stored = db_session.execute(sa.select(StaffUser.__table__)).one()._asdict()
    assert stored["token_hash"] == hash_secret(token)
    assert token not in {str(v) for v in stored.values()}


@pytest.fixture
def failing_submit(monkeypatch):
    """Filing fails with a database error whose statement carries the reporter's email."""
    def fail(session, *_args, **_kwargs):
        session.execute(sa.text("SELECT no_such_column, :email"), {"email": EMAIL})

    monkeypatch.setattr("app.open311.views.submit_request", fail)


def test_a_500_logs_no_form_value_key_or_personal_data(client, jurisdiction, api_key,
                                                       failing_submit, caplog):
    form = {"api_key": api_key, "service_code": "POTHOLE", "attribute[SIZE]": "L",
            "email": EMAIL, "description": DESCRIPTION, **INSIDE}
    with caplog.at_level(logging.DEBUG):
        response = client.post("/open311/v2/requests.json", data=form)
    logged = caplog.text
    assert response.status_code == 500
    assert "unhandled error" in logged
    assert [s for s in (api_key, EMAIL, DESCRIPTION) if s in logged] == []


def test_a_refused_value_logs_no_value(client, jurisdiction, api_key, caplog):
    form = {"api_key": api_key, "service_code": "POTHOLE", "attribute[SIZE]": "L",
            "zipcode": "ZIP-" + EMAIL, **INSIDE}
    with caplog.at_level(logging.DEBUG):
        response = client.post("/open311/v2/requests.json", data=form)
    assert (response.status_code, EMAIL in caplog.text) == (400, False)


def test_a_staff_error_logs_no_token(client, db_session, jurisdiction, caplog):
    headers = bearer(db_session, "agent")
    with caplog.at_level(logging.DEBUG):
        client.post("/api/v1/staff/requests", json={"zipcode": "x" * 100, **INSIDE},
                    headers=headers)
    assert headers["Authorization"].split()[1] not in caplog.text


def test_gunicorn_access_log_leaves_out_query_strings():
    settings = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    log_format = settings["access_log_format"]
    # %(r)s is the request line and %(q)s the query: both would carry an api_key in the URL.
    assert ("%(U)s" in log_format, "%(r)s" in log_format, "%(q)s" in log_format) \
        == (True, False, False)


@pytest.mark.parametrize(("method", "url"), [
    ("get", "/open311/v2/services.json"),
    ("get", "/open311/v2/services.xml"),
    ("get", "/open311/v2/requests/999999.xml"),
    ("post", "/open311/v2/requests.json"),
    ("get", "/api/v1/public/requests"),
    ("get", "/api/v1/public/requests.csv"),
    ("get", "/api/v1/staff/requests"),
    ("get", "/ogc/collections/requests/items"),
    ("get", "/tiles/requests/0/0/0.mvt"),
    ("delete", "/open311/v2/services.json"),
    ("get", "/no/such/page"),
    ("get", "/openapi.json"),
])
def test_every_response_carries_the_security_headers(client, jurisdiction, method, url):
    from app.http_headers import SECURITY_HEADERS

    response = getattr(client, method)(url)
    assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS


def test_a_429_carries_the_security_headers(limited_app, db_session, jurisdiction):
    from app.http_headers import SECURITY_HEADERS

    client = limited_app(RATELIMIT_EXPORTS_PER_ADDRESS="1/minute").test_client()
    client.get("/api/v1/public/requests.csv")
    response = client.get("/api/v1/public/requests.csv")
    assert response.status_code == 429
    assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
