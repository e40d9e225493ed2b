"""Vector tiles at /tiles: decoded with mapbox-vector-tile, against PostGIS."""

from datetime import UTC, datetime

import pytest

from app.redaction import public_lat_long
from geo.tiles import GRID_CELLS, GRID_MAX_ZOOM, refresh_grid
from tests.maps_helpers import features, insert_points, tile_of, tile_units

LAT, LONG = 42.0412, -87.7023


def tile_url(lat: float, long: float, z: int) -> str:
    x, y = tile_of(lat, long, z)
    return f"/tiles/requests/{z}/{x}/{y}.mvt"


def test_high_zoom_tile_carries_request_points_with_short_attributes(client, make_request):
    service_request = make_request("POTHOLE", lat=LAT, long=LONG)
    response = client.get(tile_url(LAT, LONG, 15))
    assert response.status_code == 200
    assert response.content_type == "application/vnd.mapbox-vector-tile"
    [feature] = features(response.data)
    assert feature["properties"]["id"] == service_request.id
    assert feature["properties"]["service_code"] == "POTHOLE"
    assert feature["properties"]["status"] == "open"
    assert len(feature["properties"]["requested"]) == len("2026-01-31")


def test_tile_over_a_dense_area_holds_every_point(client, db_session, services):
    points = [(LAT + (i % 40) * 0.00002, LONG + (i // 40) * 0.00002) for i in range(2000)]
    insert_points(db_session, services["POTHOLE"], points)
    assert len(features(client.get(tile_url(LAT, LONG, 16)).data)) == 2000


def test_hidden_requests_are_left_out_of_tiles(client, make_request):
    make_request("NOISE", lat=LAT, long=LONG)
    assert features(client.get(tile_url(LAT, LONG, 15)).data) == []


def test_block_requests_are_drawn_at_their_snapped_point(client, make_request):
    make_request("GRAFFITI", lat=LAT, long=LONG)
    snapped_lat, snapped_long = public_lat_long(LAT, LONG, "block")
    [feature] = features(client.get(tile_url(snapped_lat, snapped_long, 18)).data)
    drawn = feature["geometry"]["coordinates"]
    snapped = tile_units(snapped_lat, snapped_long, 18)
    assert abs(drawn[0] - snapped[0]) <= 1 and abs(drawn[1] - snapped[1]) <= 1


def test_low_zoom_tile_counts_requests_per_cell_after_refresh(client, db_session, services):
    insert_points(db_session, services["POTHOLE"], [(LAT, LONG)] * 7)
    insert_points(db_session, services["POTHOLE"], [(LAT, LONG)] * 3, status="closed")
    refresh_grid(db_session)
    cells = features(client.get(tile_url(LAT, LONG, 10)).data)
    counts = {(c["properties"]["service_code"], c["properties"]["status"]):
              c["properties"]["count"] for c in cells}
    assert counts == {("POTHOLE", "open"): 7, ("POTHOLE", "closed"): 3}


def test_low_zoom_grid_leaves_hidden_requests_out(client, db_session, services):
    insert_points(db_session, services["NOISE"], [(LAT, LONG)] * 4)
    refresh_grid(db_session)
    assert features(client.get(tile_url(LAT, LONG, 8)).data) == []


def test_low_zoom_tiles_wait_for_the_refresh(client, db_session, services):
    refresh_grid(db_session)
    insert_points(db_session, services["POTHOLE"], [(LAT, LONG)] * 2)
    assert features(client.get(tile_url(LAT, LONG, 6)).data) == []


def test_tiles_refresh_command_fills_the_grid(app, client, db_session, services):
    insert_points(db_session, services["TREE"], [(LAT, LONG)] * 5)
    result = app.test_cli_runner().invoke(args=["tiles", "refresh"])
    assert result.exit_code == 0, result.output
    [cell] = features(client.get(tile_url(LAT, LONG, 4)).data)
    assert cell["properties"]["count"] == 5


def test_tiles_carry_cache_control_and_a_strong_etag(client, make_request):
    make_request("POTHOLE", lat=LAT, long=LONG)
    response = client.get(tile_url(LAT, LONG, 15))
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["ETag"].startswith('"')  # strong: no W/ prefix


def test_unchanged_tile_answers_304_to_its_etag(client, make_request):
    make_request("POTHOLE", lat=LAT, long=LONG)
    etag = client.get(tile_url(LAT, LONG, 15)).headers["ETag"]
    again = client.get(tile_url(LAT, LONG, 15), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""


def test_tile_etag_changes_when_a_request_is_added(client, make_request):
    make_request("POTHOLE", lat=LAT, long=LONG)
    etag = client.get(tile_url(LAT, LONG, 15)).headers["ETag"]
    make_request("POTHOLE", lat=LAT + 0.0001, long=LONG)
    assert client.get(tile_url(LAT, LONG, 15), headers={"If-None-Match": etag}).status_code == 200


def test_point_tile_is_rebuilt_on_each_request(client, db_session, make_request):
    # No tile cache in the process: a change shows at once (HTTP caches bound it by max-age).
    service_request = make_request("POTHOLE", lat=LAT, long=LONG)
    client.get(tile_url(LAT, LONG, 15))
    service_request.status = "closed"
    db_session.flush()
    [feature] = features(client.get(tile_url(LAT, LONG, 15)).data)
    assert feature["properties"]["status"] == "closed"


def test_z14_tiles_come_from_the_grid_and_z15_from_the_points(client, db_session, services):
    insert_points(db_session, services["POTHOLE"], [(LAT, LONG)] * 3)
    refresh_grid(db_session)
    [cell] = features(client.get(tile_url(LAT, LONG, 14)).data)
    assert cell["properties"]["count"] == 3
    points = features(client.get(tile_url(LAT, LONG, 15)).data)
    assert len(points) == 3 and all("count" not in point["properties"] for point in points)
    assert client.get(tile_url(LAT, LONG, 14)).headers["Cache-Control"] == "public, max-age=300"


@pytest.mark.parametrize("path", ["/tiles/requests/3/8/0.mvt", "/tiles/requests/3/0/8.mvt",
                                  "/tiles/requests/23/0/0.mvt"])
def test_tile_outside_the_grid_is_400(client, jurisdiction, path):
    response = client.get(path)
    assert response.status_code == 400
    assert response.get_json()["code"] == 400


@pytest.mark.parametrize("path", ["/tiles/requests/a/0/0.mvt", "/tiles/requests/1/-1/0.mvt",
                                  "/tiles/requests/1/0/0.png"])
def test_tile_path_that_is_not_z_x_y_is_404(client, jurisdiction, path):
    assert client.get(path).status_code == 404


def test_tilejson_gives_url_template_zooms_bounds_and_layer(client, jurisdiction):
    document = client.get("/tiles/requests.json").get_json()
    assert document["tilejson"] == "3.0.0"
    assert document["tiles"] == ["http://localhost/tiles/requests/{z}/{x}/{y}.mvt"]
    assert document["minzoom"] == 0 and document["maxzoom"] >= 14
    assert document["bounds"] == pytest.approx([-87.74, 42.01, -87.66, 42.08])
    assert [layer["id"] for layer in document["vector_layers"]] == ["requests"]


def test_deleted_and_hidden_requests_leave_the_point_tiles(client, db_session, make_request):
    # Point tiles read a copy kept by triggers: every write to the requests reaches it.
    kept = make_request("POTHOLE", lat=LAT, long=LONG)
    gone = make_request("POTHOLE", lat=LAT + 0.0001, long=LONG)
    db_session.delete(gone)
    db_session.flush()
    [feature] = features(client.get(tile_url(LAT, LONG, 15)).data)
    assert feature["properties"]["id"] == kept.id
    kept.public_point = None
    db_session.flush()
    assert features(client.get(tile_url(LAT, LONG, 15)).data) == []


def test_grid_counts_add_up_to_the_published_points_at_every_grid_zoom(
        client, db_session, services):
    # Points spread over a few hundred metres, so that higher zooms split them over tiles and
    # cells: whatever the zoom, every published point is counted once, hidden ones never.
    spread = [(LAT + (i % 9) * 0.0007, LONG + (i // 9) * 0.0009) for i in range(45)]
    insert_points(db_session, services["POTHOLE"], spread[:30])
    insert_points(db_session, services["TREE"], spread[30:], status="closed")
    insert_points(db_session, services["NOISE"], spread[:10])
    refresh_grid(db_session)
    for z in range(GRID_MAX_ZOOM + 1):
        tiles = {tile_of(lat, long, z) for lat, long in spread}
        cells = [cell for x, y in tiles
                 for cell in features(client.get(f"/tiles/requests/{z}/{x}/{y}.mvt").data)]
        assert sum(cell["properties"]["count"] for cell in cells) == 45, z
        assert {cell["properties"]["service_code"] for cell in cells} == {"POTHOLE", "TREE"}


def test_grid_cell_is_drawn_at_the_centre_of_its_cell(client, db_session, services):
    insert_points(db_session, services["POTHOLE"], [(LAT, LONG)])
    refresh_grid(db_session)
    cell_units = 4096 // GRID_CELLS
    for z in (4, 12, GRID_MAX_ZOOM):
        [cell] = features(client.get(tile_url(LAT, LONG, z)).data)
        x, y = tile_units(LAT, LONG, z)
        centre = [(x // cell_units) * cell_units + cell_units // 2,
                  (y // cell_units) * cell_units + cell_units // 2]
        assert cell["geometry"]["coordinates"] == centre, z


def test_grid_follows_a_closed_request_after_the_refresh(client, db_session, make_request):
    service_request = make_request("POTHOLE", lat=LAT, long=LONG)
    refresh_grid(db_session)
    service_request.status = "closed"
    db_session.flush()
    refresh_grid(db_session)
    [cell] = features(client.get(tile_url(LAT, LONG, 12)).data)
    assert (cell["properties"]["status"], cell["properties"]["count"]) == ("closed", 1)


def test_point_date_is_the_day_in_the_jurisdictions_time_zone(client, db_session, services):
    # 03:00 UTC on 31 January is still the evening of the 30th in Chicago.
    filed = datetime(2026, 1, 31, 3, 0, tzinfo=UTC)
    insert_points(db_session, services["POTHOLE"], [(LAT, LONG)], requested_at=filed)
    [point] = features(client.get(tile_url(LAT, LONG, 16)).data)
    assert point["properties"]["requested"] == "2026-01-30"


def test_point_date_survives_an_update_of_the_request(client, db_session, make_request):
    # The update trigger writes the point again: its date comes from the same rule.
    filed = datetime(2026, 1, 31, 3, 0, tzinfo=UTC)
    service_request = make_request("POTHOLE", lat=LAT, long=LONG, requested_at=filed)
    service_request.status = "closed"
    db_session.flush()
    [point] = features(client.get(tile_url(LAT, LONG, 16)).data)
    assert (point["properties"]["status"], point["properties"]["requested"]) == (
        "closed", "2026-01-30")
