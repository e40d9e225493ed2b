"""Vector tiles at /tiles: /tiles/requests/{z}/{x}/{y}.mvt (XYZ) and the TileJSON 3.0 document
that MapLibre and QGIS read."""

import hashlib

from flask import Response, request
from flask.views import MethodView

from app import formats
from app.exceptions import BadRequest
from app.extensions import db
from app.maps import tiles_blp
from app.web_addresses import public_base_url
from geo.tiles import (
    GRID_CELLS,
    GRID_MAX_ZOOM,
    LAYER,
    MAX_ZOOM,
    jurisdictions_bounds,
    request_tile,
)

MVT = "application/vnd.mapbox-vector-tile"
# Points change as requests come in; the grid only when `tiles refresh` runs.
POINT_TILE_MAX_AGE = 60
GRID_TILE_MAX_AGE = 300
TILEJSON_MAX_ZOOM = 16  # clients overzoom beyond: points are exact to ~2 m at z16


def base_url() -> str:
    """The public root of this server, for the tile URL template."""
    return public_base_url()


@tiles_blp.route("/requests/<int:z>/<int:x>/<int:y>.mvt")
class RequestTile(MethodView):
    """One vector tile of requests."""

    @tiles_blp.response(200, description="A Mapbox vector tile (layer 'requests')",
                        content_type=MVT)
    def get(self, z: int, x: int, y: int):
        """Grid cells with counts up to z14, every public request point above."""
        if z > MAX_ZOOM:
            raise BadRequest(f"z must be between 0 and {MAX_ZOOM}")
        if x >= 2**z or y >= 2**z:
            raise BadRequest(f"x and y must be between 0 and {2**z - 1} at zoom {z}")
        # Built on every request: no cache in the process (the server's speed is what is
        # measured and what a CDN in front relies on). The strong ETag is the content's hash,
        # so it is right whatever changed, deletions included; max-age bounds how long a
        # CDN or browser serves a tile before revalidating, and a 304 saves the transfer.
        body = request_tile(db.session, z, x, y)
        etag = hashlib.blake2b(body, digest_size=16).hexdigest()
        max_age = GRID_TILE_MAX_AGE if z <= GRID_MAX_ZOOM else POINT_TILE_MAX_AGE
        response = Response(body, content_type=MVT)
        response.set_etag(etag)
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
        return response.make_conditional(request)


@tiles_blp.route("/requests.json")
class RequestTileJSON(MethodView):
    """The TileJSON of the requests tiles."""

    @tiles_blp.response(200, description="TileJSON 3.0.0")
    def get(self):
        """Tile URL template, zooms, bounds of the jurisdictions, and the layer's fields."""
        bounds = jurisdictions_bounds(db.session) or [-180.0, -85.0511, 180.0, 85.0511]
        west, south, east, north = bounds
        document = {
            "tilejson": "3.0.0",
            "name": "Service requests",
            "description": "Public 311 requests: counts per grid cell (a tile side holds "
                           f"{GRID_CELLS} cells) up to zoom {GRID_MAX_ZOOM}, every request "
                           "above",
            "scheme": "xyz",
            "tiles": [f"{base_url()}/tiles/requests/{{z}}/{{x}}/{{y}}.mvt"],
            "minzoom": 0,
            "maxzoom": TILEJSON_MAX_ZOOM,
            "bounds": bounds,
            "center": [(west + east) / 2, (south + north) / 2, 12],
            "vector_layers": [{
                "id": LAYER,
                "description": f"Requests (zoom > {GRID_MAX_ZOOM}) or grid cells with counts "
                               f"(zoom <= {GRID_MAX_ZOOM})",
                "minzoom": 0,
                "maxzoom": TILEJSON_MAX_ZOOM,
                "fields": {
                    "id": "Number: service_request_id (points only)",
                    "service_code": "String: service type",
                    "status": "String: open or closed",
                    "requested": "String: date filed, YYYY-MM-DD (points only)",
                    "count": "Number: requests in the cell (grid only)",
                },
            }],
        }
        response = formats.json_response(document)
        response.headers["Cache-Control"] = f"public, max-age={GRID_TILE_MAX_AGE}"
        return response
