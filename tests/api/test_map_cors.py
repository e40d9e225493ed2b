"""The map layers answer web maps and GIS clients on any origin (CORS on GET, HEAD and the
OPTIONS preflight), as a MapLibre page on another site needs."""

import pytest

ORIGIN = {"Origin": "https://maps.example.org"}
PATHS = ["/ogc", "/ogc/collections", "/ogc/collections/requests/items?limit=1",
         "/ogc/collections/requests/queryables", "/tiles/requests.json",
         "/tiles/requests/14/4200/6086.mvt"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_map_layers_allow_any_origin(client, jurisdiction, path, method):
    response = client.open(path, method=method, headers=ORIGIN)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize("path", PATHS)
def test_map_layers_answer_the_cors_preflight_for_reads_only(client, jurisdiction, path):
    response = client.options(path, headers=ORIGIN | {"Access-Control-Request-Method": "GET"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    allowed = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert allowed == {"GET", "HEAD", "OPTIONS"}


def test_map_layer_errors_carry_cors_too(client, jurisdiction):
    response = client.get("/ogc/collections/requests/items?limit=0", headers=ORIGIN)
    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == "*"

