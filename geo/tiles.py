"""Mapbox vector tiles of requests: ST_TileEnvelope + ST_AsMVTGeom + ST_AsMVT.

Every SRID is an integer: a text SRID in ST_Transform measured about 10,000 times slower
(issue 5). High zooms read request_tile_points: the published point (public_point_3857,
generated from the stored public form: none for hidden requests) with only what a tile
carries, the local date already formatted, copied by triggers (migrations 1600 and 1800) into
a narrow table so that a dense tile reads a few pages instead of one wide row per point. They
carry every public point, with no feature cap that would silently drop the newest requests.
Low zooms read the pre-aggregated grid (the request_tile_grid materialized view, refreshed by
`tiles refresh`) instead of aggregating every point of the city on each request: up to z14,
where a downtown tile of a million-request city would otherwise carry over a hundred thousand
points. Every point counts in its cell; a tile's cells are placed by integer arithmetic on
the cell numbers (no geometry to clip: a cell centre is always inside its tile).
"""

from typing import Any

from sqlalchemy import text

from geo.sessions import DbSession

WEB_MERCATOR = 3857
WEB_MERCATOR_HALF_WORLD = 20037508.342789244
EXTENT = 4096  # tile units per side, the MVT default
BUFFER = 64  # tile units kept beyond the edge so symbols are not cut
GRID_MAX_ZOOM = 14  # up to here tiles come from the grid (migration 1600)
MAX_ZOOM = 22
LAYER = "requests"
# Grid cells per tile side (migration 1800): 32 px cells on a 512 px tile, the size of a map
# client's clusters; 64 put up to 33,000 features in a downtown z12 tile of the 1M city, and
# ST_AsMVT's time grows with them. cell_x counts from the west, cell_y from the south, so a
# tile's cells are one range of the (zoom, cell_x, cell_y, ...) index.
GRID_CELLS = 16
CELL_UNITS = EXTENT // GRID_CELLS

# Only the module's own constants are formatted into these statements; every value from a
# request is a bound parameter.
POINTS_TILE = text(f"""
WITH bounds AS (SELECT ST_TileEnvelope(:z, :x, :y) AS envelope),
public_points AS (
    SELECT p.id, s.service_code, p.status, p.requested, p.geom
    FROM request_tile_points p
    JOIN services s ON s.id = p.service_id
    CROSS JOIN bounds
    WHERE p.geom && ST_Expand(bounds.envelope, :margin)
),
features AS (
    SELECT id, service_code, status, requested,
           ST_AsMVTGeom(geom, bounds.envelope, {EXTENT}, {BUFFER}, true) AS geom
    FROM public_points CROSS JOIN bounds
)
SELECT ST_AsMVT(features.*, '{LAYER}', {EXTENT}, 'geom')
FROM features WHERE geom IS NOT NULL
""")  # noqa: S608

# A cell's centre in tile units: column and row within the tile (rows from the south, tile
# units from the top), CELL_UNITS each. ST_AsMVTGeom would compute the same from a geometry, at
# several times the cost per cell.
GRID_TILE = text(f"""
WITH features AS (
    SELECT service_code, status, request_count AS count,
           ST_MakePoint((cell_x - :cell_x) * {CELL_UNITS} + {CELL_UNITS // 2},
                        {EXTENT} - (cell_y - :cell_y) * {CELL_UNITS} - {CELL_UNITS // 2}) AS geom
    FROM request_tile_grid
    WHERE zoom = :z AND cell_x BETWEEN :cell_x AND :cell_x + {GRID_CELLS - 1}
          AND cell_y BETWEEN :cell_y AND :cell_y + {GRID_CELLS - 1}
)
SELECT ST_AsMVT(features.*, '{LAYER}', {EXTENT}, 'geom') FROM features
""")  # noqa: S608

BOUNDS = text("""
SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
FROM (SELECT ST_Extent(boundary) AS e FROM jurisdictions) AS extent
""")


def tile_in_range(z: int, x: int, y: int) -> bool:
    """Whether z/x/y names a tile of the XYZ scheme."""
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


def request_tile(session: DbSession, z: int, x: int, y: int) -> bytes:
    """The MVT bytes of one tile: grid cells with counts up to GRID_MAX_ZOOM, every public
    point (id, service_code, status, requested date) above."""
    if z <= GRID_MAX_ZOOM:
        return bytes(session.scalar(GRID_TILE, {
            "z": z, "cell_x": x * GRID_CELLS, "cell_y": (2**z - 1 - y) * GRID_CELLS}) or b"")
    tile_width = 2 * WEB_MERCATOR_HALF_WORLD / 2**z
    margin = tile_width * BUFFER / EXTENT
    return bytes(session.scalar(POINTS_TILE, {"z": z, "x": x, "y": y,
                                              "margin": margin}) or b"")


def refresh_grid(session: DbSession) -> None:
    """Recompute the low-zoom grid; readers keep the old one until it is done."""
    session.execute(text("REFRESH MATERIALIZED VIEW CONCURRENTLY request_tile_grid"))


def jurisdictions_bounds(session: DbSession) -> list[float] | None:
    """[west, south, east, north] of every jurisdiction's boundary, or None without one."""
    box: Any = session.execute(BOUNDS).one()
    return None if box[0] is None else [float(v) for v in box]
