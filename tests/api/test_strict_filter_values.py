"""An unknown service_code, department, district or status is a 400 on every public surface,
in that surface's own error format, naming the value and listing the known ones."""

import pytest


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_unknown_service_code_is_400_listing_the_known_ones(client, jurisdiction, fmt):
    response = client.get(f"/open311/v2/requests.{fmt}?service_code=NOPE")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "NOPE" in text and "POTHOLE" in text
    if fmt == "json":
        assert response.get_json()[0]["code"] == 400
    else:
        assert "<errors><error><code>400</code>" in text


def test_open311_unknown_district_is_400(client, jurisdiction):
    response = client.get("/open311/v2/requests.json?district=NOWHERE")
    assert response.status_code == 400
    assert "NOWHERE" in response.get_json()[0]["description"]


@pytest.mark.parametrize(("parameter", "known"), [("service_code", "POTHOLE"),
                                                   ("department", "PW"),
                                                   ("district", "none")])
@pytest.mark.parametrize("path", ["/api/v1/public/requests", "/api/v1/public/requests.csv",
                                  "/api/v1/public/stats?group_by=service",
                                  "/api/v1/public/feeds/requests.atom"])
def test_public_api_unknown_code_is_400_in_its_json_shape(client, jurisdiction, path,
                                                          parameter, known):
    separator = "&" if "?" in path else "?"
    response = client.get(f"{path}{separator}{parameter}=NOPE")
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == 400 and "NOPE" in body["message"] and known in body["message"]


def test_ogc_unknown_service_code_is_400(client, jurisdiction):
    response = client.get("/ogc/collections/requests/items?service_code=NOPE")
    assert response.status_code == 400
    assert "NOPE" in response.get_data(as_text=True)
