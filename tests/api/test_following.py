"""Following a request end to end: the subscription POST, `outbox work`, a real SMTP server,
the confirmation link, a later status change; the limits that keep it from mailing strangers.
"""

import re
from email import message_from_string, policy

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db as flask_db
from app.models import OutboxEvent, Subscription
from app.operations.subscriptions import CONFIRM_EVENT
from tests.mail_servers import SmtpServer
from tests.staff_client import bearer, move

FOLLOWER = "follower@example.org"
LINK = re.compile(r"http://localhost(/api/v1/public/subscriptions/\w+/[\w.\-]+)")


def follow(client, service_request, email=FOLLOWER, **kwargs):
    """POST a subscription."""
    return client.post(f"/api/v1/public/requests/{service_request.id}/subscriptions",
                       json={"email": email}, **kwargs)


@pytest.fixture
def smtp(app):
    """A real SMTP server that `outbox work` delivers to."""
    with SmtpServer() as server:
        app.config["SMTP_URL"] = server.url
        try:
            yield server
        finally:
            app.config["SMTP_URL"] = "smtp://127.0.0.1:25"


def outbox_work(app):
    """Run the worker once, as an operator would."""
    result = app.test_cli_runner().invoke(args=["outbox", "work", "--once", "--no-sla"])
    assert result.exit_code == 0, result.output
    return result


def links_in(message):
    """The paths of the confirmation and unsubscribe links in an email."""
    return LINK.findall(message["text"])


def confirmation_count(db_session, email=FOLLOWER):
    return db_session.scalar(select(func.count()).select_from(OutboxEvent).where(
        OutboxEvent.event == CONFIRM_EVENT, OutboxEvent.recipient == email))


def test_a_follower_confirms_by_email_and_then_hears_of_a_status_change(
        app, client, db_session, make_request, smtp):
    service_request = make_request()
    assert follow(client, service_request).status_code == 202
    outbox_work(app)
    (confirmation,) = smtp.inbox.messages
    assert confirmation["to"] == [FOLLOWER]
    confirm_path = next(p for p in links_in(confirmation) if "/confirm/" in p)
    assert client.get(confirm_path).status_code == 200
    agent = bearer(db_session, "agent")
    assert move(client, agent, service_request, "acknowledged").status_code == 200
    outbox_work(app)
    update = smtp.inbox.messages[-1]
    assert update["to"] == [FOLLOWER]
    assert "acknowledged" in update["subject"]


def test_every_email_to_a_follower_carries_list_unsubscribe_headers_and_link(
        app, client, db_session, make_request, smtp):
    service_request = make_request()
    follow(client, service_request)
    outbox_work(app)
    confirm_path = next(p for p in links_in(smtp.inbox.messages[0]) if "/confirm/" in p)
    client.get(confirm_path)
    move(client, bearer(db_session, "agent"), service_request, "acknowledged")
    outbox_work(app)
    assert len(smtp.inbox.messages) == 2
    for message in smtp.inbox.messages:
        headers = message_from_string(message["data"], policy=policy.default)
        assert headers["List-Unsubscribe"].startswith(
            "<http://localhost/api/v1/public/subscriptions/unsubscribe/")
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert any("/unsubscribe/" in path for path in links_in(message))


def test_the_one_click_unsubscribe_stops_the_updates(app, client, db_session, make_request,
                                                      smtp):
    service_request = make_request()
    follow(client, service_request)
    outbox_work(app)
    paths = links_in(smtp.inbox.messages[0])
    client.get(next(p for p in paths if "/confirm/" in p))
    unsubscribe = next(p for p in paths if "/unsubscribe/" in p)
    response = client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert db_session.scalars(select(Subscription)).all() == []
    move(client, bearer(db_session, "agent"), service_request, "acknowledged")
    outbox_work(app)
    assert len(smtp.inbox.messages) == 1  # the confirmation only


def test_a_forged_unsubscribe_link_is_404(client, jurisdiction):
    assert client.post("/api/v1/public/subscriptions/unsubscribe/1.forged").status_code == 404


def test_the_link_comes_from_public_base_url_whatever_the_host(app, client, make_request,
                                                                smtp):
    app.config["TRUSTED_HOSTS"].append("alias.example")
    try:
        follow(client, make_request(), base_url="http://alias.example")
    finally:
        app.config["TRUSTED_HOSTS"].remove("alias.example")
    outbox_work(app)
    assert "alias.example" not in smtp.inbox.messages[0]["text"]
    assert links_in(smtp.inbox.messages[0])


@pytest.fixture
def app_without_public_base_url(database_url):
    """A production-like app: PUBLIC_BASE_URL unset, not in debug mode."""
    built = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "PUBLIC_BASE_URL": "",
                        "RATELIMIT_ENABLED": False})
    yield built
    with built.app_context():
        flask_db.engine.dispose()


def test_an_untrusted_host_is_400_when_public_base_url_is_unset(app_without_public_base_url):
    client = app_without_public_base_url.test_client()
    response = client.post("/api/v1/public/requests/1/subscriptions",
                           json={"email": FOLLOWER}, base_url="http://evil.example")
    assert response.status_code == 400


def test_a_trusted_host_is_served_when_public_base_url_is_unset(app_without_public_base_url):
    client = app_without_public_base_url.test_client()
    response = client.get("/open311/v2/discovery.json", base_url="http://localhost")
    assert response.status_code == 200
    assert response.get_json()["endpoints"][0]["url"] == "http://localhost/open311/v2"


def test_asking_again_while_a_confirmation_is_pending_sends_nothing(client, db_session,
                                                                    make_request):
    service_request = make_request()
    for _ in range(3):
        assert follow(client, service_request).status_code == 202
    assert confirmation_count(db_session) == 1


def test_one_address_gets_a_bounded_number_of_confirmations_a_day(app, client, db_session,
                                                                   make_request):
    limit = app.config["SUBSCRIPTION_EMAILS_PER_RECIPIENT_PER_DAY"]
    for _ in range(limit + 3):
        assert follow(client, make_request()).status_code == 202
    assert confirmation_count(db_session) == limit


def test_one_client_address_is_refused_after_its_daily_subscriptions(app, client, db_session,
                                                                     make_request):
    limit = app.config["SUBSCRIPTIONS_PER_CLIENT_PER_DAY"]
    service_request = make_request()
    answers = [follow(client, service_request, email=f"person{i}@example.org").status_code
               for i in range(limit + 1)]
    assert answers == [202] * limit + [429]


def test_the_outbox_worker_refuses_to_run_without_a_public_base_url(app, db_session):
    app.config["PUBLIC_BASE_URL"] = ""
    try:
        result = app.test_cli_runner().invoke(args=["outbox", "work", "--once"])
    finally:
        app.config["PUBLIC_BASE_URL"] = "http://localhost"
    assert result.exit_code == 1
    assert "PUBLIC_BASE_URL" in result.output


@pytest.mark.parametrize("email", ["a@b.com, victim@x.example", "a@b.com\r\nBcc: x@y.example",
                                   "a@b.com victim@x.example", "not-an-email"])
def test_a_subscription_takes_exactly_one_valid_address(client, db_session, make_request,
                                                        email):
    response = follow(client, make_request(), email=email)
    assert response.status_code == 400
    assert db_session.scalars(select(Subscription)).all() == []
