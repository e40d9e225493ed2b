"""Vector tiles at /tiles: /tiles/requests/{z}/{x}/{y}.mvt (XYZ) and the TileJSON 3.0 document
that MapLibre and QGIS read."""

import hashlib
import threading
import time
from collections import OrderedDict

from flask import Response, current_app, request
from flask.views import MethodView

from app import formats
from app.exceptions import BadRequest
from app.extensions import db
from app.maps import tiles_blp
from app.web_addresses import public_base_url
from geo.tiles import (
    GRID_MAX_ZOOM,
    LAYER,
    MAX_ZOOM,
    data_stamp,
    jurisdictions_bounds,
    request_tile,
)

MVT = "application/vnd.mapbox-vector-tile"
# Points change as requests come in; the grid only when `tiles refresh` runs.
POINT_TILE_MAX_AGE = 60
GRID_TILE_MAX_AGE = 300
TILEJSON_MAX_ZOOM = 16  # clients overzoom beyond: points are exact to ~2 m at z16


class TileCache:
    """Built point tiles of this process, kept while the data stamp is unchanged.

    A dense point tile carries every request in it (no cap), and on a million requests a
    downtown tile holds over a hundred thousand points: seconds to build, however lean the
    SQL. Kept here, a tile is built once per change of the data and then served in a
    millisecond. Entries also expire after `max_age` seconds, which bounds what the stamp cannot
    see (a deleted request) to what HTTP caches may serve anyway; the least recently used go
    first beyond `max_bytes`."""

    def __init__(self, max_bytes: int, max_age: float) -> None:
        self.max_bytes, self.max_age = max_bytes, max_age
        self._tiles: OrderedDict[tuple[int, int, int], tuple[str, float, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int, int], stamp: str) -> bytes | None:
        """The tile built for this stamp, if still fresh."""
        with self._lock:
            entry = self._tiles.get(key)
            if entry is None or entry[0] != stamp or time.monotonic() - entry[1] > self.max_age:
                return None
            self._tiles.move_to_end(key)
            return entry[2]

    def put(self, key: tuple[int, int, int], stamp: str, body: bytes) -> None:
        """Keep a built tile, evicting the least recently used beyond the byte budget."""
        if len(body) > self.max_bytes:
            return
        with self._lock:
            old = self._tiles.pop(key, None)
            if old is not None:
                self._bytes -= len(old[2])
            self._tiles[key] = (stamp, time.monotonic(), body)
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                _, (_, _, evicted) = self._tiles.popitem(last=False)
                self._bytes -= len(evicted)


_caches: dict[int, TileCache] = {}


def tile_cache() -> TileCache | None:
    """This app's point tile cache (None when TILE_CACHE_BYTES is 0)."""
    max_bytes = current_app.config.get("TILE_CACHE_BYTES", 64 << 20)
    if not max_bytes:
        return None
    cache = _caches.get(id(current_app))
    if cache is None:
        cache = _caches.setdefault(id(current_app), TileCache(max_bytes, POINT_TILE_MAX_AGE))
    return cache


def point_tile(z: int, x: int, y: int) -> bytes:
    """A point tile from the cache when the data has not changed since it was built."""
    cache = tile_cache()
    if cache is None:
        return request_tile(db.session, z, x, y)
    stamp = data_stamp(db.session)
    body = cache.get((z, x, y), stamp)
    if body is None:
        body = request_tile(db.session, z, x, y)
        cache.put((z, x, y), stamp, body)
    return body


def base_url() -> str:
    """The public root of this server, for the tile URL template."""
    return public_base_url()


@tiles_blp.route("/requests/<int:z>/<int:x>/<int:y>.mvt")
class RequestTile(MethodView):
    """One vector tile of requests."""

    @tiles_blp.response(200, description="A Mapbox vector tile (layer 'requests')",
                        content_type=MVT)
    def get(self, z: int, x: int, y: int):
        """Grid cells with counts up to z11, every public request point above."""
        if z > MAX_ZOOM:
            raise BadRequest(f"z must be between 0 and {MAX_ZOOM}")
        if x >= 2**z or y >= 2**z:
            raise BadRequest(f"x and y must be between 0 and {2**z - 1} at zoom {z}")
        body = request_tile(db.session, z, x, y) if z <= GRID_MAX_ZOOM else point_tile(z, x, y)
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
            "description": "Public 311 requests: counts per grid cell up to zoom "
                           f"{GRID_MAX_ZOOM}, every request above",
            "scheme": "xyz",
            "tiles": [f"{base_url()}/tiles/requests/{{z}}/{{x}}/{{y}}.mvt"],
            "minzoom": 0,
            "maxzoom": TILEJSON_MAX_ZOOM,
            "bounds": bounds,
            "center": [(west + east) / 2, (south + north) / 2, 12],
            "vector_layers": [{
                "id": LAYER,
                "description": "Requests (zoom > 11) or grid cells with counts (zoom <= 11)",
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
