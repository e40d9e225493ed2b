"""With a wrong DATABASE_URL the server answers 503 and says why in its log, once per
interval rather than on every request."""

import logging
import socket

import pytest

from app import create_app, errors
from app.extensions import db as flask_db


@pytest.fixture
def unreachable_app(tmp_path, monkeypatch):
    """An app whose database is on a port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(errors, "_outage", {"logged_at": float("-inf"), "since_logged": 0})
    application = create_app({"TESTING": True, "RATELIMIT_ENABLED": False,
                              "MEDIA_DIR": str(tmp_path),
                              "SQLALCHEMY_DATABASE_URI":
                                  f"postgres://postgres@127.0.0.1:{port}/open311"})
    yield application, port
    with application.app_context():
        flask_db.engine.dispose()


def outage_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "app.errors" and r.levelno >= logging.ERROR]


def test_wrong_database_url_is_503_and_its_cause_is_logged_once(unreachable_app, caplog):
    application, port = unreachable_app
    client = application.test_client()
    with caplog.at_level(logging.ERROR, logger="app.errors"):
        answers = [client.get("/open311/v2/services.json").status_code for _ in range(3)]
    assert answers == [503, 503, 503]
    (record,) = outage_records(caplog)
    message = record.getMessage()
    assert f"open311 on 127.0.0.1:{port}" in message
    assert "Connection refused" in message and "DATABASE_URL" in message


def test_the_cause_is_logged_again_after_the_interval(unreachable_app, caplog, monkeypatch):
    application, _ = unreachable_app
    client = application.test_client()
    with caplog.at_level(logging.ERROR, logger="app.errors"):
        client.get("/open311/v2/services.json")
        monkeypatch.setattr(errors, "OUTAGE_LOG_INTERVAL_S", 0.0)
        client.get("/open311/v2/services.json")
    records = outage_records(caplog)
    assert len(records) == 2
    assert "(1 requests since the last report)" in records[1].getMessage()
