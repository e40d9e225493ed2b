"""Hostile text stays harmless: every XML output parses whatever control characters a report
holds, and no CSV cell can start a spreadsheet formula."""

import csv
import io
from xml.etree import ElementTree as ET

import pytest

from app.csv_safety import csv_safe_text
from tests.staff_client import bearer

INSIDE = {"lat": "42.045", "long": "-87.70"}
# Every C0 control character but NUL (refused outright, see test_hostile_input), and the two
# noncharacters XML 1.0 also forbids.
CONTROL = "".join(chr(code) for code in range(1, 0x20)) + "\ufffe\uffff"


@pytest.fixture
def hostile_request(client, db_session, jurisdiction, api_key):
    """A request whose description and public note hold every forbidden character."""
    response = client.post("/open311/v2/requests.json", data={
        "api_key": api_key, "service_code": "POTHOLE", "attribute[SIZE]": "L",
        "description": f"hole{CONTROL}here", **INSIDE})
    assert response.status_code == 200, response.get_data(as_text=True)
    service_request_id = response.get_json()[0]["service_request_id"]
    note = client.post(f"/api/v1/staff/requests/{service_request_id}/notes",
                       json={"text": f"crew{CONTROL}sent", "public": True},
                       headers=bearer(db_session, "agent"))
    assert note.status_code == 201
    return service_request_id


@pytest.mark.parametrize("path", [
    "/open311/v2/requests.xml",
    "/open311/v2/requests.xml?extensions=true",
    "/open311/v2/requests/{id}.xml",
    "/open311/v2/requests/{id}.xml?extensions=true",
    "/api/v1/public/feeds/requests.atom",
])
def test_every_xml_output_parses_after_control_characters(client, hostile_request, path):
    response = client.get(path.format(id=hostile_request))
    assert response.status_code == 200
    document = ET.fromstring(response.data)
    assert "hole" in "".join(document.itertext())


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_csv_export_cell_cannot_start_a_formula(client, make_request, start):
    make_request(description=f"{start}HYPERLINK(\"http://x.example\",\"y\")", lat=42.045,
                 long=-87.70)
    response = client.get("/api/v1/public/requests.csv")
    header, row = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    cells = dict(zip(header, row, strict=True))
    assert cells["description"] == f"'{start}HYPERLINK(\"http://x.example\",\"y\")"
    assert cells["long"] == "-87.7"  # numbers stay numbers


def test_ordinary_text_is_left_alone_in_csv():
    assert csv_safe_text("Pothole on Main St") == "Pothole on Main St"
    assert csv_safe_text(-87.7) == -87.7


@pytest.mark.parametrize("path", ["/api/v1/staff/requests/{id}/notes",
                                  "/api/v1/public/requests/{id}/votes"])
def test_a_lone_surrogate_in_json_is_400(client, db_session, make_request, path):
    service_request = make_request()
    response = client.post(path.format(id=service_request.id),
                           data='{"text": "a\\ud800b", "public": true, "device_id": "\\udfff"}',
                           content_type="application/json", headers=bearer(db_session, "agent"))
    assert response.status_code == 400
    assert "surrogate" in response.get_data(as_text=True)
