from datetime import UTC, datetime, timedelta

import pytest

from tests.open311_client import body, error_codes, scalar

FORMATS = ["json", "xml"]
CORE_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code",
               "description", "agency_responsible", "service_notice", "requested_datetime",
               "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
               "lat", "long", "media_url"]


def ids(response, fmt):
    return [r["service_request_id"] for r in body(response, fmt)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_has_exactly_the_spec_fields_in_order(client, make_request, fmt):
    service_request = make_request("POTHOLE")
    (entry,) = body(client.get(f"/open311/v2/requests/{service_request.id}.{fmt}"), fmt)
    assert list(entry) == CORE_FIELDS


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_fields_carry_the_stored_values(client, make_request, fmt):
    service_request = make_request("POTHOLE", lat=42.05, long=-87.7,
                                   media_urls=["https://img.example/1.jpg"])
    (entry,) = body(client.get(f"/open311/v2/requests/{service_request.id}.{fmt}"), fmt)
    assert entry["service_code"] == "POTHOLE"
    assert entry["agency_responsible"] == "Public Works"
    assert entry["lat"] == scalar(42.05, fmt) and entry["long"] == scalar(-87.7, fmt)
    assert entry["media_url"] == "https://img.example/1.jpg"
    assert entry["status"] == "open"


@pytest.mark.parametrize("fmt", FORMATS)
def test_dates_carry_the_jurisdiction_offset_to_the_second(client, make_request, fmt):
    requested = datetime(2026, 7, 1, 15, 30, 12, 654321, tzinfo=UTC)
    service_request = make_request("POTHOLE", requested_at=datetime.now(UTC) - timedelta(days=1))
    service_request.requested_at = requested
    (entry,) = body(client.get(f"/open311/v2/requests/{service_request.id}.{fmt}"), fmt)
    assert entry["requested_datetime"] == "2026-07-01T10:30:12-05:00"


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_is_404(client, jurisdiction, fmt):
    response = client.get(f"/open311/v2/requests/999999999.{fmt}")
    assert response.status_code == 404
    assert error_codes(response, fmt) == [404]


@pytest.mark.parametrize("fmt", FORMATS)
def test_non_numeric_request_id_is_404_not_500(client, jurisdiction, fmt):
    assert client.get(f"/open311/v2/requests/14-01100669.{fmt}").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_list_is_newest_first(client, make_request, fmt):
    now = datetime.now(UTC)
    older = make_request(requested_at=now - timedelta(days=2))
    newer = make_request(requested_at=now - timedelta(days=1))
    assert ids(client.get(f"/open311/v2/requests.{fmt}"), fmt) == [str(newer.id), str(older.id)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_default_window_is_the_last_90_days(client, make_request, fmt):
    now = datetime.now(UTC)
    recent = make_request(requested_at=now - timedelta(days=89))
    make_request(requested_at=now - timedelta(days=91))
    assert ids(client.get(f"/open311/v2/requests.{fmt}"), fmt) == [str(recent.id)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_result_is_an_empty_list(client, jurisdiction, fmt):
    response = client.get(f"/open311/v2/requests.{fmt}")
    assert response.status_code == 200
    assert body(response, fmt) == []


def test_empty_xml_list_is_the_bare_root(client, jurisdiction):
    response = client.get("/open311/v2/requests.xml")
    assert response.data.endswith(b"<service_requests></service_requests>")


@pytest.mark.parametrize("fmt", FORMATS)
def test_filter_by_service_code_comma_list(client, make_request, fmt):
    pothole, graffiti = make_request("POTHOLE"), make_request("GRAFFITI")
    make_request("STREETLIGHT")
    found = ids(client.get(f"/open311/v2/requests.{fmt}?service_code=POTHOLE,GRAFFITI"), fmt)
    assert sorted(found) == sorted([str(pothole.id), str(graffiti.id)])


def test_filter_by_repeated_service_code(client, make_request):
    pothole, graffiti = make_request("POTHOLE"), make_request("GRAFFITI")
    make_request("STREETLIGHT")
    found = ids(client.get("/open311/v2/requests.json?service_code=POTHOLE&service_code=GRAFFITI"),
                "json")
    assert sorted(found) == sorted([str(pothole.id), str(graffiti.id)])


@pytest.mark.parametrize("fmt", FORMATS)
def test_filter_by_status(client, make_request, fmt):
    make_request(status="open")
    closed = make_request(status="closed", detailed_status="resolved")
    assert ids(client.get(f"/open311/v2/requests.{fmt}?status=closed"), fmt) == [str(closed.id)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_status_is_400(client, jurisdiction, fmt):
    response = client.get(f"/open311/v2/requests.{fmt}?status=pending")
    assert response.status_code == 400
    assert error_codes(response, fmt) == [400]


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_request_id_list_overrides_other_filters(client, make_request, fmt):
    old = make_request(requested_at=datetime.now(UTC) - timedelta(days=400))
    other = make_request("GRAFFITI")
    found = ids(client.get(f"/open311/v2/requests.{fmt}?service_request_id={old.id},{other.id}"
                           "&service_code=POTHOLE"), fmt)
    assert sorted(found) == sorted([str(old.id), str(other.id)])


@pytest.mark.parametrize("fmt", FORMATS)
def test_start_and_end_date_bound_the_list_inclusively(client, make_request, fmt):
    base = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    inside = make_request(requested_at=base)
    make_request(requested_at=base - timedelta(seconds=1))
    found = ids(client.get(f"/open311/v2/requests.{fmt}?start_date=2026-03-10T12:00:00Z"
                           "&end_date=2026-03-12T00:00:00Z"), fmt)
    assert found == [str(inside.id)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_span_over_90_days_is_400(client, jurisdiction, fmt):
    response = client.get(f"/open311/v2/requests.{fmt}?start_date=2026-01-01T00:00:00Z"
                          "&end_date=2026-06-01T00:00:00Z")
    assert response.status_code == 400


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_datetime_is_400(client, jurisdiction, fmt):
    response = client.get(f"/open311/v2/requests.{fmt}?start_date=last-tuesday")
    assert response.status_code == 400
    assert "start_date" in body(response, fmt)[0]["description"]


def test_unencoded_plus_in_an_offset_is_understood(client, make_request):
    inside = make_request(requested_at=datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    found = ids(client.get("/open311/v2/requests.json?start_date=2026-03-10T17:00:00 05:00"
                           "&end_date=2026-03-10T19:00:00+05:00"), "json")
    assert found == [str(inside.id)]


def test_naive_dates_are_read_in_the_jurisdiction_timezone(client, make_request):
    inside = make_request(requested_at=datetime(2026, 3, 10, 16, 0, tzinfo=UTC))  # 11:00 CDT
    found = ids(client.get("/open311/v2/requests.json?start_date=2026-03-10T10:30:00"
                           "&end_date=2026-03-10T11:30:00"), "json")
    assert found == [str(inside.id)]


def test_list_is_capped_at_1000(client, make_request, db_session):
    service = make_request().service
    db_session.execute(
        __import__("sqlalchemy").text(
            "INSERT INTO service_requests (jurisdiction_id, service_id, status, detailed_status,"
            " media_urls, attributes, channel, requested_at, updated_at, vote_count)"
            " SELECT :j, :s, 'open', 'submitted', '{}', '{}', 'api', now() - g * interval '1 min',"
            " now(), 0 FROM generate_series(1, 1005) g"),
        {"j": service.jurisdiction_id, "s": service.id},
    )
    assert len(body(client.get("/open311/v2/requests.json"), "json")) == 1000


@pytest.mark.parametrize("fmt", FORMATS)
def test_block_service_shows_snapped_location_and_hundred_block(client, make_request, fmt):
    graffiti = make_request("GRAFFITI", lat=42.0451234, long=-87.6912345, address="1234 Main St")
    (entry,) = body(client.get(f"/open311/v2/requests/{graffiti.id}.{fmt}"), fmt)
    assert entry["lat"] == scalar(42.0455, fmt) and entry["long"] == scalar(-87.6915, fmt)
    assert entry["address"] == "1200 block of Main St"


@pytest.mark.parametrize("fmt", FORMATS)
def test_hidden_service_shows_no_location(client, make_request, fmt):
    noise = make_request("NOISE", address="1234 Main St")
    (entry,) = body(client.get(f"/open311/v2/requests/{noise.id}.{fmt}"), fmt)
    assert entry["lat"] is None and entry["long"] is None and entry["address"] is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_contact_details_in_descriptions_are_masked(client, make_request, fmt):
    service_request = make_request(description="Call me on (312) 555-0100 or bo@example.org")
    (entry,) = body(client.get(f"/open311/v2/requests/{service_request.id}.{fmt}"), fmt)
    assert entry["description"] == "Call me on [phone removed] or [email removed]"


def test_xml_stays_well_formed_with_control_characters_and_markup(client, make_request):
    import xml.etree.ElementTree as ET

    service_request = make_request(description="<b>&amp; \x01\x0b ]]> &#0; 'quote\"")
    response = client.get(f"/open311/v2/requests/{service_request.id}.xml")
    root = ET.fromstring(response.data)
    assert root.find("request/description").text == "<b>&amp;  ]]> &#0; 'quote\""
