"""GET /api/v1/public/requests and /requests/{id}: filters, paging, timeline, errors."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from geoalchemy2.elements import WKTElement

from app.models import District
from tests.factories import RequestUpdateFactory

URL = "/api/v1/public/requests"


def ids(client, query: str = "") -> list[int]:
    """The ids the list answers for a query string."""
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [int(r["service_request_id"]) for r in response.get_json()["requests"]]


def error_message(response) -> str:
    """The JSON API error message."""
    assert response.content_type.startswith("application/json")
    return response.get_json()["message"]


def test_list_is_newest_first(client, make_request):
    now = datetime.now(UTC)
    older = make_request(requested_at=now - timedelta(days=2))
    newer = make_request(requested_at=now - timedelta(days=1))
    assert ids(client) == [newer.id, older.id]


def test_service_code_filter(client, make_request):
    pothole = make_request("POTHOLE")
    make_request("TREE")
    assert ids(client, "service_code=POTHOLE") == [pothole.id]


def test_detailed_status_filter(client, make_request):
    working = make_request(detailed_status="in_progress")
    make_request(detailed_status="submitted")
    assert ids(client, "status=in_progress") == [working.id]


def test_open_closed_and_detailed_statuses_combine(client, make_request):
    closed = make_request(status="closed", detailed_status="resolved")
    held = make_request(detailed_status="on_hold")
    make_request(detailed_status="submitted")
    assert set(ids(client, "status=closed,on_hold")) == {closed.id, held.id}


def test_department_filter(client, make_request):
    tree = make_request("TREE")
    make_request("POTHOLE")
    assert ids(client, "department=PARKS") == [tree.id]


def test_district_filter(client, db_session, jurisdiction, make_request):
    ward = District(jurisdiction_id=jurisdiction.id, code="W1", name="Ward 1",
                    geom=WKTElement("MULTIPOLYGON(((-87.74 42.01,-87.70 42.01,-87.70 42.08,"
                                    "-87.74 42.08,-87.74 42.01)))", srid=4326))
    db_session.add(ward)
    db_session.flush()
    inside = make_request(district_id=ward.id)
    make_request()
    assert ids(client, "district=W1") == [inside.id]


def test_bbox_filter(client, make_request):
    inside = make_request(lat=42.03, long=-87.72)
    make_request(lat=42.07, long=-87.67)
    assert ids(client, "bbox=-87.73,42.02,-87.71,42.04") == [inside.id]


def test_radius_filter_in_metres(client, make_request):
    near = make_request(lat=42.0400, long=-87.7000)
    make_request(lat=42.0420, long=-87.7000)  # about 220 m north
    assert ids(client, "lat=42.04&long=-87.70&radius=150") == [near.id]


def test_hidden_locations_cannot_be_found_by_position(client, make_request):
    make_request("NOISE", lat=42.04, long=-87.70)
    assert ids(client, "lat=42.04&long=-87.70&radius=50") == []


def test_requested_range_is_half_open(client, make_request):
    start = datetime(2026, 3, 1, tzinfo=UTC)
    on_start = make_request(requested_at=start)
    make_request(requested_at=start + timedelta(days=1))
    query = "requested_after=2026-03-01T00:00:00Z&requested_before=2026-03-02T00:00:00Z"
    assert ids(client, query) == [on_start.id]


def test_closed_range_filter(client, make_request):
    closed = make_request(status="closed", detailed_status="resolved",
                          closed_at=datetime(2026, 3, 5, 12, tzinfo=UTC))
    make_request()
    assert ids(client, "closed_after=2026-03-05&closed_before=2026-03-06") == [closed.id]


def test_naive_dates_are_the_citys_local_time(client, make_request):
    # 23:30 in Chicago on March 4 is March 5 in UTC.
    late = make_request(requested_at=datetime(2026, 3, 5, 5, 30, tzinfo=UTC))
    assert ids(client, "requested_after=2026-03-04&requested_before=2026-03-05") == [late.id]


def test_full_text_search_matches_word_forms(client, make_request):
    flooded = make_request(description="The street floods after every storm")
    make_request(description="Graffiti on the bridge")
    assert ids(client, "q=flooding") == [flooded.id]


def test_full_text_search_accepts_web_search_syntax(client, make_request):
    make_request(description="deep pothole near school")
    other = make_request(description="deep pothole near the park")
    assert ids(client, "q=pothole -school") == [other.id]


def test_cursor_pages_through_every_request_once(client, make_request):
    now = datetime.now(UTC)
    made = [make_request(requested_at=now - timedelta(minutes=i % 3)) for i in range(7)]
    seen, url = [], f"{URL}?limit=3"
    while url:
        page = client.get(url.removeprefix("http://localhost")).get_json()
        seen.extend(int(r["service_request_id"]) for r in page["requests"])
        url = page["next"]
    assert sorted(seen) == sorted(r.id for r in made) and len(seen) == 7


def test_ascending_sort_by_updated(client, make_request):
    now = datetime.now(UTC)
    later = make_request(updated_at=now - timedelta(hours=1))
    earlier = make_request(updated_at=now - timedelta(hours=3))
    assert ids(client, "sort=updated_datetime") == [earlier.id, later.id]


def test_next_is_null_on_the_last_page(client, make_request):
    make_request()
    assert client.get(f"{URL}?limit=5").get_json()["next"] is None


def test_next_keeps_the_filters_and_replaces_the_cursor(client, make_request):
    for _ in range(3):
        make_request()
    first = client.get(f"{URL}?limit=1&status=open&sort=requested_datetime").get_json()
    second_url = first["next"]
    second = client.get(second_url.removeprefix("http://localhost")).get_json()
    query = parse_qs(urlsplit(second["next"]).query)
    assert (query["limit"], query["status"], query["sort"]) == (["1"], ["open"],
                                                               ["requested_datetime"])
    assert len(query["cursor"]) == 1
    assert query["cursor"] != parse_qs(urlsplit(second_url).query)["cursor"]


def test_next_link_is_also_a_link_header(client, make_request):
    make_request()
    make_request()
    response = client.get(f"{URL}?limit=1")
    assert response.headers["Link"] == f'<{response.get_json()["next"]}>; rel="next"'


@pytest.mark.parametrize(("query", "names"), [
    ("limit=1001", "limit"),
    ("limit=0", "limit"),
    ("bbox=1,2,3", "bbox"),
    ("bbox=10,50,5,40", "bbox"),
    ("lat=42.04&long=-87.7", "radius"),
    ("radius=-5&lat=42&long=-87", "radius"),
    ("status=lost", "status"),
    ("sort=vote_count", "sort"),
    ("requested_after=yesterday", "requested_after"),
    ("cursor=not-a-cursor", "cursor"),
])
def test_bad_parameters_are_400_naming_the_parameter(client, jurisdiction, query, names):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert names in error_message(response)


def test_empty_date_range_is_400(client, jurisdiction):
    response = client.get(f"{URL}?updated_after=2026-03-02&updated_before=2026-03-01")
    assert response.status_code == 400
    assert "updated_at" in error_message(response)


def test_cursor_of_another_sort_is_400(client, make_request):
    make_request()
    make_request()
    next_url = client.get(f"{URL}?limit=1").get_json()["next"]
    cursor = next_url.split("cursor=")[1]
    response = client.get(f"{URL}?limit=1&sort=updated_datetime&cursor={cursor}")
    assert response.status_code == 400
    assert "sort" in error_message(response)


def test_one_request_shows_its_public_timeline_only(client, db_session, make_request):
    service_request = make_request()
    RequestUpdateFactory._meta.sqlalchemy_session = db_session
    RequestUpdateFactory(service_request=service_request, kind="status",
                         from_status="submitted", to_status="in_progress",
                         description="Crew assigned", public=True)
    RequestUpdateFactory(service_request=service_request, description="internal remark",
                         public=False)
    document = client.get(f"{URL}/{service_request.id}").get_json()
    assert [e["description"] for e in document["timeline"]] == ["Crew assigned"]
    assert document["timeline"][0]["to_status"] == "in_progress"


def test_timeline_never_names_the_actor(client, db_session, make_request):
    service_request = make_request()
    RequestUpdateFactory._meta.sqlalchemy_session = db_session
    RequestUpdateFactory(service_request=service_request, actor="staff:agent@city.example",
                         description="Looked at it")
    assert "agent@city.example" not in client.get(f"{URL}/{service_request.id}").get_data(
        as_text=True)


def test_unknown_request_is_404(client, jurisdiction):
    response = client.get(f"{URL}/987654")
    assert response.status_code == 404
    assert "987654" in error_message(response)


def test_on_time_in_the_list_and_the_single_request_by_the_one_rule(client, make_request):
    start = datetime(2026, 2, 2, 15, tzinfo=UTC)
    early = make_request(requested_at=start, status="closed", detailed_status="resolved",
                         closed_at=start + timedelta(days=1), deadline=start + timedelta(days=5))
    late = make_request(requested_at=start, status="closed", detailed_status="resolved",
                        closed_at=start + timedelta(days=7), deadline=start + timedelta(days=5))
    overdue = make_request(deadline=datetime.now(UTC) - timedelta(days=1))
    not_due = make_request(deadline=datetime.now(UTC) + timedelta(days=3))
    expected = {str(early.id): True, str(late.id): False, str(overdue.id): False,
                str(not_due.id): None}
    listed = client.get(URL).get_json()["requests"]
    assert {r["service_request_id"]: r["on_time"] for r in listed} == expected
    for service_request_id, on_time in expected.items():
        assert client.get(f"{URL}/{service_request_id}").get_json()["on_time"] is on_time
