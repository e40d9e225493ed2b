import pytest

from app.models import Jurisdiction
from tests.open311_client import body

FORMATS = ["json", "xml"]


@pytest.fixture
def second_city(db_session, jurisdiction):
    db_session.add(Jurisdiction(id="shelbyville.example.gov", name="Shelbyville",
                                timezone="America/Chicago", holiday_extra=[]))
    db_session.flush()


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_id_is_required_with_several(client, second_city, fmt):
    response = client.get(f"/open311/v2/services.{fmt}")
    assert response.status_code == 400
    assert "jurisdiction_id is required" in body(response, fmt)[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_id_selects_one_of_several(client, second_city, fmt):
    response = client.get(f"/open311/v2/services.{fmt}?jurisdiction_id=springfield.example.gov")
    assert response.status_code == 200
    assert len(body(response, fmt)) == 6


def test_jurisdiction_id_is_read_from_the_post_form(client, second_city, api_key):
    response = client.post("/open311/v2/requests.json", data={
        "jurisdiction_id": "springfield.example.gov", "api_key": api_key,
        "service_code": "TREE", "lat": "42.05", "long": "-87.7"})
    assert response.status_code == 200


def test_requests_of_another_jurisdiction_are_not_found(client, second_city, make_request):
    service_request = make_request("POTHOLE")
    response = client.get(f"/open311/v2/requests/{service_request.id}.json"
                          "?jurisdiction_id=shelbyville.example.gov")
    assert response.status_code == 404


def test_no_jurisdiction_loaded_is_404(client):
    assert client.get("/open311/v2/services.json").status_code == 404
