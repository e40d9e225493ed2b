from datetime import UTC, datetime, timedelta

from app.models import OutboxEvent
from app.operations.staff import find_staff
from tests.mail_servers import SmtpServer


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_staff_create_prints_a_working_token(app, db_session, jurisdiction):
    result = invoke(app, "staff", "create", "ann@city.gov", "--role", "department",
                    "--department", "PW")
    assert result.exit_code == 0
    staff = find_staff(db_session, result.output.strip())
    assert (staff.email, staff.role, staff.department.code) == ("ann@city.gov", "department", "PW")


def test_staff_create_with_unknown_department_fails(app, db_session, jurisdiction):
    result = invoke(app, "staff", "create", "ann@city.gov", "--role", "department",
                    "--department", "NOPE")
    assert result.exit_code == 1
    assert "NOPE" in result.output


def test_staff_create_refuses_anything_but_one_valid_address(app, db_session, jurisdiction):
    result = invoke(app, "staff", "create", "ann@city.gov, bob@city.gov", "--role", "agent")
    assert result.exit_code == 1
    assert "not one valid email address" in result.output


def test_staff_create_refuses_an_unknown_role(app, db_session, jurisdiction):
    assert invoke(app, "staff", "create", "ann@city.gov", "--role", "boss").exit_code == 2


def test_staff_revoke_stops_the_token(app, db_session, jurisdiction):
    token = invoke(app, "staff", "create", "ann@city.gov", "--role", "agent").output.strip()
    assert invoke(app, "staff", "revoke", "ann@city.gov").exit_code == 0
    assert find_staff(db_session, token) is None


def test_requests_expire_reports_how_many_closed(app, db_session, make_request):
    make_request("POTHOLE", requested_at=datetime.now(UTC) - timedelta(days=100))
    result = invoke(app, "requests", "expire")
    assert result.output.strip() == "expired: 1"


def test_outbox_work_once_runs_the_sla_check_and_delivers(app, db_session, make_request):
    now = datetime.now(UTC)
    make_request("GRAFFITI", requested_at=now - timedelta(days=4),
                 deadline=now - timedelta(hours=1))
    with SmtpServer() as server:
        app.config["SMTP_URL"] = server.url
        try:
            result = invoke(app, "outbox", "work", "--once")
        finally:
            app.config["SMTP_URL"] = "smtp://127.0.0.1:25"
    assert result.output.strip() == "tried: 1"
    assert [m["subject"][:7] for m in server.inbox.messages] == ["OVERDUE"]
    assert db_session.query(OutboxEvent).one().delivered_at is not None
