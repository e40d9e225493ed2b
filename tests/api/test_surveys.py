import re

from app.delivery import Transport, deliver_due
from app.models import Survey
from app.security import hash_secret
from tests.factories import ReporterFactory
from tests.mail_servers import SmtpServer
from tests.staff_client import bearer, move


def survey_for(db_session, make_request):
    token = "tok-123"
    service_request = make_request("GRAFFITI", status="closed", detailed_status="resolved")
    db_session.add(Survey(service_request_id=service_request.id, token_hash=hash_secret(token)))
    db_session.flush()
    return token


def test_survey_is_answered_with_rating_and_comment(client, db_session, make_request):
    token = survey_for(db_session, make_request)
    response = client.post(f"/api/v1/public/surveys/{token}",
                           json={"rating": 3, "comment": "Quick work"})
    assert response.status_code == 201
    assert response.get_json()["rating"] == 3


def test_survey_is_answered_only_once(client, db_session, make_request):
    token = survey_for(db_session, make_request)
    client.post(f"/api/v1/public/surveys/{token}", json={"rating": 1})
    second = client.post(f"/api/v1/public/surveys/{token}", json={"rating": 3})
    assert second.status_code == 409
    assert db_session.query(Survey).one().rating == 1


def test_rating_outside_1_to_3_is_400(client, db_session, make_request):
    token = survey_for(db_session, make_request)
    assert client.post(f"/api/v1/public/surveys/{token}",
                       json={"rating": 4}).status_code == 400


def test_rating_as_text_is_400(client, db_session, make_request):
    token = survey_for(db_session, make_request)
    assert client.post(f"/api/v1/public/surveys/{token}",
                       json={"rating": "3"}).status_code == 400


def test_unknown_survey_link_is_404(client, jurisdiction):
    assert client.post("/api/v1/public/surveys/nope", json={"rating": 2}).status_code == 404


def test_closure_email_link_answers_the_survey(client, db_session, make_request):
    service_request = make_request("GRAFFITI")
    ReporterFactory._meta.sqlalchemy_session = db_session
    ReporterFactory(service_request=service_request, email="ann@example.org")
    move(client, bearer(db_session), service_request, "resolved", state_code="WORK_COMPLETED",
         description="Painted over")
    with SmtpServer() as server:
        deliver_due(db_session, Transport(server.url, "311@example.gov", "http://localhost"))
    (survey_mail,) = [m for m in server.inbox.messages if "How did we do" in m["subject"]]
    link = re.search(r"http://localhost(/api/v1/public/surveys/\S+)", survey_mail["text"])
    assert client.post(link.group(1), json={"rating": 2}).status_code == 201
