"""GET requests documents are built in PostgreSQL (app.open311.render): they must say what the
Python redaction rules and date format say, in both formats, lists and single requests alike."""

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from app.datetimes import w3c
from app.redaction import mask_text, public_address, public_lat_long, public_zipcode

CHICAGO = ZoneInfo("America/Chicago")
CASES = {
    "exact": dict(service_code="POTHOLE", lat=42.0451234, long=-87.6912345,
                  address="1234 Main St", address_id="A-17", zipcode="60201",
                  media_urls=["https://img.example/1.jpg", "https://img.example/2.jpg"],
                  status_notes="crew sent, call (312) 555-0100"),
    "block": dict(service_code="GRAFFITI", lat=42.0455, long=-87.6915, address="0012 Elm Ave",
                  address_id="A-18", zipcode="60202"),
    "hidden": dict(service_code="NOISE", address="77 Oak St", zipcode="60203"),
    "markup and unicode": dict(description="<b>Ünïcödé & 'quotes'</b> bo@example.org ✓"),
    "empty address": dict(address="", address_id="A-19", description=""),
    "nothing optional": dict(address=None, description=None, deadline=None, zipcode=None),
    "integral coordinates": dict(lat=42.0, long=-87.0),
    "json escapes": dict(description='say "hi" \\ back\nslash\ttab </request> 🚧',
                         address='1 "Quoted" St'),
}


def expected(service_request, name: str) -> dict:
    """The document GeoReport v2 asks for, by the Python redaction rules (the reference)."""
    policy = service_request.service.public_location
    # The factory's default point (tests/factories.py) unless the case gives one.
    lat, long = public_lat_long(CASES[name].get("lat", 42.04), CASES[name].get("long", -87.70),
                                policy)
    address, address_id = public_address(service_request.address, service_request.address_id,
                                         policy)
    return {
        "service_request_id": str(service_request.id),
        "status": service_request.status,
        "status_notes": mask_text(service_request.status_notes),
        "service_name": service_request.service.service_name,
        "service_code": service_request.service.service_code,
        "description": mask_text(service_request.description),
        "agency_responsible": service_request.department.name,
        "service_notice": service_request.service_notice,
        "requested_datetime": w3c(service_request.requested_at, CHICAGO),
        "updated_datetime": w3c(service_request.updated_at, CHICAGO),
        "expected_datetime": w3c(service_request.deadline, CHICAGO),
        "address": address,
        "address_id": address_id,
        "zipcode": public_zipcode(service_request.zipcode, policy),
        "lat": lat,
        "long": long,
        "media_url": (service_request.media_urls or [None])[0],
    }


def stored(make_request, name):
    columns = dict(CASES[name])
    return make_request(columns.pop("service_code", "POTHOLE"), **columns)


@pytest.mark.parametrize("name", CASES)
def test_json_document_matches_the_python_redaction_rules(client, make_request, name):
    service_request = stored(make_request, name)
    (entry,) = json.loads(client.get(f"/open311/v2/requests/{service_request.id}.json").data)
    assert entry == expected(service_request, name)


@pytest.mark.parametrize("name", CASES)
def test_xml_document_matches_the_json_document(client, make_request, name):
    service_request = stored(make_request, name)
    (entry,) = json.loads(client.get(f"/open311/v2/requests/{service_request.id}.json").data)
    root = ET.fromstring(client.get(f"/open311/v2/requests/{service_request.id}.xml").data)
    (element,) = root
    as_text = {k: None if v in (None, "") else str(v) for k, v in entry.items()}
    assert {child.tag: child.text for child in element} == as_text


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_extended_document_starts_with_the_same_core_fields(client, make_request, fmt):
    service_request = stored(make_request, "exact")
    plain = client.get(f"/open311/v2/requests/{service_request.id}.{fmt}").data
    extended = client.get(f"/open311/v2/requests/{service_request.id}.{fmt}?extensions=true").data
    if fmt == "json":
        core = json.loads(plain)[0]
        assert {k: json.loads(extended)[0][k] for k in core} == core
    else:
        core = [(c.tag, c.text) for c in ET.fromstring(plain)[0]]
        assert [(c.tag, c.text) for c in ET.fromstring(extended)[0]][:len(core)] == core


def test_integral_coordinates_stay_json_floats(client, make_request):
    service_request = stored(make_request, "integral coordinates")
    (entry,) = json.loads(client.get(f"/open311/v2/requests/{service_request.id}.json").data)
    assert (entry["lat"], entry["long"]) == (42.0, -87.0)
    assert isinstance(entry["lat"], float) and isinstance(entry["long"], float)


def test_list_and_single_request_give_the_same_entry(client, make_request):
    service_request = stored(make_request, "block")
    (single,) = json.loads(client.get(f"/open311/v2/requests/{service_request.id}.json").data)
    listed = json.loads(client.get("/open311/v2/requests.json").data)
    assert listed == [single]


def test_xml_list_drops_noncharacters_and_stays_well_formed(client, make_request):
    make_request(description="bad \ufffe\uffff\x1f end")
    root = ET.fromstring(client.get("/open311/v2/requests.xml").data)
    assert root.find("request/description").text == "bad  end"


def test_dates_in_a_half_hour_negative_offset_match_python(client, db_session, make_request,
                                                          jurisdiction):
    jurisdiction.timezone = "America/St_Johns"
    requested = datetime(2026, 1, 15, 12, 0, 30, 999999, tzinfo=UTC)
    service_request = make_request(requested_at=requested)
    db_session.flush()
    (entry,) = json.loads(client.get(f"/open311/v2/requests/{service_request.id}.json").data)
    assert entry["requested_datetime"] == w3c(requested, ZoneInfo("America/St_Johns")) \
        == "2026-01-15T08:30:30-03:30"


def test_dates_in_a_half_hour_positive_offset_match_python(client, db_session, make_request,
                                                          jurisdiction):
    jurisdiction.timezone = "Asia/Kolkata"
    requested = datetime(2026, 1, 15, 12, 0, 30, tzinfo=UTC)
    service_request = make_request(requested_at=requested)
    db_session.flush()
    (entry,) = json.loads(client.get(f"/open311/v2/requests/{service_request.id}.json").data)
    assert entry["requested_datetime"] == "2026-01-15T17:30:30+05:30"


def json_build_object_text(entry: dict) -> str:
    """An entry as PostgreSQL's json_build_object writes it, the layout clients have had."""
    return "{" + ", ".join(f"{json.dumps(k)} : {json.dumps(v, ensure_ascii=False)}"
                           for k, v in entry.items()) + "}"


def test_json_list_keeps_the_json_build_object_layout(client, make_request):
    older = stored(make_request, "exact")
    newer = stored(make_request, "json escapes")
    newest_first = sorted(((older, "exact"), (newer, "json escapes")), reverse=True,
                          key=lambda pair: (pair[0].requested_at, pair[0].id))
    entries = [expected(service_request, name) for service_request, name in newest_first]
    body = client.get("/open311/v2/requests.json").data.decode()
    assert body == "[" + ", ".join(json_build_object_text(e) for e in entries) + "]"


def test_the_list_is_one_statement_returning_one_row(client, db_session, make_request):
    for name in ("exact", "block", "hidden"):
        stored(make_request, name)
    client.get("/open311/v2/requests.json")  # the process caches (the city) are filled first
    rows = []

    def record(_connection, cursor, *_args):
        rows.append(cursor.rowcount)

    engine = db_session.get_bind().engine
    event.listen(engine, "after_cursor_execute", record)
    try:
        assert len(json.loads(client.get("/open311/v2/requests.json").data)) == 3
    finally:
        event.remove(engine, "after_cursor_execute", record)
    assert rows == [1]
