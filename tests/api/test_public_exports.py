"""Streamed exports: CSV, GeoJSON, NDJSON with the list's filters."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from app.public import exports
from app.reads.projection import EXPORTS, PUBLIC_FIELDS
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
    assert feature["id"] == str(pothole.id)
    assert feature["properties"]["service_request_id"] == str(pothole.id)
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
        str(r.id) for r in made)


def test_exports_apply_the_list_filters(client, make_request):
    tree = make_request("TREE")
    make_request("POTHOLE")
    lines = client.get(f"{URL}.ndjson?department=PARKS").get_data(as_text=True).splitlines()
    assert [json.loads(line)["service_request_id"] for line in lines] == [str(tree.id)]


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


def csv_rows(client, query: str = "") -> list[dict[str, str]]:
    """The CSV export as dicts, keyed by its header row."""
    return list(csv.DictReader(io.StringIO(client.get(f"{URL}.csv{query}").get_data(
        as_text=True))))


def test_export_columns_are_the_projections_export_fields_in_its_order():
    declared = [f.name for f in PUBLIC_FIELDS if EXPORTS in f.outputs and f.name != "geometry"]
    assert declared == EXPORT_COLUMNS
    for name in ("department", "department_name", "sla_days", "sla_calendar", "on_time",
                 "requested_datetime_utc", "closed_datetime_utc"):
        assert name in EXPORT_COLUMNS


def test_exports_carry_the_department_and_the_services_sla(client, make_request):
    make_request("POTHOLE")
    (row,) = csv_rows(client)
    assert (row["department"], row["department_name"]) == ("PW", "Public Works")
    assert (row["sla_days"], row["sla_calendar"]) == ("5", "business")
    (line,) = client.get(f"{URL}.ndjson").get_data(as_text=True).splitlines()
    document = json.loads(line)
    assert (document["department_name"], document["sla_days"], document["sla_calendar"]) == (
        "Public Works", 5, "business")


def test_numeric_csv_columns_are_not_neutralised_as_formulas(client, make_request):
    made = make_request(lat=42.045, long=-87.701, vote_count=3)
    (row,) = csv_rows(client)
    assert (row["lat"], row["long"], row["vote_count"], row["sla_days"]) == (
        "42.045", "-87.701", "3", "5")
    assert row["service_request_id"] == str(made.id)


def test_on_time_by_the_one_rule_in_every_export(client, make_request):
    start = datetime(2026, 2, 2, 15, tzinfo=UTC)
    early = make_request(requested_at=start, status="closed", detailed_status="resolved",
                         closed_at=start + timedelta(days=1), deadline=start + timedelta(days=5))
    late = make_request(requested_at=start, status="closed", detailed_status="resolved",
                        closed_at=start + timedelta(days=7), deadline=start + timedelta(days=5))
    overdue = make_request(deadline=datetime.now(UTC) - timedelta(days=1))
    not_due = make_request(deadline=datetime.now(UTC) + timedelta(days=3))
    cancelled = make_request(requested_at=start, status="closed", detailed_status="cancelled",
                             closed_at=start + timedelta(days=1),
                             deadline=start + timedelta(days=5))
    expected = {early.id: True, late.id: False, overdue.id: False, not_due.id: None,
                cancelled.id: None}
    ndjson = [json.loads(line) for line in
              client.get(f"{URL}.ndjson").get_data(as_text=True).splitlines()]
    assert {int(d["service_request_id"]): d["on_time"] for d in ndjson} == expected
    features = json.loads(client.get(f"{URL}.geojson").data)["features"]
    assert {int(f["id"]): f["properties"]["on_time"] for f in features} == expected
    cells = {True: "true", False: "false", None: ""}
    assert {int(r["service_request_id"]): r["on_time"] for r in csv_rows(client)} == {
        key: cells[value] for key, value in expected.items()}


def test_times_in_the_citys_offset_and_in_utc(client, make_request):
    winter = datetime(2026, 1, 15, 18, tzinfo=UTC)
    summer = datetime(2026, 7, 15, 17, tzinfo=UTC)
    for requested_at in (winter, summer):
        make_request(requested_at=requested_at, updated_at=requested_at)
    rows = sorted(csv_rows(client), key=lambda row: row["requested_datetime_utc"])
    assert [(r["requested_datetime"], r["requested_datetime_utc"]) for r in rows] == [
        ("2026-01-15T12:00:00-06:00", "2026-01-15T18:00:00Z"),
        ("2026-07-15T12:00:00-05:00", "2026-07-15T17:00:00Z")]
    assert rows[0]["closed_datetime_utc"] == ""


def test_duplicate_of_is_a_string_in_json_exports(client, make_request):
    parent = make_request()
    make_request(duplicate_of_id=parent.id)
    lines = client.get(f"{URL}.ndjson").get_data(as_text=True).splitlines()
    assert {json.loads(line)["duplicate_of"] for line in lines} == {None, str(parent.id)}
