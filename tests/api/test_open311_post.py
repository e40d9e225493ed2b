import psycopg
import pytest
import sqlalchemy as sa

from app.models import Reporter, RequestUpdate, ServiceRequest
from tests.open311_client import body, error_codes

FORMATS = ["json", "xml"]
INSIDE = {"lat": "42.045", "long": "-87.70"}


def post(client, fmt, **form):
    return client.post(f"/open311/v2/requests.{fmt}", data=form)


@pytest.fixture
def pothole_form(api_key):
    return {"api_key": api_key, "service_code": "POTHOLE", "attribute[SIZE]": "L",
            "description": "Deep hole by the bus stop", **INSIDE}


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_returns_the_new_service_request_id(client, jurisdiction, pothole_form, fmt,
                                                 db_session):
    response = post(client, fmt, **pothole_form)
    assert response.status_code == 200
    (entry,) = body(response, fmt)
    stored = db_session.get(ServiceRequest, int(entry["service_request_id"]))
    assert stored.description == "Deep hole by the bus stop"
    assert stored.attributes == {"SIZE": "L"}
    assert "token" not in entry


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_without_api_key_is_403(client, jurisdiction, pothole_form, fmt):
    del pothole_form["api_key"]
    response = post(client, fmt, **pothole_form)
    assert response.status_code == 403
    assert error_codes(response, fmt) == [403]


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_with_unknown_api_key_is_403(client, jurisdiction, pothole_form, fmt):
    response = post(client, fmt, **{**pothole_form, "api_key": "not-a-key"})
    assert response.status_code == 403


def test_api_key_in_the_query_string_is_accepted(client, jurisdiction, pothole_form):
    key = pothole_form.pop("api_key")
    response = client.post(f"/open311/v2/requests.json?api_key={key}", data=pothole_form)
    assert response.status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_without_service_code_is_400(client, jurisdiction, pothole_form, fmt):
    del pothole_form["service_code"]
    assert post(client, fmt, **pothole_form).status_code == 400


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_with_unknown_service_code_is_404(client, jurisdiction, pothole_form, fmt):
    assert post(client, fmt, **{**pothole_form, "service_code": "NOPE"}).status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_without_location_is_400(client, jurisdiction, pothole_form, fmt):
    del pothole_form["lat"], pothole_form["long"]
    response = post(client, fmt, **pothole_form)
    assert response.status_code == 400
    assert "location is required" in body(response, fmt)[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_lat_without_long_is_not_a_location(client, jurisdiction, pothole_form, fmt):
    del pothole_form["long"]
    response = post(client, fmt, **pothole_form)
    assert response.status_code == 400
    assert "together" in body(response, fmt)[0]["description"]


@pytest.mark.parametrize(("lat", "long"), [("91", "-87.7"), ("42", "-181"), ("nan", "-87.7"),
                                           ("42", "inf"), ("abc", "-87.7")])
def test_invalid_coordinates_are_400(client, jurisdiction, pothole_form, lat, long):
    response = post(client, "json", **{**pothole_form, "lat": lat, "long": long})
    assert response.status_code == 400


@pytest.mark.parametrize("fmt", FORMATS)
def test_point_outside_the_boundary_is_refused_and_says_so(client, jurisdiction, pothole_form,
                                                           fmt):
    response = post(client, fmt, **{**pothole_form, "lat": "41.88", "long": "-87.63"})
    assert response.status_code == 400
    assert "outside City of Springfield's boundary" in body(response, fmt)[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_address_string_alone_is_a_location(client, jurisdiction, pothole_form, fmt):
    del pothole_form["lat"], pothole_form["long"]
    response = post(client, fmt, **{**pothole_form, "address_string": "1200 Main St"})
    assert response.status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_required_attribute_names_its_code(client, jurisdiction, pothole_form, fmt):
    del pothole_form["attribute[SIZE]"]
    response = post(client, fmt, **pothole_form)
    assert response.status_code == 400
    assert "attribute[SIZE] is required" in body(response, fmt)[0]["description"]


def test_list_value_outside_its_keys_is_400(client, jurisdiction, pothole_form):
    response = post(client, "json", **{**pothole_form, "attribute[SIZE]": "XXL"})
    assert response.status_code == 400
    assert "'XXL' not among L, S" in body(response, "json")[0]["description"]


def test_number_attribute_must_be_a_number(client, jurisdiction, pothole_form):
    response = post(client, "json", **{**pothole_form, "attribute[DEPTH]": "deep"})
    assert response.status_code == 400


def test_several_problems_give_several_errors(client, jurisdiction, pothole_form):
    del pothole_form["attribute[SIZE]"], pothole_form["lat"], pothole_form["long"]
    response = post(client, "json", **pothole_form)
    assert len(body(response, "json")) == 2


def test_multivaluelist_takes_repeated_values(client, jurisdiction, api_key, db_session):
    response = client.post("/open311/v2/requests.json", data={
        "api_key": api_key, "service_code": "GRAFFITI", **INSIDE,
        "attribute[SURFACE][]": ["WALL", "SIGN"], "attribute[SEEN_AT]": "2026-11-20T10:00:00Z",
    })
    assert response.status_code == 200
    stored = db_session.get(ServiceRequest, int(body(response, "json")[0]["service_request_id"]))
    assert stored.attributes["SURFACE"] == ["WALL", "SIGN"]
    assert stored.attributes["SEEN_AT"] == "2026-11-20T10:00:00+00:00"


def test_multivaluelist_with_an_unknown_key_is_400(client, jurisdiction, api_key):
    response = client.post("/open311/v2/requests.json", data={
        "api_key": api_key, "service_code": "GRAFFITI", **INSIDE,
        "attribute[SURFACE]": ["WALL", "ROOF"]})
    assert response.status_code == 400


def test_datetime_attribute_must_be_a_datetime(client, jurisdiction, api_key):
    response = client.post("/open311/v2/requests.json", data={
        "api_key": api_key, "service_code": "GRAFFITI", **INSIDE,
        "attribute[SEEN_AT]": "yesterday"})
    assert response.status_code == 400


def test_unknown_attribute_codes_are_ignored(client, jurisdiction, pothole_form):
    assert post(client, "json", **{**pothole_form, "attribute[COLOUR]": "red"}).status_code == 200


def test_description_over_4000_characters_is_400(client, jurisdiction, pothole_form):
    response = post(client, "json", **{**pothole_form, "description": "x" * 4001})
    assert response.status_code == 400


def test_reporter_fields_are_stored_apart(client, jurisdiction, pothole_form, db_session):
    response = post(client, "json", **{**pothole_form, "email": "ann@example.org",
                                       "first_name": "Ann", "phone": "312-555-0199",
                                       "device_id": "dev-9"})
    request_id = int(body(response, "json")[0]["service_request_id"])
    reporter = db_session.scalar(sa.select(Reporter).where(
        Reporter.service_request_id == request_id))
    assert (reporter.email, reporter.first_name, reporter.device_id) == (
        "ann@example.org", "Ann", "dev-9")


@pytest.mark.parametrize("fmt", FORMATS)
def test_reporter_fields_never_appear_in_get(client, jurisdiction, pothole_form, fmt):
    response = post(client, "json", **{**pothole_form, "email": "ann@example.org",
                                       "first_name": "Annabel", "phone": "312-555-0199",
                                       "device_id": "dev-9", "account_id": "acct-77"})
    request_id = body(response, "json")[0]["service_request_id"]
    shown = client.get(f"/open311/v2/requests/{request_id}.{fmt}").get_data(as_text=True)
    for secret in ("ann@example.org", "Annabel", "312-555-0199", "dev-9", "acct-77"):
        assert secret not in shown


@pytest.mark.parametrize("fmt", FORMATS)
def test_restricted_service_is_refused_to_api_keys(client, jurisdiction, api_key, fmt):
    response = post(client, fmt, api_key=api_key, service_code="MAYOR", **INSIDE)
    assert response.status_code == 403


@pytest.mark.parametrize("fmt", FORMATS)
def test_batch_service_returns_a_token_and_no_id(client, jurisdiction, api_key, fmt):
    (entry,) = body(post(client, fmt, api_key=api_key, service_code="STREETLIGHT", **INSIDE), fmt)
    assert entry["token"]
    assert "service_request_id" not in entry


@pytest.mark.parametrize("fmt", FORMATS)
def test_token_resolves_to_the_request(client, jurisdiction, api_key, fmt, db_session):
    (entry,) = body(post(client, fmt, api_key=api_key, service_code="STREETLIGHT", **INSIDE), fmt)
    response = client.get(f"/open311/v2/tokens/{entry['token']}.{fmt}")
    (resolved,) = body(response, fmt)
    stored = db_session.scalar(sa.select(ServiceRequest).where(
        ServiceRequest.token == entry["token"]))
    assert resolved == {"service_request_id": str(stored.id), "token": entry["token"]}


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_token_is_404(client, jurisdiction, fmt):
    assert client.get(f"/open311/v2/tokens/nope.{fmt}").status_code == 404


def test_blackbox_service_returns_neither_id_nor_token(client, jurisdiction, api_key):
    (entry,) = body(post(client, "json", api_key=api_key, service_code="NOISE", **INSIDE), "json")
    assert "service_request_id" not in entry and "token" not in entry


def test_submission_is_recorded_in_history(client, jurisdiction, pothole_form, db_session):
    request_id = int(body(post(client, "json", **pothole_form), "json")[0]["service_request_id"])
    (update,) = db_session.scalars(sa.select(RequestUpdate).where(
        RequestUpdate.service_request_id == request_id)).all()
    assert (update.kind, update.actor) == ("submitted", "api_key:test app")


@pytest.mark.parametrize("fmt", FORMATS)
def test_long_sla_is_explained_in_service_notice(client, jurisdiction, api_key, fmt):
    (entry,) = body(post(client, fmt, api_key=api_key, service_code="TREE", **INSIDE), fmt)
    assert entry["service_notice"] == "Trimming is scheduled by district in seasonal rounds."


def test_failed_post_stores_nothing(client, jurisdiction, pothole_form, db_session):
    before = db_session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest))
    post(client, "json", **{**pothole_form, "attribute[SIZE]": "XXL"})
    after = db_session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest))
    assert before == after


@pytest.mark.parametrize("email", ["a@b.com, victim@x.example", "a@b.com victim@x.example",
                                   "a@b.com\r\nBcc: victim@x.example", "a@b.com\nx", "nobody"])
def test_email_must_be_exactly_one_valid_address(client, db_session, jurisdiction, pothole_form,
                                                 email):
    fmt = "xml" if "\n" in email else "json"
    response = post(client, fmt, **pothole_form, email=email)
    assert response.status_code == 400
    assert error_codes(response, fmt) == [400]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest)) == 0


def round_trips_of(db_session, monkeypatch, send):
    """(statements sent alone, through SQLAlchemy or as psycopg raw statements; psycopg
    pipelines) while `send()` runs, the test's own savepoints aside. A pipeline is one round
    trip whatever it holds, and no SQLAlchemy event sees it or a raw statement."""
    from app.operations import submit

    statements, pipelines = [], []

    def record(_connection, _cursor, statement, *_):
        if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")):
            statements.append(statement)

    def counted(session, sent, pipelined=submit.pipelined):
        pipelines.append([sql for sql, _ in sent])
        return pipelined(session, sent)

    def raw(cursor, query, *rest, execute=psycopg.RawCursor.execute, **named):
        statements.append(bytes(query).decode())
        return execute(cursor, query, *rest, **named)

    monkeypatch.setattr(submit, "pipelined", counted)
    monkeypatch.setattr(psycopg.RawCursor, "execute", raw)
    engine = db_session.get_bind().engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = send()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return response, statements, pipelines


@pytest.mark.usefixtures("jurisdiction")
@pytest.mark.parametrize("at", [{"lat": "42.05"}, INSIDE], ids=["new", "duplicate"])
def test_a_post_is_one_pipeline_and_one_statement_before_the_commit(
        client, db_session, monkeypatch, pothole_form, at):
    post(client, "json", **pothole_form)  # the per-process caches (key, city, service, shapes)
    response, statements, pipelines = round_trips_of(
        db_session, monkeypatch, lambda: post(client, "json", **{**pothole_form, **at}))
    assert response.status_code == 200
    # The catalog and duplicate locks, the parent search and the new id in one round trip;
    # the request, its history (and the link's) and the parent's update in one statement.
    assert len(pipelines) == 1 and len(pipelines[0]) == 4
    assert len(statements) == 1, statements
    stored = db_session.get(ServiceRequest, int(body(response, "json")[0]["service_request_id"]))
    kinds = db_session.scalars(sa.select(RequestUpdate.kind).where(
        RequestUpdate.service_request_id == stored.id).order_by(RequestUpdate.id)).all()
    assert kinds == (["submitted", "duplicate"] if at is INSIDE else ["submitted"])


@pytest.mark.usefixtures("jurisdiction")
def test_a_post_after_a_catalog_load_elsewhere_is_filed_under_the_stored_definition(
        client, db_session, pothole_form):
    assert "service_request_id" in body(post(client, "json", **pothole_form), "json")[0]
    # A catalog load by another process: unseen by this process's mapper events.
    db_session.execute(sa.text("UPDATE services SET type = 'batch' "
                               "WHERE service_code = 'POTHOLE'"))
    db_session.execute(sa.text("UPDATE jurisdictions "
                               "SET changed_at = changed_at + interval '1 second'"))
    (entry,) = body(post(client, "json", **{**pothole_form, "lat": "42.05"}), "json")
    assert "token" in entry
    assert "service_request_id" not in entry
