import pytest

from tests.open311_client import body, error_codes, scalar

FORMATS = ["json", "xml"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_ordered_by_group_then_name(client, jurisdiction, fmt):
    response = client.get(f"/open311/v2/services.{fmt}")
    assert response.status_code == 200
    services = body(response, fmt)
    keys = [(s["group"], s["service_name"]) for s in services]
    assert keys == sorted(keys)
    assert {s["service_code"] for s in services} >= {"POTHOLE", "GRAFFITI", "STREETLIGHT"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_metadata_is_true_only_with_attributes(client, jurisdiction, fmt):
    services = {s["service_code"]: s for s in body(client.get(f"/open311/v2/services.{fmt}"), fmt)}
    assert services["POTHOLE"]["metadata"] == scalar(True, fmt)
    assert services["STREETLIGHT"]["metadata"] == scalar(False, fmt)
    assert services["POTHOLE"]["keywords"] == "road,street,asphalt"
    assert services["STREETLIGHT"]["type"] == "batch"


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_lists_attributes_in_order_with_values(client, jurisdiction, fmt):
    response = client.get(f"/open311/v2/services/POTHOLE.{fmt}")
    definition = body(response, fmt)
    assert definition["service_code"] == "POTHOLE"
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = attributes["attribute"]
    assert [a["code"] for a in attributes] == ["SIZE", "DEPTH"]
    size = attributes[0]
    assert size["required"] == scalar(True, fmt)
    assert size["datatype"] == "singlevaluelist"
    values = size["values"] if fmt == "json" else size["values"]["value"]
    assert [v["key"] for v in values] == ["S", "L"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_singular_service_path_is_an_alias(client, jurisdiction, fmt):
    assert client.get(f"/open311/v2/service/POTHOLE.{fmt}").data == client.get(
        f"/open311/v2/services/POTHOLE.{fmt}").data


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_definition_is_404_in_the_error_format(client, jurisdiction, fmt):
    response = client.get(f"/open311/v2/services/NOPE.{fmt}")
    assert response.status_code == 404
    assert error_codes(response, fmt) == [404]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_jurisdiction_is_404(client, jurisdiction, fmt):
    response = client.get(f"/open311/v2/services.{fmt}?jurisdiction_id=elsewhere.gov")
    assert response.status_code == 404
    assert "jurisdiction_id" in body(response, fmt)[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_jurisdiction_id_means_absent(client, jurisdiction, fmt):
    assert client.get(f"/open311/v2/services.{fmt}?jurisdiction_id=").status_code == 200


def test_unknown_format_is_404_in_xml(client, jurisdiction):
    response = client.get("/open311/v2/services.html")
    assert response.status_code == 404
    assert error_codes(response, "xml") == [404]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_route_is_404_in_the_error_format(client, fmt):
    response = client.get(f"/open311/v2/nothing-here.{fmt}")
    assert response.status_code == 404
    assert error_codes(response, fmt) == [404]


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_endpoint_and_formats(client, jurisdiction, fmt):
    document = body(client.get(f"/open311/v2/discovery.{fmt}"), fmt)
    endpoints = document["endpoints"] if fmt == "json" else document["endpoints"]["endpoint"]
    endpoint = endpoints[0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    formats = endpoint["formats"] if fmt == "json" else endpoint["formats"]["format"]
    assert formats == ["text/xml", "application/json"]
    assert document["changeset"]
