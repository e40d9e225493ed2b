"""OGC API - Features at /ogc, as QGIS and ArcGIS read it, against PostGIS."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from app.redaction import EMAIL_MASK, public_lat_long
from tests.factories import ReporterFactory
from tests.statements import statements_of

ITEMS = "/ogc/collections/requests/items"
LAT, LONG = 42.0412, -87.7023


def rels(document: dict) -> dict[str, dict]:
    return {link["rel"]: link for link in document["links"]}


def local_path(href: str) -> str:
    parts = urlsplit(href)
    return f"{parts.path}?{parts.query}"


def test_landing_page_links_service_desc_as_openapi_30(client, jurisdiction):
    links = rels(client.get("/ogc").get_json())
    assert links["service-desc"]["href"] == "http://localhost/openapi.json"
    assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"


def test_landing_page_links_data_and_conformance(client, jurisdiction):
    links = rels(client.get("/ogc").get_json())
    assert links["data"]["href"] == "http://localhost/ogc/collections"
    assert links["conformance"]["href"] == "http://localhost/ogc/conformance"


def test_conformance_lists_core_geojson_oas30_and_cql2_text(client, jurisdiction):
    classes = client.get("/ogc/conformance").get_json()["conformsTo"]
    for suffix in ["ogcapi-features-1/1.0/conf/core", "ogcapi-features-1/1.0/conf/geojson",
                   "ogcapi-features-1/1.0/conf/oas30", "ogcapi-features-3/1.0/conf/filter",
                   "cql2/1.0/conf/cql2-text"]:
        assert f"http://www.opengis.net/spec/{suffix}" in classes


def test_collections_list_requests_and_districts_with_extents(client, jurisdiction):
    collections = client.get("/ogc/collections").get_json()["collections"]
    by_id = {c["id"]: c for c in collections}
    assert set(by_id) == {"requests", "districts"}
    assert by_id["requests"]["extent"]["spatial"]["bbox"] == [
        pytest.approx([-87.74, 42.01, -87.66, 42.08])]


def test_collection_links_items_as_geojson(client, jurisdiction):
    links = rels(client.get("/ogc/collections/requests").get_json())
    assert links["items"]["href"] == "http://localhost/ogc/collections/requests/items"
    assert links["items"]["type"] == "application/geo+json"


def test_unknown_collection_is_404_in_the_ogc_error_format(client, jurisdiction):
    response = client.get("/ogc/collections/potholes")
    assert response.status_code == 404
    assert set(response.get_json()) == {"code", "description"}


def test_items_of_unknown_collection_are_404_in_the_ogc_error_format(client, jurisdiction):
    response = client.get("/ogc/collections/potholes/items")
    assert response.status_code == 404
    assert set(response.get_json()) == {"code", "description"}


def test_items_are_geojson_with_the_id_at_the_top_level(client, make_request):
    service_request = make_request("POTHOLE", lat=LAT, long=LONG)
    response = client.get(ITEMS)
    assert response.content_type.startswith("application/geo+json")
    [feature] = response.get_json()["features"]
    assert feature["id"] == service_request.id
    assert feature["geometry"] == {"type": "Point", "coordinates": [LONG, LAT]}
    assert feature["properties"]["service_code"] == "POTHOLE"


def test_items_count_matched_and_returned(client, make_request):
    for _ in range(3):
        make_request("POTHOLE")
    document = client.get(f"{ITEMS}?limit=2").get_json()
    assert (document["numberMatched"], document["numberReturned"]) == (3, 2)
    assert document["timeStamp"].endswith("Z")


def test_number_matched_is_left_out_above_the_count_cap(client, make_request, monkeypatch):
    monkeypatch.setattr("app.maps.ogc.NUMBER_MATCHED_CAP", 2)
    for _ in range(3):
        make_request("POTHOLE")
    document = client.get(f"{ITEMS}?limit=1").get_json()
    assert "numberMatched" not in document


def test_next_link_is_given_beyond_the_count_cap(client, make_request, monkeypatch):
    monkeypatch.setattr("app.maps.ogc.NUMBER_MATCHED_CAP", 2)
    for _ in range(4):
        make_request("POTHOLE")
    document = client.get(f"{ITEMS}?limit=1&offset=2").get_json()
    assert "next" in rels(document)


def test_next_link_is_geojson_and_reaches_the_rest(client, make_request):
    made = {make_request("POTHOLE").id for _ in range(3)}
    first = client.get(f"{ITEMS}?limit=2").get_json()
    next_link = rels(first)["next"]
    assert next_link["type"] == "application/geo+json"
    second = client.get(local_path(next_link["href"])).get_json()
    assert {f["id"] for f in first["features"] + second["features"]} == made
    assert "next" not in rels(second)


def test_prev_link_goes_back_a_page(client, make_request):
    for _ in range(3):
        make_request("POTHOLE")
    second = client.get(f"{ITEMS}?limit=2&offset=2").get_json()
    assert parse_qs(urlsplit(rels(second)["prev"]["href"]).query)["offset"] == ["0"]


def test_items_filter_by_bbox(client, make_request):
    inside = make_request("POTHOLE", lat=42.02, long=-87.73)
    make_request("POTHOLE", lat=42.07, long=-87.67)
    document = client.get(f"{ITEMS}?bbox=-87.74,42.01,-87.72,42.03").get_json()
    assert [f["id"] for f in document["features"]] == [inside.id]


def test_bbox_matches_the_published_snapped_point_not_the_stored_one(client, make_request):
    make_request("GRAFFITI", lat=42.04101, long=-87.70101)
    snapped_lat, snapped_long = public_lat_long(42.04101, -87.70101, "block")
    around_stored = "-87.70102,42.04100,-87.70100,42.04102"
    around_published = (f"{snapped_long - 0.00001},{snapped_lat - 0.00001},"
                        f"{snapped_long + 0.00001},{snapped_lat + 0.00001}")
    assert client.get(f"{ITEMS}?bbox={around_stored}").get_json()["numberMatched"] == 0
    assert client.get(f"{ITEMS}?bbox={around_published}").get_json()["numberMatched"] == 1


def test_items_filter_by_datetime_interval_with_open_end(client, make_request):
    now = datetime.now(UTC)
    make_request("POTHOLE", requested_at=now - timedelta(days=10))
    recent = make_request("POTHOLE", requested_at=now - timedelta(days=1))
    since = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = client.get(f"{ITEMS}?datetime={since}/..").get_json()
    assert [f["id"] for f in document["features"]] == [recent.id]


def test_items_filter_by_service_code_and_status(client, make_request):
    wanted = make_request("POTHOLE", status="closed")
    make_request("POTHOLE")
    make_request("TREE", status="closed")
    document = client.get(f"{ITEMS}?service_code=POTHOLE&status=closed").get_json()
    assert [f["id"] for f in document["features"]] == [wanted.id]


def test_cql2_filter_selects_matching_requests(client, make_request):
    wanted = make_request("TREE", vote_count=5)
    make_request("TREE", vote_count=1)
    make_request("POTHOLE", vote_count=9)
    cql = quote("service_code IN ('TREE','GRAFFITI') AND vote_count >= 3")
    document = client.get(f"{ITEMS}?filter={cql}&filter-lang=cql2-text").get_json()
    assert [f["id"] for f in document["features"]] == [wanted.id]


def test_cql2_spatial_filter_uses_the_published_location(client, make_request):
    make_request("NOISE", lat=LAT, long=LONG)
    shown = make_request("POTHOLE", lat=LAT, long=LONG)
    cql = quote("S_INTERSECTS(geometry, BBOX(-87.71,42.03,-87.69,42.05))")
    document = client.get(f"{ITEMS}?filter={cql}").get_json()
    assert [f["id"] for f in document["features"]] == [shown.id]


def test_cql2_filter_cannot_probe_a_masked_email(client, make_request):
    make_request("POTHOLE", description="Call me at jane@example.org")
    cql = quote("description LIKE '%jane@example.org%'")
    assert client.get(f"{ITEMS}?filter={cql}").get_json()["numberMatched"] == 0


@pytest.mark.parametrize("cql", ["status = ", "status = 'open' AND", "((status"])
def test_bad_cql_is_400_in_the_ogc_error_format(client, jurisdiction, cql):
    response = client.get(f"{ITEMS}?filter={quote(cql)}")
    assert response.status_code == 400
    assert "CQL2" in response.get_json()["description"]


def test_cql_on_an_unknown_property_is_400_naming_it(client, jurisdiction):
    cql = quote("email = 'x@example.org'")
    response = client.get(f"{ITEMS}?filter={cql}")
    assert response.status_code == 400
    assert "'email'" in response.get_json()["description"]


@pytest.mark.parametrize("cql", ["status = 5", "vote_count LIKE '1%'",
                                 "S_INTERSECTS(status, POINT(1 2))",
                                 "S_WITHIN(geometry, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))"])
def test_cql_with_mismatched_types_is_400_not_500(client, jurisdiction, cql):
    assert client.get(f"{ITEMS}?filter={quote(cql)}").status_code == 400


def test_filter_lang_other_than_cql2_text_is_400(client, jurisdiction):
    response = client.get(f"{ITEMS}?filter=status%3D'open'&filter-lang=cql2-json")
    assert response.status_code == 400


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "-87,42,-88,43", "-87,43,-86,42",
                                  "0,-91,1,0", "nan,1,2,3"])
def test_bad_bbox_is_400_in_the_ogc_error_format(client, jurisdiction, bbox):
    response = client.get(f"{ITEMS}?bbox={bbox}")
    assert response.status_code == 400
    assert "bbox" in response.get_json()["description"]


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "../..",
                                   "2026-02-01T00:00:00Z/2026-01-01T00:00:00Z", "a/b/c"])
def test_bad_datetime_is_400(client, jurisdiction, value):
    response = client.get(f"{ITEMS}?datetime={quote(value)}")
    assert response.status_code == 400
    assert "datetime" in response.get_json()["description"]


@pytest.mark.parametrize("limit", ["0", "10001", "ten"])
def test_limit_outside_its_range_is_400(client, jurisdiction, limit):
    response = client.get(f"{ITEMS}?limit={limit}")
    assert response.status_code == 400
    assert "limit" in response.get_json()["description"]


def test_unknown_format_is_400(client, jurisdiction):
    assert client.get(f"{ITEMS}?f=html").status_code == 400


def test_hidden_requests_have_no_geometry(client, make_request):
    make_request("NOISE", lat=LAT, long=LONG)
    [feature] = client.get(ITEMS).get_json()["features"]
    assert feature["geometry"] is None


def test_block_requests_are_published_snapped(client, make_request):
    make_request("GRAFFITI", lat=LAT, long=LONG)
    [feature] = client.get(ITEMS).get_json()["features"]
    snapped_lat, snapped_long = public_lat_long(LAT, LONG, "block")
    assert feature["geometry"]["coordinates"] == pytest.approx([snapped_long, snapped_lat])


def test_items_carry_no_reporter_data_and_mask_emails(client, make_request, db_session):
    service_request = make_request("POTHOLE", description="Write to jane@example.org please")
    ReporterFactory._meta.sqlalchemy_session = db_session
    reporter = ReporterFactory(service_request=service_request)
    db_session.flush()
    text = client.get(ITEMS).get_data(as_text=True)
    for planted in [reporter.email, reporter.first_name, reporter.last_name, reporter.phone,
                    reporter.device_id, reporter.account_id, "jane@example.org"]:
        assert planted not in text
    assert EMAIL_MASK in text


def test_datetimes_are_rendered_with_the_jurisdiction_offset(client, make_request):
    make_request("POTHOLE", requested_at=datetime(2026, 1, 15, 18, 30, tzinfo=UTC))
    [feature] = client.get(ITEMS).get_json()["features"]
    assert feature["properties"]["requested_datetime"] == "2026-01-15T12:30:00-06:00"


def test_single_item_by_id(client, make_request):
    service_request = make_request("POTHOLE")
    response = client.get(f"{ITEMS}/{service_request.id}")
    assert response.content_type.startswith("application/geo+json")
    feature = response.get_json()
    assert (feature["type"], feature["id"]) == ("Feature", service_request.id)


@pytest.mark.parametrize("feature_id", ["999999999", "abc", "1" * 40])
def test_unknown_item_is_404_in_the_ogc_error_format(client, jurisdiction, feature_id):
    response = client.get(f"{ITEMS}/{feature_id}")
    assert response.status_code == 404
    assert set(response.get_json()) == {"code", "description"}


def test_queryables_are_a_json_schema_of_the_filterable_properties(client, jurisdiction):
    response = client.get("/ogc/collections/requests/queryables")
    assert response.content_type.startswith("application/schema+json")
    schema = response.get_json()
    assert schema["type"] == "object"
    assert schema["properties"]["requested_datetime"]["format"] == "date-time"
    assert "email" not in schema["properties"]


def test_district_items_are_features_with_code_and_name(client, db_session, jurisdiction):
    from geoalchemy2.elements import WKTElement

    from app.models import District

    district = District(
        jurisdiction_id=jurisdiction.id, code="W1", name="Ward 1",
        geom=WKTElement("MULTIPOLYGON(((-87.74 42.01,-87.70 42.01,-87.70 42.05,-87.74 42.01)))",
                        srid=4326),
    )
    db_session.add(district)
    db_session.flush()
    [feature] = client.get("/ogc/collections/districts/items").get_json()["features"]
    assert (feature["id"], feature["properties"]["code"]) == (district.id, "W1")
    assert feature["geometry"]["type"] == "MultiPolygon"


def test_openapi_documents_literal_items_paths_with_limit_bounds(client, jurisdiction):
    spec = client.get("/openapi.json").get_json()
    parameters = {p["name"]: p for p in spec["paths"][ITEMS]["get"]["parameters"]}
    assert parameters["limit"]["schema"]["default"] == 100
    assert parameters["limit"]["schema"]["maximum"] == 10000
    assert {"bbox", "datetime", "service_code", "status", "filter", "filter-lang"} <= set(
        parameters)
    assert "/ogc/collections/districts/items" in spec["paths"]


def test_a_page_with_its_count_and_links_is_one_statement(client, db_session, make_request):
    for _ in range(3):
        make_request("POTHOLE", lat=LAT, long=LONG)
    url = f"{ITEMS}?bbox=-87.71,42.03,-87.69,42.05&limit=2"
    assert len(statements_of(db_session, client, url)) == 1
    document = client.get(url).get_json()
    assert (document["numberMatched"], "next" in rels(document)) == (3, True)
