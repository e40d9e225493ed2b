from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import MAX_LAT, ReporterFactory, RequestUpdateFactory, moved
from tests.open311_client import body, error_codes, scalar
from tests.places import add_district
from tests.statements import statements_of

FORMATS = ["json", "xml"]
LAT, LONG = 42.04, -87.70
CORE_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code",
               "description", "agency_responsible", "service_notice", "requested_datetime",
               "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
               "lat", "long", "media_url"}


def ids(response, fmt):
    assert response.status_code == 200, response.data
    return [r["service_request_id"] for r in body(response, fmt)]


def nested(value, child, fmt):
    """A list nested in an item: bare in JSON, wrapper/child elements in XML."""
    if fmt == "json":
        return value
    return (value or {}).get(child, [])


def w3c_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("fmt", FORMATS)
def test_radius_returns_requests_within_it_nearest_first(client, make_request, fmt):
    far = make_request("POTHOLE", lat=moved(LAT, LONG, north_m=150)[0], long=LONG)
    near = make_request("GRAFFITI", lat=moved(LAT, LONG, east_m=40)[0], long=LONG)
    make_request("POTHOLE", lat=moved(LAT, LONG, north_m=260)[0], long=LONG)
    response = client.get(f"/open311/v2/requests.{fmt}?lat={LAT}&long={LONG}&radius=200")
    assert ids(response, fmt) == [str(near.id), str(far.id)]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("query", [
    "lat=42.04&long=-87.7&radius=abc", "lat=42.04&long=-87.7&radius=10001",
    "lat=42.04&long=-87.7&radius=0", "lat=91&long=-87.7&radius=100",
    "lat=42.04&long=-87.7&radius=nan", "lat=42.04&radius=100", "lat=42.04&long=-87.7",
    "radius=100",
])
def test_bad_or_partial_radius_is_400(client, jurisdiction, fmt, query):
    response = client.get(f"/open311/v2/requests.{fmt}?{query}")
    assert response.status_code == 400
    assert error_codes(response, fmt) == [400]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("separator", [",", ";"])
def test_bbox_returns_requests_inside_it(client, make_request, fmt, separator):
    inside = make_request("POTHOLE", lat=42.045, long=-87.695)
    make_request("POTHOLE", lat=42.07, long=-87.695)
    bbox = separator.join(["-87.70", "42.04", "-87.69", "42.05"])
    assert ids(client.get(f"/open311/v2/requests.{fmt}?bbox={bbox}"), fmt) == [str(inside.id)]


def test_bbox_edges_are_the_lon_lat_rectangle_not_a_loose_box(client, make_request):
    # 0.3 m north of the top edge: inside the geocentric box of the envelope, outside the box.
    make_request("POTHOLE", lat=moved(42.05, -87.695, north_m=0.3)[0], long=-87.695)
    on_edge = make_request("POTHOLE", lat=42.05, long=-87.695)
    response = client.get("/open311/v2/requests.json?bbox=-87.74,42.02,-87.65,42.05")
    assert ids(response, "json") == [str(on_edge.id)]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("bbox", ["-87.7,42.04,-87.69", "-87.69,42.04,-87.7,42.05",
                                  "a,b,c,d", "-87.7,42.04,-87.69,95", "-87.7,42.04,-87.69,inf"])
def test_bad_bbox_is_400(client, jurisdiction, fmt, bbox):
    response = client.get(f"/open311/v2/requests.{fmt}?bbox={bbox}")
    assert response.status_code == 400
    assert "bbox" in body(response, fmt)[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_updated_after_is_strict(client, make_request, fmt):
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    make_request("POTHOLE", updated_at=moment)
    later = make_request("POTHOLE", updated_at=moment + timedelta(seconds=1))
    response = client.get(f"/open311/v2/requests.{fmt}?updated_after={w3c_utc(moment)}")
    assert ids(response, fmt) == [str(later.id)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_updated_before_is_strict(client, make_request, fmt):
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    make_request("POTHOLE", updated_at=moment)
    earlier = make_request("POTHOLE", updated_at=moment - timedelta(seconds=1))
    response = client.get(f"/open311/v2/requests.{fmt}?updated_before={w3c_utc(moment)}")
    assert ids(response, fmt) == [str(earlier.id)]


def test_updated_after_finds_old_requests_updated_recently(client, make_request):
    old = make_request("POTHOLE", requested_at=datetime.now(UTC) - timedelta(days=200),
                       updated_at=datetime.now(UTC))
    since = w3c_utc(datetime.now(UTC) - timedelta(days=1))
    assert ids(client.get(f"/open311/v2/requests.json?updated_after={since}"), "json") == [
        str(old.id)]


def test_updated_before_earlier_than_updated_after_is_400(client, jurisdiction):
    response = client.get("/open311/v2/requests.json?updated_after=2026-01-02T00:00:00Z"
                          "&updated_before=2026-01-01T00:00:00Z")
    assert response.status_code == 400


@pytest.mark.parametrize("fmt", FORMATS)
def test_pages_split_the_newest_first_list(client, make_request, fmt):
    now = datetime.now(UTC)
    made = [make_request("POTHOLE", requested_at=now - timedelta(minutes=m)) for m in range(5)]
    pages = [ids(client.get(f"/open311/v2/requests.{fmt}?page_size=2&page={p}"), fmt)
             for p in (1, 2, 3)]
    assert pages == [[str(r.id) for r in made[0:2]], [str(r.id) for r in made[2:4]],
                     [str(made[4].id)]]


def test_page_zero_is_the_first_page(client, make_request):
    for _ in range(3):
        make_request("POTHOLE")
    assert client.get("/open311/v2/requests.json?page=0&page_size=2").data == client.get(
        "/open311/v2/requests.json?page=1&page_size=2").data


@pytest.mark.parametrize("query", ["page_size=1001", "page_size=0", "page=-1", "page=x",
                                   "page=100000000000000000000"])
def test_bad_paging_is_400(client, jurisdiction, query):
    assert client.get(f"/open311/v2/requests.json?{query}").status_code == 400


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("flag", ["", "&extensions=false"])
def test_without_extensions_a_request_has_exactly_the_core_fields(client, make_request, fmt,
                                                                 flag):
    make_request("POTHOLE", attributes={"SIZE": "L"})
    (entry,) = body(client.get(f"/open311/v2/requests.{fmt}?status=open{flag}"), fmt)
    assert set(entry) == CORE_FIELDS


@pytest.fixture
def extended_case(db_session, jurisdiction, make_request):
    """A parent with one duplicate, answers, photos, votes, a district and notes."""
    ward = add_district(db_session, jurisdiction, "W3", (-87.72, 42.03, -87.68, 42.05))
    parent = make_request("POTHOLE", attributes={"SIZE": "L", "DEPTH": 12}, channel="android",
                          detailed_status="in_progress", vote_count=4, district_id=ward.id,
                          media_urls=["https://img.example/1.jpg", "https://img.example/2.jpg"])
    make_request("POTHOLE", duplicate_of_id=parent.id,
                 requested_at=datetime.now(UTC) - timedelta(days=100))
    ReporterFactory._meta.sqlalchemy_session = db_session
    RequestUpdateFactory._meta.sqlalchemy_session = db_session
    ReporterFactory(service_request=parent)
    RequestUpdateFactory(service_request=parent, kind="submitted", description="Submitted",
                         created_at=datetime.now(UTC) - timedelta(minutes=5))
    RequestUpdateFactory(service_request=parent, kind="note",
                         description="Crew called jane@example.org on 312-555-0100")
    RequestUpdateFactory(service_request=parent, kind="note", description="internal",
                         public=False)
    return parent


def extended_entry(client, fmt, parent, path="requests"):
    url = (f"/open311/v2/requests/{parent.id}.{fmt}?extensions=true" if path == "single"
           else f"/open311/v2/requests.{fmt}?extensions=true&service_request_id={parent.id}")
    (entry,) = body(client.get(url), fmt)
    return entry


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", ["requests", "single"])
def test_extensions_add_the_answers_with_their_labels(client, extended_case, fmt, path):
    entry = extended_entry(client, fmt, extended_case, path)
    assert set(entry) == CORE_FIELDS | {"attributes", "notes", "extended_attributes"}
    answers = nested(entry["attributes"], "attribute", fmt)
    if fmt == "xml":  # the test reader lists every <value> (service definitions nest them)
        answers = [a | {"value": a["value"][0]} for a in answers]
    assert answers == [
        {"code": "SIZE", "label": "How large is it?", "value": "L", "name": "Large"},
        {"code": "DEPTH", "label": "Depth in centimetres", "value": scalar(12, fmt),
         "name": "12"},
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_extensions_add_the_public_notes_masked(client, extended_case, fmt):
    notes = nested(extended_entry(client, fmt, extended_case)["notes"], "note", fmt)
    assert [(n["type"], n["description"]) for n in notes] == [
        ("submitted", "Submitted"),
        ("note", "Crew called [email removed] on [phone removed]"),
    ]
    assert all(n["datetime"].endswith(("-05:00", "-06:00")) for n in notes)


@pytest.mark.parametrize("fmt", FORMATS)
def test_extensions_add_extended_attributes(client, extended_case, fmt):
    extended = extended_entry(client, fmt, extended_case)["extended_attributes"]
    photos = nested(extended.pop("photos"), "photo", fmt)
    assert photos == [{"media_url": "https://img.example/1.jpg"},
                      {"media_url": "https://img.example/2.jpg"}]
    assert extended == {"channel": "android", "detailed_status": "in_progress",
                        "duplicate_of": None, "duplicates": scalar(1, fmt),
                        "votes": scalar(4, fmt), "district": "W3"}


def test_extensions_never_carry_the_reporter(client, extended_case):
    response = client.get(f"/open311/v2/requests.json?extensions=true"
                          f"&service_request_id={extended_case.id}")
    assert b"Jane" not in response.data and b"device-" not in response.data
    assert b"jane" not in response.data.lower()


def test_extensions_name_the_parent_of_a_duplicate(client, make_request):
    parent = make_request("POTHOLE")
    duplicate = make_request("POTHOLE", duplicate_of_id=parent.id)
    entry = extended_entry(client, "json", duplicate)
    assert entry["extended_attributes"]["duplicate_of"] == str(parent.id)


def test_extensions_hide_the_district_of_a_hidden_location(client, db_session, jurisdiction,
                                                           make_request):
    ward = add_district(db_session, jurisdiction, "W1", (-87.74, 42.01, -87.66, 42.08))
    noise = make_request("NOISE", district_id=ward.id)
    assert extended_entry(client, "json", noise)["extended_attributes"]["district"] is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_district_filter_keeps_requests_of_those_districts(client, db_session, jurisdiction,
                                                           make_request, fmt):
    west = add_district(db_session, jurisdiction, "W", (-87.74, 42.01, -87.70, 42.08))
    east = add_district(db_session, jurisdiction, "E", (-87.70, 42.01, -87.66, 42.08))
    in_west = make_request("POTHOLE", district_id=west.id)
    make_request("POTHOLE", district_id=east.id)
    make_request("POTHOLE")
    assert ids(client.get(f"/open311/v2/requests.{fmt}?district=W"), fmt) == [str(in_west.id)]


def test_extended_list_takes_as_many_queries_for_twenty_requests_as_for_two(
        client, db_session, make_request):
    url = "/open311/v2/requests.json?extensions=true"
    RequestUpdateFactory._meta.sqlalchemy_session = db_session
    for _ in range(2):
        RequestUpdateFactory(service_request=make_request("POTHOLE", attributes={"SIZE": "S"}))
    client.get(url)  # the process caches (the city) are filled by the first call
    few = len(statements_of(db_session, client, url))
    for _ in range(18):
        parent = make_request("GRAFFITI", attributes={"SURFACE": ["WALL"]})
        RequestUpdateFactory(service_request=parent)
        make_request("GRAFFITI", duplicate_of_id=parent.id)
    assert len(statements_of(db_session, client, url)) == few


def test_radius_and_bbox_combine(client, make_request):
    make_request("POTHOLE", lat=LAT, long=LONG)
    inside_both = make_request("POTHOLE", lat=moved(LAT, LONG, north_m=50)[0], long=LONG)
    response = client.get(f"/open311/v2/requests.json?lat={LAT}&long={LONG}&radius=100"
                          f"&bbox=-87.71,{LAT + 0.0002},-87.69,{MAX_LAT}")
    assert ids(response, "json") == [str(inside_both.id)]


def test_radius_pages_through_requests_at_one_point_in_id_order(client, make_request):
    # A busy address point: equal distances, so the page order falls back on the id.
    same_place = [make_request("POTHOLE", lat=42.0433, long=-87.7011) for _ in range(5)]
    seen = []
    for page in (1, 2, 3):
        response = client.get("/open311/v2/requests.json?lat=42.0433&long=-87.7011&radius=50"
                              f"&page_size=2&page={page}")
        seen += [r["service_request_id"] for r in response.get_json()]
    assert seen == [str(r.id) for r in sorted(same_place, key=lambda r: -r.id)]
