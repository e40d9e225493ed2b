"""No public filter is an oracle: a filter value that matches only a request's true point (or
its true district, or its unmasked text) never returns a `hidden` or `block` request.

The routes are read from app.url_map and their query parameters from openapi.yaml: a new public
GET, or a new filter parameter on one, that this file does not classify makes it fail."""

from pathlib import Path
from urllib.parse import quote

import mapbox_vector_tile
import pytest
import yaml

from app.redaction import snap
from tests.maps_helpers import tile_of
from tests.places import add_district

OPENAPI = yaml.safe_load((Path(__file__).parents[2] / "openapi.yaml").read_text())
PUBLIC_BLUEPRINTS = ("open311", "public", "ogc", "tiles")

# True points: each more than a metre from the published one (block: its grid cell's centre).
HIDDEN_POINT = (42.06789, -87.67891)
BLOCK_POINT = (42.02401, -87.72401)  # near a cell corner: ~63 m from its centre
MARKERS = {"hidden": "ORACLEHIDDENMARKER", "block": "ORACLEBLOCKMARKER"}
SECRET = "oracle.secret@planted.example"

# Parameters that place or find a request by what the output hides, with the value that
# matches only the planted request's truth (filled in per policy by oracle_values).
LOCATING = {"bbox", "lat", "long", "radius", "district", "q", "filter", "z", "x", "y"}
# Parameters that cannot select by a hidden value: codes, statuses, dates, paging, formats.
NOT_LOCATING = {
    "jurisdiction_id", "service_code", "status", "department", "requested_after",
    "requested_before", "updated_after", "updated_before", "closed_after", "closed_before",
    "start_date", "end_date", "page", "page_size", "extensions", "fmt", "sort", "limit",
    "cursor", "export_format", "group_by", "offset", "datetime", "f", "filter-lang",
    "service_request_id", "feature_id", "collection_id", "token", "api_key",
}


# Parameters a path needs whatever is probed.
REQUIRED = {"/api/v1/public/stats": "group_by=district"}
# The city's address list is public reference data, not requests: its `q` finds addresses.
NOT_ABOUT_REQUESTS = {"/api/v1/public/addresses"}


def _box_around(lat: float, long: float, half: float = 0.00003) -> str:
    return f"{long - half},{lat - half},{long + half},{lat + half}"


def oracle_values(policy: str) -> dict[str, str]:
    """For each locating parameter, a value that matches the request only by its truth."""
    lat, long = HIDDEN_POINT if policy == "hidden" else BLOCK_POINT
    box = _box_around(lat, long)
    min_long, min_lat, max_long, max_lat = box.split(",")
    return {
        "bbox": box,
        "lat": str(lat), "long": str(long), "radius": "10",
        "district": f"D{policy.upper()}",
        "q": "oracle.secret",
        "filter": quote(f"S_INTERSECTS(geometry,POLYGON(({min_long} {min_lat},{max_long} "
                        f"{min_lat},{max_long} {max_lat},{min_long} {max_lat},"
                        f"{min_long} {min_lat})))"),
    }


def public_get_routes(app) -> list[str]:
    """Rules of the public blueprints that answer GET, as OpenAPI paths."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in PUBLIC_BLUEPRINTS and "GET" in rule.methods:
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<{argument}>", f"{{{argument}}}")
            for converter in ("fmt:", "int:", "any(csv, geojson, ndjson):"):
                path = path.replace(f"<{converter}", "{")
            routes.append(path.replace(">", "}"))
    return sorted(set(routes))


def parameters(path: str) -> list[str]:
    """The parameter names openapi.yaml documents for GET `path`."""
    operations = OPENAPI["paths"].get(path) or OPENAPI["paths"].get(path.rstrip("/")) or {}
    get = operations.get("get", {})
    return [p["name"] for p in get.get("parameters", []) + operations.get("parameters", [])]


@pytest.fixture
def planted(db_session, jurisdiction, services, make_request):
    """One hidden and one block request, each in its own district, with an email in its
    description; the districts only they are in."""
    planted = {}
    for policy, code, point in (("hidden", "NOISE", HIDDEN_POINT),
                                ("block", "GRAFFITI", BLOCK_POINT)):
        lat, long = point
        district = add_district(db_session, jurisdiction, f"D{policy.upper()}",
                                (long - 0.0002, lat - 0.0002, long + 0.0002, lat + 0.0002))
        planted[policy] = make_request(
            code, lat=lat, long=long, district_id=district.id,
            description=f"{MARKERS[policy]} write to {SECRET}")
    # The nearby check of a hidden service: give it a duplicates rule so it could answer.
    services["NOISE"].duplicate_radius_m = 50
    db_session.flush()
    return planted


def _requests_for(path: str, policy: str) -> list[str]:
    """The URLs probing `path` with each of its locating parameters (one at a time; lat,
    long and radius together)."""
    names = parameters(path)
    unknown = [n for n in names if n not in LOCATING | NOT_LOCATING]
    assert unknown == [], f"{path}: classify these parameters in this test: {unknown}"
    values = oracle_values(policy)
    concrete = (path.replace("{fmt}", "json").replace("{export_format}", "csv")
                .replace("{collection_id}", "requests"))
    if "{" in concrete or path in NOT_ABOUT_REQUESTS:  # one resource by id: nothing to probe
        return []
    urls = []
    code = "NOISE" if policy == "hidden" else "GRAFFITI"
    # A block request's district is published with it: filtering by it reveals nothing.
    skipped = {"long", "radius"} | ({"district"} if policy == "block" else set())
    for name in sorted(set(names) & LOCATING - skipped):
        if name == "lat":
            query = f"lat={values['lat']}&long={values['long']}"
            if "radius" in names:
                query += f"&radius={values['radius']}"
            if "service_code" in names:
                query += f"&service_code={code}"
        else:
            query = f"{name}={values[name]}"
        if path in REQUIRED:
            query += f"&{REQUIRED[path]}"
        urls.append(f"{concrete}?{query}")
    return urls


@pytest.mark.parametrize("policy", ["hidden", "block"])
def test_no_public_filter_finds_a_request_by_what_its_output_hides(app, client, planted,
                                                                    policy):
    probed = 0
    for path in public_get_routes(app):
        for url in _requests_for(path, policy):
            response = client.get(url)
            assert response.status_code == 200, (url, response.data[:300])
            assert MARKERS[policy].encode() not in response.data, url
            if path.endswith("/stats"):
                assert all(row["count"] == 0 for row in response.get_json()["rows"]), url
            probed += 1
    assert probed >= 15


def test_a_tile_around_the_true_point_of_a_block_request_does_not_show_it(client, planted):
    lat, long = BLOCK_POINT
    # At z22 a tile is ~10 m wide: this one holds the true point, not the cell's centre.
    assert (snap(lat), snap(long)) != (lat, long)
    z = 22
    x, y = tile_of(lat, long, z)
    tile = mapbox_vector_tile.decode(client.get(f"/tiles/requests/{z}/{x}/{y}.mvt").data)
    ids = [f["properties"].get("id") for f in tile.get("requests", {}).get("features", [])]
    assert planted["block"].id not in ids


def test_every_public_get_route_is_known_to_openapi(app):
    undocumented = [path for path in public_get_routes(app)
                    if path not in OPENAPI["paths"] and path.rstrip("/") not in OPENAPI["paths"]]
    assert undocumented == []
