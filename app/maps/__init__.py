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

from app.maps import ogc, tiles  # noqa: E402,F401  (routes register on the blueprints)
