"""Map layers for GIS staff: OGC API - Features at /ogc and vector tiles at /tiles."""

from app.blueprint import Blueprint

ogc_blp = Blueprint(
    "ogc", __name__, url_prefix="/ogc",
    description="OGC API - Features (Part 1 core/GeoJSON/OAS30, Part 3 CQL2 text filters)",
)
tiles_blp = Blueprint(
    "tiles", __name__, url_prefix="/tiles",
    description="Mapbox vector tiles of requests (XYZ) and their TileJSON",
)

from app.http_cache import map_response_headers  # noqa: E402
from app.maps import ogc, tiles  # noqa: E402,F401  (routes register on the blueprints)

# QGIS, GDAL and web maps (MapLibre) on any origin read the layers: CORS and HTTP caching.
ogc_blp.after_request(map_response_headers)
tiles_blp.after_request(map_response_headers)
