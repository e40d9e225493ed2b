"""GDAL's OGC API - Features driver (ogr2ogr, Debian's gdal-bin; the driver family QGIS uses)
copies the whole demo layer from a live server in a handful of item requests, with the
command docs/map-layers.md gives."""

# ogr2ogr/ogrinfo from gdal-bin with fixed arguments and the test's own server URL.
# ruff: noqa: S603, S607
import json
import shutil
import subprocess

import pytest
import sqlalchemy as sa

from tests.demo_city import DemoCity, demo_city  # noqa: F401  (the fixture)
from tests.docs.test_examples import DOCS

pytestmark = pytest.mark.skipif(not shutil.which("ogr2ogr"),
                                reason="needs gdal-bin (make test installs it)")
ITEMS = "/ogc/collections/requests/items"


def stored_requests(city: DemoCity) -> int:
    engine = sa.create_engine(city.database_url)
    with engine.connect() as connection:
        count = connection.scalar(sa.text("SELECT count(*) FROM service_requests"))
    engine.dispose()
    return count


def test_the_documented_command_is_the_one_tested():
    assert "ogr2ogr -oo PAGE_SIZE=10000 -f GPKG" in (DOCS / "map-layers.md").read_text()


def test_ogr2ogr_copies_the_whole_layer_in_a_handful_of_requests(demo_city: DemoCity,  # noqa: F811
                                                                  tmp_path):
    before = demo_city.count(ITEMS)
    output = tmp_path / "requests.geojson"
    subprocess.run(["ogr2ogr", "-oo", "PAGE_SIZE=10000", "-f", "GeoJSON", str(output),
                    f"OAPIF:{demo_city.url}/ogc", "requests"],
                   check=True, capture_output=True, timeout=300)
    features = json.loads(output.read_text())["features"]
    assert len(features) == stored_requests(demo_city)
    assert len({feature["properties"]["service_request_id"] for feature in features}) == \
        len(features)
    assert demo_city.count(ITEMS) - before <= 3


def test_ogr2ogr_copies_the_districts(demo_city: DemoCity, tmp_path):  # noqa: F811
    output = tmp_path / "wards.geojson"
    subprocess.run(["ogr2ogr", "-oo", "PAGE_SIZE=10000", "-f", "GeoJSON", str(output),
                    f"OAPIF:{demo_city.url}/ogc", "districts"],
                   check=True, capture_output=True, timeout=300)
    assert len(json.loads(output.read_text())["features"]) == 8


def test_the_openapi_document_tells_clients_the_largest_page(demo_city: DemoCity):  # noqa: F811
    client = demo_city.app.test_client()
    document = client.get("/openapi.json").get_json()
    (limit,) = [p for p in document["paths"][ITEMS]["get"]["parameters"] if p["name"] == "limit"]
    assert limit["schema"]["default"] == 100 and limit["schema"]["maximum"] == 10000


def test_the_documented_downtown_tile_holds_demo_requests(demo_city: DemoCity):  # noqa: F811
    import mapbox_vector_tile

    assert "tiles/requests/14/4201/6079.mvt" in (DOCS / "map-layers.md").read_text()
    client = demo_city.app.test_client()
    tilejson = client.get("/tiles/requests.json").get_json()
    west, south, east, north = tilejson["bounds"]
    assert (west, south, east, north) == pytest.approx((-87.738, 42.015, -87.665, 42.076))
    assert tilejson["minzoom"] <= 14 <= tilejson["maxzoom"]
    tile = mapbox_vector_tile.decode(client.get("/tiles/requests/14/4201/6079.mvt").data)
    assert len(tile["requests"]["features"]) > 10
