"""Precision never loosens silently (issue 10): a request keeps the strictest public_location
it ever had, until staff release it with a note kept in its history."""

import pytest
import sqlalchemy as sa

from app.models import RequestUpdate, Survey
from tests.staff_client import bearer

LAT, LONG = 42.0451234, -87.6912345


def open311_entry(client, service_request):
    (entry,) = client.get(f"/open311/v2/requests/{service_request.id}.json").get_json()
    return entry


def reassign(client, db_session, service_request, service_code):
    return client.post(f"/api/v1/staff/requests/{service_request.id}/reassign",
                       json={"service_code": service_code}, headers=bearer(db_session))


def test_reassigning_a_hidden_request_to_an_exact_service_keeps_it_hidden(client, db_session,
                                                                           make_request):
    noise = make_request("NOISE", lat=LAT, long=LONG, address="987 Secret Ct")
    assert reassign(client, db_session, noise, "POTHOLE").status_code == 200
    entry = open311_entry(client, noise)
    assert (entry["lat"], entry["long"], entry["address"]) == (None, None, None)


def test_reassigning_a_block_request_to_a_hidden_service_hides_it(client, db_session,
                                                                  make_request):
    graffiti = make_request("GRAFFITI", lat=LAT, long=LONG)
    response = reassign(client, db_session, graffiti, "NOISE")
    assert response.status_code == 200, response.data
    assert open311_entry(client, graffiti)["lat"] is None


def test_staff_release_with_a_note_publishes_the_looser_location(client, db_session,
                                                                 make_request):
    noise = make_request("NOISE", lat=LAT, long=LONG)
    reassign(client, db_session, noise, "POTHOLE")
    response = client.post(f"/api/v1/staff/requests/{noise.id}/location-release",
                           json={"note": "Filed under the wrong service: a pothole"},
                           headers=bearer(db_session))
    assert response.status_code == 200, response.data
    assert (open311_entry(client, noise)["lat"], open311_entry(client, noise)["long"]) == (
        LAT, LONG)
    kinds = db_session.scalars(sa.select(RequestUpdate.kind).where(
        RequestUpdate.service_request_id == noise.id)).all()
    assert "location_released" in kinds


def test_release_without_a_note_is_400(client, db_session, make_request):
    noise = make_request("NOISE", lat=LAT, long=LONG)
    reassign(client, db_session, noise, "POTHOLE")
    response = client.post(f"/api/v1/staff/requests/{noise.id}/location-release",
                           json={"note": ""}, headers=bearer(db_session))
    assert response.status_code == 400
    assert open311_entry(client, noise)["lat"] is None


def test_release_with_nothing_to_release_is_400(client, db_session, make_request):
    pothole = make_request("POTHOLE", lat=LAT, long=LONG)
    response = client.post(f"/api/v1/staff/requests/{pothole.id}/location-release",
                           json={"note": "why not"}, headers=bearer(db_session))
    assert response.status_code == 400


def test_the_database_refuses_a_rating_outside_1_to_3(db_session, make_request):
    service_request = make_request()
    db_session.add(Survey(service_request_id=service_request.id, token_hash="c" * 64,
                          rating=5))
    with pytest.raises(sa.exc.IntegrityError):
        db_session.flush()
