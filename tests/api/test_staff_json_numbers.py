"""Staff JSON bodies take numbers as JSON clients send them (coordinates, ids, number
attributes), keep accepting numeric strings, and say so in the OpenAPI document."""

import pytest

from tests.staff_client import bearer

FILING = {"service_code": "POTHOLE", "channel": "phone", "attributes": {"SIZE": "L"}}


def test_coordinates_as_json_numbers_are_filed_at_that_point(client, db_session, jurisdiction):
    response = client.post("/api/v1/staff/requests", headers=bearer(db_session),
                           json=FILING | {"lat": 42.0512345, "long": -87.7012345})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["lat"], body["long"]) == pytest.approx((42.0512345, -87.7012345))


def test_coordinates_as_numeric_strings_are_still_accepted(client, db_session, jurisdiction):
    response = client.post("/api/v1/staff/requests", headers=bearer(db_session),
                           json=FILING | {"lat": "42.05", "long": "-87.7"})
    assert response.status_code == 201


@pytest.mark.parametrize("lat", ["north", 91, True, None])
def test_a_coordinate_that_is_not_a_latitude_is_400_naming_it(client, db_session,
                                                               jurisdiction, lat):
    response = client.post("/api/v1/staff/requests", headers=bearer(db_session),
                           json=FILING | {"lat": lat, "long": -87.7})
    assert response.status_code == 400
    assert "lat" in response.get_json()["message"]


def test_merge_takes_the_parent_id_as_a_json_number(client, db_session, make_request):
    parent, duplicate = make_request("POTHOLE"), make_request("POTHOLE")
    response = client.post(f"/api/v1/staff/requests/{duplicate.id}/merge",
                           json={"into": parent.id}, headers=bearer(db_session))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["duplicate_of"] == str(parent.id)


def test_openapi_documents_coordinates_as_numbers(client):
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    filing = schemas["StaffSubmitForm"]["properties"]
    assert filing["lat"]["type"] == filing["long"]["type"] == "number"
    assert filing["lat"]["maximum"] == 90 and filing["long"]["minimum"] == -180
