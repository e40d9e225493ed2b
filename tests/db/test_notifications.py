from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.models import OutboxEvent, Subscription
from app.operations.sla_events import check_sla
from app.operations.submit import Actor, SubmitForm, submit_request
from app.operations.transitions import TransitionForm, transition
from tests.factories import ReporterFactory


def outbox(db_session, event=None):
    query = select(OutboxEvent).order_by(OutboxEvent.id)
    if event:
        query = query.where(OutboxEvent.event == event)
    return db_session.scalars(query).all()


def submit(db_session, jurisdiction, service_code="GRAFFITI", **reporter):
    form = SubmitForm(service_code=service_code, address_string="100 Main St",
                      reporter=reporter or {"email": "ann@example.org"})
    return submit_request(db_session, jurisdiction, form, Actor("test"))


def test_submission_queues_a_confirmation_with_the_deadline(db_session, jurisdiction):
    service_request = submit(db_session, jurisdiction)
    (event,) = outbox(db_session, "request.confirmation")
    assert event.recipient == "ann@example.org"
    local_deadline = service_request.deadline.astimezone(
        ZoneInfo("America/Chicago")).replace(microsecond=0)
    assert local_deadline.isoformat() in event.payload["body"]


def test_confirmation_explains_an_sla_over_30_days(db_session, jurisdiction):
    submit(db_session, jurisdiction, "TREE")
    (event,) = outbox(db_session, "request.confirmation")
    assert "scheduled by district in seasonal rounds" in event.payload["body"]


def test_confirmation_of_a_short_sla_has_no_explanation(db_session, jurisdiction):
    submit(db_session, jurisdiction, "GRAFFITI")
    (event,) = outbox(db_session, "request.confirmation")
    assert "Why it takes" not in event.payload["body"]


def test_anonymous_submission_queues_no_email(db_session, jurisdiction):
    submit(db_session, jurisdiction, first_name="Anonymous")
    assert outbox(db_session) == []


def close(db_session, service_request, state_code="WORK_COMPLETED"):
    return transition(db_session, service_request,
                      TransitionForm("resolved", state_code, "Painted over"), "staff:x",
                      datetime.now(UTC))


def test_status_change_emails_the_reporter_and_confirmed_subscribers(db_session,
                                                                    make_request):
    service_request = make_request("GRAFFITI")
    ReporterFactory._meta.sqlalchemy_session = db_session
    ReporterFactory(service_request=service_request, email="ann@example.org")
    db_session.add_all([
        Subscription(service_request_id=service_request.id, email="bob@example.org",
                     token_hash="1" * 64, confirmed_at=datetime.now(UTC)),
        Subscription(service_request_id=service_request.id, email="unconfirmed@example.org",
                     token_hash="2" * 64),
    ])
    transition(db_session, service_request, TransitionForm("acknowledged"), "staff:x",
               datetime.now(UTC))
    assert sorted(e.recipient for e in outbox(db_session, "request.status_changed")) == [
        "ann@example.org", "bob@example.org"]


def test_closure_queues_one_survey_with_a_link(db_session, make_request):
    service_request = make_request("GRAFFITI")
    ReporterFactory._meta.sqlalchemy_session = db_session
    ReporterFactory(service_request=service_request, email="ann@example.org")
    close(db_session, service_request)
    (survey,) = outbox(db_session, "request.survey")
    assert "{base_url}/api/v1/public/surveys/" in survey.payload["body"]


def test_closing_again_after_reopening_sends_no_second_survey(db_session, make_request):
    service_request = make_request("GRAFFITI")
    ReporterFactory._meta.sqlalchemy_session = db_session
    ReporterFactory(service_request=service_request, email="ann@example.org")
    close(db_session, service_request)
    transition(db_session, service_request, TransitionForm("acknowledged", None, "Not done"),
               "staff:x", datetime.now(UTC))
    close(db_session, service_request)
    assert len(outbox(db_session, "request.survey")) == 1


def test_status_change_posts_a_webhook_to_the_filing_app(db_session, make_request):
    from app.operations.access import create_api_key

    _, api_key = create_api_key(db_session, "app", webhook_url="https://app.example/hook")
    service_request = make_request("GRAFFITI", api_key_id=api_key.id)
    close(db_session, service_request)
    (hook,) = outbox(db_session, "request.status_changed")
    assert (hook.channel, hook.recipient) == ("webhook", "https://app.example/hook")
    assert hook.payload["status"] == "closed"


def test_webhook_carries_no_personal_data(db_session, make_request):
    from app.operations.access import create_api_key

    _, api_key = create_api_key(db_session, "app", webhook_url="https://app.example/hook")
    service_request = make_request("GRAFFITI", api_key_id=api_key.id)
    ReporterFactory._meta.sqlalchemy_session = db_session
    reporter = ReporterFactory(service_request=service_request)
    close(db_session, service_request)
    (hook,) = [e for e in outbox(db_session) if e.channel == "webhook"]
    text = str(hook.payload)
    assert all(value not in text for value in (reporter.email, reporter.phone,
                                               reporter.device_id, reporter.last_name))


def test_sla_warning_is_written_once_at_75_percent(db_session, make_request):
    now = datetime.now(UTC)
    make_request("GRAFFITI", requested_at=now - timedelta(days=4),
                 deadline=now + timedelta(days=1))
    assert check_sla(db_session, now) == {"warned": 1, "overdue": 0}
    assert check_sla(db_session, now) == {"warned": 0, "overdue": 0}
    (event,) = outbox(db_session, "sla.warning")
    assert event.recipient == "pw@springfield.example.gov"


def test_no_sla_warning_before_75_percent(db_session, make_request):
    now = datetime.now(UTC)
    make_request("GRAFFITI", requested_at=now - timedelta(days=2),
                 deadline=now + timedelta(days=2))
    assert check_sla(db_session, now) == {"warned": 0, "overdue": 0}


def test_overdue_event_is_written_once(db_session, make_request):
    now = datetime.now(UTC)
    make_request("GRAFFITI", requested_at=now - timedelta(days=4),
                 deadline=now - timedelta(hours=1))
    assert check_sla(db_session, now) == {"warned": 0, "overdue": 1}
    assert check_sla(db_session, now + timedelta(hours=1)) == {"warned": 0, "overdue": 0}
    assert len(outbox(db_session, "sla.overdue")) == 1


def test_paused_request_raises_no_sla_event(db_session, make_request):
    now = datetime.now(UTC)
    make_request("GRAFFITI", detailed_status="on_hold", paused_at=now - timedelta(days=3),
                 requested_at=now - timedelta(days=4), deadline=now - timedelta(hours=1))
    assert check_sla(db_session, now) == {"warned": 0, "overdue": 0}


def test_closed_request_raises_no_sla_event(db_session, make_request):
    now = datetime.now(UTC)
    make_request("GRAFFITI", status="closed", detailed_status="resolved",
                 requested_at=now - timedelta(days=4), deadline=now - timedelta(hours=1))
    assert check_sla(db_session, now) == {"warned": 0, "overdue": 0}
