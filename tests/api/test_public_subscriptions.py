"""POST /requests/{id}/subscriptions and the confirmation link."""

import re

from sqlalchemy import select

from app.models import OutboxEvent, Subscription

EMAIL = "follower@example.org"


def subscribe(client, service_request_id, email=EMAIL):
    """POST a subscription."""
    return client.post(f"/api/v1/public/requests/{service_request_id}/subscriptions",
                       json={"email": email})


def confirmation_events(db_session):
    """The queued confirmation emails."""
    return db_session.scalars(
        select(OutboxEvent).where(OutboxEvent.event == "subscription_confirm")).all()


def confirm_path(event):
    """The path of the confirmation link in a queued email (the worker adds the host)."""
    return re.search(r"\{base_url\}(/api/v1/public/subscriptions/confirm/\S+)",
                     event.payload["body"]).group(1)


def test_subscribing_stores_an_unconfirmed_subscription(client, db_session, make_request):
    service_request = make_request()
    assert subscribe(client, service_request.id).status_code == 202
    (subscription,) = db_session.scalars(select(Subscription)).all()
    assert (subscription.email, subscription.confirmed_at) == (EMAIL, None)


def test_subscribing_queues_a_confirmation_email_with_the_link(client, db_session,
                                                                make_request):
    service_request = make_request()
    subscribe(client, service_request.id)
    (event,) = confirmation_events(db_session)
    assert (event.channel, event.recipient) == ("email", EMAIL)
    assert confirm_path(event)


def test_the_answer_never_echoes_the_email(client, make_request):
    assert EMAIL not in subscribe(client, make_request().id).get_data(as_text=True)


def test_the_confirmation_link_confirms(client, db_session, make_request):
    subscribe(client, make_request().id)
    (event,) = confirmation_events(db_session)
    response = client.get(confirm_path(event))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert db_session.scalars(select(Subscription)).one().confirmed_at is not None


def test_a_confirmed_subscriber_is_not_emailed_again(client, db_session, make_request):
    service_request = make_request()
    subscribe(client, service_request.id)
    (event,) = confirmation_events(db_session)
    client.get(confirm_path(event))
    subscribe(client, service_request.id)
    assert len(confirmation_events(db_session)) == 1


def test_invalid_email_is_400(client, db_session, make_request):
    response = subscribe(client, make_request().id, email="not-an-email")
    assert response.status_code == 400
    assert "email" in response.get_json()["message"]
    assert db_session.scalars(select(Subscription)).all() == []


def test_unknown_request_is_404(client, jurisdiction):
    assert subscribe(client, 987654).status_code == 404


def test_unknown_confirmation_token_is_404(client, jurisdiction):
    assert client.get("/api/v1/public/subscriptions/confirm/nope").status_code == 404
