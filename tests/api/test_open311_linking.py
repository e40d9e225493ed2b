import pytest

from tests.open311_client import body
from tests.places import add_address

FORMATS = ["json", "xml"]
POTHOLE = {"service_code": "POTHOLE", "lat": "42.04", "long": "-87.7", "attribute[SIZE]": "L"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_response_says_the_report_was_linked(client, api_key, make_request, fmt):
    parent = make_request("POTHOLE", lat=42.04, long=-87.7)
    response = client.post(f"/open311/v2/requests.{fmt}", data={**POTHOLE, "api_key": api_key})
    (created,) = body(response, fmt)
    assert created["service_request_id"] != str(parent.id)
    assert f"request {parent.id}" in created["service_notice"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_of_a_first_report_has_no_duplicate_notice(client, api_key, jurisdiction, fmt):
    response = client.post(f"/open311/v2/requests.{fmt}", data={**POTHOLE, "api_key": api_key})
    (created,) = body(response, fmt)
    assert not created["service_notice"]


def test_post_with_an_address_string_is_placed_at_its_address(client, db_session, api_key,
                                                             jurisdiction):
    add_address(db_session, jurisdiction, "A-7", "7 W. Elm Street", (42.06, -87.71))
    response = client.post("/open311/v2/requests.json", data={
        "api_key": api_key, "service_code": "TREE", "address_string": "7 west elm st"})
    (created,) = response.get_json()
    (listed,) = client.get(f"/open311/v2/requests/{created['service_request_id']}.json"
                           ).get_json()
    assert (listed["lat"], listed["long"], listed["address_id"]) == (
        pytest.approx(42.06), pytest.approx(-87.71), "A-7")


def test_post_with_an_unknown_address_is_stored_and_says_it_is_unconfirmed(client, api_key,
                                                                          jurisdiction):
    response = client.post("/open311/v2/requests.json", data={
        "api_key": api_key, "service_code": "TREE", "address_string": "Nowhere Lane 9"})
    assert response.status_code == 200
    (created,) = response.get_json()
    assert "could not be confirmed" in created["service_notice"]
