import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.models import ServiceRequest, Vote
from app.redaction import snap
from geo.points import distance_between_m
from tests.factories import ReporterFactory, moved
from tests.places import add_address
from tests.statements import statements_of

LAT, LONG = 42.04, -87.70


def nearby(client, code="POTHOLE", lat=LAT, long=LONG):
    response = client.get(f"/api/v1/public/nearby?service_code={code}&lat={lat}&long={long}")
    assert response.status_code == 200, response.data
    return response.get_json()


def test_nearby_lists_open_cases_nearest_first_with_distance(client, make_request):
    far = make_request("POTHOLE", lat=moved(LAT, LONG, north_m=30)[0], long=LONG)
    near = make_request("POTHOLE", lat=moved(LAT, LONG, north_m=12)[0], long=LONG,
                        vote_count=3)
    found = nearby(client)
    assert [n["service_request_id"] for n in found] == [str(near.id), str(far.id)]
    assert found[0]["distance_m"] == pytest.approx(12, abs=0.5)
    assert (found[0]["status"], found[0]["votes"]) == ("open", 3)


def test_nearby_masks_descriptions_and_leaves_out_reporters(client, db_session, make_request):
    case = make_request("POTHOLE", lat=LAT, long=LONG,
                        description="Deep one, call me at 312-555-0199")
    ReporterFactory._meta.sqlalchemy_session = db_session
    ReporterFactory(service_request=case, email="pat@example.org")
    response = client.get(f"/api/v1/public/nearby?service_code=POTHOLE&lat={LAT}&long={LONG}")
    assert response.get_json()[0]["description"] == "Deep one, call me at [phone removed]"
    assert b"pat@example.org" not in response.data and b"device-" not in response.data


def test_nearby_shows_block_locations_snapped_with_distance_to_the_snapped_point(
        client, make_request):
    lat, long = moved(LAT, LONG, north_m=10, east_m=10)
    make_request("GRAFFITI", lat=lat, long=long)
    pin_lat, pin_long = moved(snap(lat), snap(long), north_m=12)
    (found,) = nearby(client, "GRAFFITI", lat=pin_lat, long=pin_long)
    assert (found["lat"], found["long"]) == (snap(lat), snap(long))
    expected = distance_between_m(pin_lat, pin_long, snap(lat), snap(long))
    assert found["distance_m"] == pytest.approx(expected, abs=0.1)


def test_nearby_selects_block_requests_by_their_published_point_not_the_true_one(
        client, make_request):
    # Issue 10: a pin 3 m from the true point, but ~50 m from the grid cell's centre (the
    # service's radius is 25 m): listing it would tell that the true point is near the pin.
    lat, long = moved(LAT, LONG, north_m=10, east_m=10)
    make_request("GRAFFITI", lat=lat, long=long)
    assert nearby(client, "GRAFFITI", lat=moved(lat, long, north_m=3)[0], long=long) == []


def test_nearby_never_lists_hidden_requests(client, db_session, services, make_request):
    # Issue 10: a hidden request listed without coordinates still tells it is near the pin.
    services["NOISE"].duplicate_radius_m = 50
    db_session.flush()
    make_request("NOISE", lat=LAT, long=LONG)
    assert nearby(client, "NOISE") == []


def test_nearby_is_empty_for_a_service_without_a_duplicates_rule(client, make_request):
    make_request("TREE", lat=LAT, long=LONG)
    assert nearby(client, "TREE") == []


def test_nearby_leaves_out_closed_and_old_cases(client, make_request):
    make_request("POTHOLE", lat=LAT, long=LONG, status="closed", detailed_status="resolved")
    make_request("POTHOLE", lat=LAT, long=LONG,
                 requested_at=datetime.now(UTC) - timedelta(days=45))
    assert nearby(client) == []


@pytest.mark.parametrize("query", ["service_code=POTHOLE&lat=42.04",
                                   "service_code=POTHOLE&lat=x&long=-87.7",
                                   "lat=42.04&long=-87.7",
                                   "service_code=POTHOLE&lat=42.04&long=-187"])
def test_nearby_with_bad_arguments_is_400_in_json(client, jurisdiction, query):
    response = client.get(f"/api/v1/public/nearby?{query}")
    assert response.status_code == 400
    assert response.get_json()["code"] == 400


def test_nearby_for_an_unknown_service_is_404(client, jurisdiction):
    response = client.get("/api/v1/public/nearby?service_code=NOPE&lat=42.04&long=-87.7")
    assert response.status_code == 404


def vote(client, service_request_id, **voter):
    return client.post(f"/api/v1/public/requests/{service_request_id}/votes", data=voter)


def test_first_vote_is_counted(client, make_request):
    case = make_request("POTHOLE")
    response = vote(client, case.id, device_id="phone-1")
    assert response.status_code == 201
    assert response.get_json() == {"service_request_id": str(case.id), "votes": 1,
                                   "counted": True}


def test_repeat_vote_is_200_and_leaves_the_count(client, make_request):
    case = make_request("POTHOLE")
    vote(client, case.id, email="Sam@Example.org")
    response = vote(client, case.id, email="sam@EXAMPLE.org")
    assert response.status_code == 200
    assert response.get_json()["votes"] == 1 and response.get_json()["counted"] is False


def test_votes_of_different_voters_add_up(client, db_session, make_request):
    case = make_request("POTHOLE")
    vote(client, case.id, device_id="phone-1")
    vote(client, case.id, email="sam@example.org")
    response = client.post(f"/api/v1/public/requests/{case.id}/votes",
                           data=json.dumps({"device_id": "phone-2"}),
                           content_type="application/json")
    assert response.get_json()["votes"] == 3
    assert db_session.scalar(select(ServiceRequest.vote_count)
                             .where(ServiceRequest.id == case.id)) == 3


def test_voter_identity_is_stored_only_as_a_keyed_hash(client, db_session, make_request):
    case = make_request("POTHOLE")
    vote(client, case.id, device_id="phone-secret-1")
    (stored,) = db_session.scalars(select(Vote.voter_hash)).all()
    assert "phone-secret-1" not in stored and len(stored) == 64


@pytest.mark.parametrize("voter", [{}, {"email": "not-an-email"}, {"device_id": ""}])
def test_vote_without_a_valid_voter_is_400(client, make_request, voter):
    assert vote(client, make_request("POTHOLE").id, **voter).status_code == 400


def test_vote_on_a_closed_request_is_409(client, make_request):
    case = make_request("POTHOLE", status="closed", detailed_status="resolved")
    assert vote(client, case.id, device_id="phone-1").status_code == 409


@pytest.mark.parametrize("service_request_id", ["999999", "abc"])
def test_vote_on_an_unknown_request_is_404(client, jurisdiction, service_request_id):
    assert vote(client, service_request_id, device_id="phone-1").status_code == 404


@pytest.fixture
def addresses(db_session, jurisdiction):
    return [
        add_address(db_session, jurisdiction, "A-123", "123 N. Main St.", (42.041, -87.701)),
        add_address(db_session, jurisdiction, "A-1230", "1230 N. Main St.", (42.043, -87.701)),
        add_address(db_session, jurisdiction, "A-45", "45 Oak Avenue", (42.05, -87.69)),
    ]


def test_address_search_ranks_the_typed_address_first(client, addresses):
    response = client.get("/api/v1/public/addresses?q=123 n main")
    found = response.get_json()
    assert found[0] == {"address_id": "A-123", "address": "123 N. Main St.",
                        "zipcode": "62701", "lat": pytest.approx(42.041),
                        "long": pytest.approx(-87.701)}
    assert "A-45" not in [a["address_id"] for a in found]


def test_address_search_honours_the_limit(client, addresses):
    assert len(client.get("/api/v1/public/addresses?q=main street&limit=1").get_json()) == 1


@pytest.mark.parametrize("query", ["", "q=a", "q=main&limit=0", "q=main&limit=51"])
def test_address_search_with_bad_arguments_is_400(client, jurisdiction, query):
    assert client.get(f"/api/v1/public/addresses?{query}").status_code == 400


@pytest.mark.parametrize("spelling", ["Resident@Example.org", "resident+votes@example.org"])
def test_spellings_of_one_mailbox_are_one_voter(client, make_request, spelling):
    case = make_request()
    vote(client, case.id, email="resident@example.org")
    response = vote(client, case.id, email=spelling)
    assert (response.status_code, response.get_json()["votes"]) == (200, 1)


def test_gmail_dots_are_one_voter(client, make_request):
    case = make_request()
    vote(client, case.id, email="jane.doe@gmail.com")
    response = vote(client, case.id, email="janedoe+x@googlemail.com")
    assert (response.status_code, response.get_json()["votes"]) == (200, 1)


def test_one_client_address_gets_a_bounded_number_of_votes_per_request(app, client,
                                                                      make_request):
    case = make_request()
    limit = app.config["VOTES_PER_CLIENT_PER_REQUEST_PER_DAY"]
    answers = [vote(client, case.id, device_id=f"invented-{i}").status_code
               for i in range(limit + 1)]
    assert answers == [201] * limit + [429]
    assert vote(client, make_request().id, device_id="invented-0").status_code == 201


def test_nearby_reads_its_service_and_its_cases_in_one_statement(client, db_session,
                                                                   make_request):
    make_request("POTHOLE", lat=LAT, long=LONG)
    url = f"/api/v1/public/nearby?service_code=POTHOLE&lat={LAT}&long={LONG}"
    client.get(url)  # the process caches (the city) are filled by the first call
    assert len(statements_of(db_session, client, url)) == 1
