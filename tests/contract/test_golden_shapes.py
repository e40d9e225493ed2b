"""Our XML/JSON against real cities' responses and the reference adapter's canonical ones
(tests/fixtures/open311-samples, sources in its SOURCES.md): same element names and nesting, a
superset of their fields."""

import json
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import FIXTURES

SAMPLES = FIXTURES / "open311-samples"


def shape(element: ET.Element) -> dict:
    """Element names as a tree; repeated children merged, order ignored."""
    children: dict = {}
    for child in element:
        children.setdefault(child.tag, {}).update(shape(child))
    return children


def sample(name: str) -> ET.Element:
    return ET.parse(SAMPLES / name).getroot()


def test_services_xml_has_the_canonical_shape(client, jurisdiction):
    ours = ET.fromstring(client.get("/open311/v2/services.xml").data)
    assert ours.tag == sample("open311adapter_canonical_services.xml").tag
    assert shape(ours) == shape(sample("open311adapter_canonical_services.xml"))


def test_service_definition_xml_has_the_canonical_shape(client, jurisdiction):
    ours = ET.fromstring(client.get("/open311/v2/services/POTHOLE.xml").data)
    canonical = sample("open311adapter_canonical_service_definition.xml")
    assert ours.tag == canonical.tag
    assert shape(ours) == shape(canonical)


def test_request_xml_carries_every_canonical_and_city_element(client, make_request):
    service_request = make_request("POTHOLE")
    ours = shape(ET.fromstring(client.get(f"/open311/v2/requests/{service_request.id}.xml").data))
    for name in ("open311adapter_canonical_request.xml", "toronto_requests_2018.xml",
                 "toronto_request_single_2018.xml"):
        theirs = shape(sample(name))
        assert set(theirs) == set(ours) == {"request"}
        assert set(theirs["request"]) <= set(ours["request"]), name


def test_post_response_xml_has_the_canonical_shape(client, jurisdiction, api_key):
    response = client.post("/open311/v2/requests.xml", data={
        "api_key": api_key, "service_code": "POTHOLE", "attribute[SIZE]": "S",
        "lat": "42.05", "long": "-87.7"})
    ours = shape(ET.fromstring(response.data))
    canonical = shape(sample("open311adapter_canonical_post_response.xml"))
    assert set(ours) == set(canonical) == {"request"}
    assert {"service_request_id", "service_notice"} == set(canonical["request"])
    assert set(canonical["request"]) <= set(ours["request"])


def test_token_xml_has_the_spec_shape(client, jurisdiction, api_key):
    posted = ET.fromstring(client.post("/open311/v2/requests.xml", data={
        "api_key": api_key, "service_code": "STREETLIGHT", "lat": "42.05", "long": "-87.7"}).data)
    token = posted.find("request/token").text
    ours = ET.fromstring(client.get(f"/open311/v2/tokens/{token}.xml").data)
    assert shape(ours) == shape(sample("token_response.xml"))


def test_error_xml_has_the_canonical_shape(client, jurisdiction):
    ours = ET.fromstring(client.get("/open311/v2/requests/424242.xml").data)
    assert shape(ours) == shape(sample("error_404_not_found.xml"))


def test_empty_list_xml_matches_the_canonical_empty_list(client, jurisdiction):
    ours = ET.fromstring(client.get("/open311/v2/requests.xml").data)
    canonical = sample("service_requests_empty.xml")
    assert (ours.tag, len(ours)) == (canonical.tag, len(canonical))


@pytest.mark.parametrize("name", ["chicago_requests_2014.json", "bloomington_requests_2012.json",
                                  "sf_request_extended_attributes_wiki_2015.json"])
def test_json_requests_carry_every_core_field_real_cities_send(client, make_request, name):
    make_request("POTHOLE")
    (ours,) = json.loads(client.get("/open311/v2/requests.json").data)
    core = {"service_request_id", "status", "status_notes", "service_name", "service_code",
            "description", "agency_responsible", "service_notice", "requested_datetime",
            "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
            "lat", "long", "media_url"}
    for theirs in json.loads((SAMPLES / name).read_text()):
        assert (set(theirs) & core) <= set(ours)
    assert isinstance(ours["lat"], float) and isinstance(ours["service_request_id"], str)


def test_json_services_have_the_fields_and_types_of_a_real_city(client, jurisdiction):
    ours = json.loads(client.get("/open311/v2/services.json").data)
    theirs = json.loads((SAMPLES / "bloomington_services_2012.json").read_text())
    assert set(theirs[0]) == set(ours[0])
    for field in theirs[0]:
        assert type(theirs[0][field]) is type(ours[0][field]), field
