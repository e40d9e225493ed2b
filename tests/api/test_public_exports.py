"""Streamed exports: CSV, GeoJSON, NDJSON with the list's filters."""

import csv
import io
import json

from app.public import exports
from app.reads.requests import EXPORT_COLUMNS

URL = "/api/v1/public/requests"


def test_csv_has_a_header_row_then_one_row_per_request(client, make_request):
    made = {make_request().id, make_request().id}
    response = client.get(f"{URL}.csv")
    assert response.content_type == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == EXPORT_COLUMNS
    assert {int(r[0]) for r in rows[1:]} == made


def test_geojson_is_a_feature_collection_with_top_level_ids(client, make_request):
    pothole = make_request(lat=42.045, long=-87.701)
    document = json.loads(client.get(f"{URL}.geojson").data)
    assert document["type"] == "FeatureCollection"
    (feature,) = document["features"]
    assert feature["id"] == pothole.id
    assert feature["geometry"] == {"type": "Point", "coordinates": [-87.701, 42.045]}


def test_geojson_of_a_hidden_location_has_no_geometry(client, make_request):
    make_request("NOISE")
    (feature,) = json.loads(client.get(f"{URL}.geojson").data)["features"]
    assert feature["geometry"] is None


def test_empty_geojson_is_still_valid(client, jurisdiction):
    assert json.loads(client.get(f"{URL}.geojson").data)["features"] == []


def test_ndjson_is_one_object_per_line(client, make_request):
    made = [make_request(), make_request(), make_request()]
    lines = client.get(f"{URL}.ndjson").get_data(as_text=True).splitlines()
    assert sorted(json.loads(line)["service_request_id"] for line in lines) == sorted(
        r.id for r in made)


def test_exports_apply_the_list_filters(client, make_request):
    tree = make_request("TREE")
    make_request("POTHOLE")
    lines = client.get(f"{URL}.ndjson?department=PARKS").get_data(as_text=True).splitlines()
    assert [json.loads(line)["service_request_id"] for line in lines] == [tree.id]


def test_export_times_carry_the_citys_offset(client, make_request):
    make_request()
    (line,) = client.get(f"{URL}.ndjson").get_data(as_text=True).splitlines()
    assert json.loads(line)["requested_datetime"][-6:] in ("-06:00", "-05:00")


def test_export_arrives_in_partitions(client, make_request, monkeypatch):
    monkeypatch.setattr(exports, "YIELD_PER", 2)
    for _ in range(5):
        make_request()
    response = client.get(f"{URL}.ndjson")
    chunks = [chunk for chunk in response.response if chunk]
    assert len(chunks) == 3  # 2 + 2 + 1 rows
    response.close()


def test_bad_filter_is_400_before_streaming(client, jurisdiction):
    response = client.get(f"{URL}.csv?bbox=nope")
    assert response.status_code == 400
    assert response.get_json()["errors"]


def test_unknown_export_format_is_404(client, jurisdiction):
    assert client.get(f"{URL}.xlsx").status_code == 404


def test_export_is_not_modified_for_its_etag(client, make_request):
    make_request()
    etag = client.get(f"{URL}.csv").headers["ETag"]
    assert client.get(f"{URL}.csv", headers={"If-None-Match": etag}).status_code == 304


def test_export_etag_changes_when_a_request_changes(client, db_session, make_request):
    service_request = make_request()
    etag = client.get(f"{URL}.csv").headers["ETag"]
    service_request.updated_at = service_request.updated_at.replace(year=2027)
    db_session.flush()
    assert client.get(f"{URL}.csv", headers={"If-None-Match": etag}).status_code == 200
