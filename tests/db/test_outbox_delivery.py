import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from app.delivery import SIGNATURE_HEADER, Transport, backoff, deliver_one
from app.extensions import db as flask_db
from app.models import ApiKey, OutboxEvent
from tests.mail_servers import SmtpServer, WebhookReceiver


def email_event(session, recipient="resident@example.org", body="Hello {base_url}/x"):
    event = OutboxEvent(channel="email", event="test", recipient=recipient,
                        payload={"subject": "Test", "body": body}, attempts=0)
    session.add(event)
    session.flush()
    return event


def transport(server: SmtpServer) -> Transport:
    return Transport(server.url, "311@springfield.example.gov", "https://311.example.gov")


def test_email_is_delivered_over_smtp_and_marked_delivered(db_session):
    event = email_event(db_session)
    with SmtpServer() as server:
        assert deliver_one(db_session, transport(server))
    assert [m["to"] for m in server.inbox.messages] == [["resident@example.org"]]
    db_session.refresh(event)
    assert event.delivered_at is not None and event.attempts == 1


def test_email_links_use_the_public_base_url(db_session):
    email_event(db_session)
    with SmtpServer() as server:
        deliver_one(db_session, transport(server))
    assert "Hello https://311.example.gov/x" in server.inbox.messages[0]["text"]


def test_email_carries_a_stable_message_id_so_repeats_can_be_dropped(db_session):
    event = email_event(db_session)
    with SmtpServer() as server:
        deliver_one(db_session, transport(server))
    assert f"Message-ID: <outbox-{event.id}@127.0.0.1>" in server.inbox.messages[0]["data"]


def test_nothing_due_returns_false(db_session):
    with SmtpServer() as server:
        assert not deliver_one(db_session, transport(server))


def test_refused_email_is_rescheduled_with_backoff_and_the_error(db_session):
    event = email_event(db_session)
    now = datetime.now(UTC)
    with SmtpServer(fail_first=1) as server:
        deliver_one(db_session, transport(server), now=now)
    db_session.refresh(event)
    assert event.delivered_at is None
    assert event.available_at == now + backoff(1)
    assert "451" in event.last_error


def test_failing_smtp_that_recovers_delivers_exactly_once(db_session):
    email_event(db_session)
    now = datetime.now(UTC)
    with SmtpServer(fail_first=1) as server:
        deliver_one(db_session, transport(server), now=now)
        assert not deliver_one(db_session, transport(server), now=now)  # not yet due again
        assert deliver_one(db_session, transport(server), now=now + backoff(1))
    assert len(server.inbox.messages) == 1


def test_unreachable_smtp_keeps_the_event_pending(db_session):
    event = email_event(db_session)
    deliver_one(db_session, Transport("smtp://127.0.0.1:1", "311@example.gov"))
    db_session.refresh(event)
    assert (event.delivered_at, event.attempts) == (None, 1)
    assert event.last_error


@pytest.mark.parametrize(("attempts", "expected"), [(1, 30), (2, 60), (5, 480), (30, 21600)])
def test_backoff_doubles_up_to_six_hours(attempts, expected):
    assert backoff(attempts) == timedelta(seconds=expected)


def webhook_event(session, url):
    api_key = ApiKey(name="app", key_hash="0" * 64, webhook_url=url, webhook_secret="s3cret")
    session.add(api_key)
    event = OutboxEvent(channel="webhook", event="request.status_changed", recipient=url,
                        payload={"service_request_id": "1", "status": "closed"}, attempts=0)
    session.add(event)
    session.flush()
    return event


def test_webhook_is_signed_with_hmac_sha256_of_the_body(db_session):
    with WebhookReceiver() as receiver:
        webhook_event(db_session, receiver.url)
        deliver_one(db_session, Transport("smtp://127.0.0.1:1", "x@example.gov"))
    (call,) = receiver.received
    expected = "sha256=" + hmac.new(b"s3cret", call["body"], hashlib.sha256).hexdigest()
    assert call["headers"][SIGNATURE_HEADER] == expected
    assert call["json"]["status"] == "closed"


def test_webhook_answered_with_500_is_retried(db_session):
    with WebhookReceiver(status=500) as receiver:
        event = webhook_event(db_session, receiver.url)
        deliver_one(db_session, Transport("smtp://127.0.0.1:1", "x@example.gov"))
    db_session.refresh(event)
    assert event.delivered_at is None
    assert "500" in event.last_error


@pytest.fixture
def committed_event(app):
    """An outbox row committed for real, so that several connections see it."""
    with app.app_context():
        engine = flask_db.engine
        with Session(engine) as session:
            event = email_event(session, recipient="crash@example.org")
            session.commit()
            event_id = event.id
        yield engine, event_id
        with Session(engine) as session:
            session.execute(delete(OutboxEvent).where(OutboxEvent.id == event_id))
            session.commit()


def test_event_claimed_by_a_crashed_worker_is_skipped_then_delivered_once(committed_event):
    engine, event_id = committed_event
    with SmtpServer() as server:
        crashed = engine.connect()
        crashed.begin()
        # A worker that claimed the event and died before committing holds its row lock...
        crashed.execute(text("SELECT id FROM outbox WHERE id = :id FOR UPDATE"), {"id": event_id})
        with Session(engine) as other:
            assert not deliver_one(other, transport(server))  # ...so others skip it,
        crashed.close()  # ...and when its connection dies, the event is still pending.
        with Session(engine) as other:
            assert deliver_one(other, transport(server))
            assert not deliver_one(other, transport(server))
            delivered = other.scalar(select(OutboxEvent.delivered_at).where(
                OutboxEvent.id == event_id))
    assert delivered is not None
    assert [m["to"] for m in server.inbox.messages] == [["crash@example.org"]]
