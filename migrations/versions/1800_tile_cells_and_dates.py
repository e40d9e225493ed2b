"""Tiles within 50 ms at city scale: a grid of 16 cells per tile side, drawn without
ST_AsMVTGeom, and each point's local date stored beside it.

Measured on the 1M demo city (bench case `tiles`, random z12-z16): the densest z12 grid tile
held 32,786 features (3,790 cells of 64 per side, times up to 22 services and statuses each),
60-80 ms of ST_AsMVT alone; z12 and z13 made the p95. With 16 cells per tile side (32 px cells
on a 512 px tile, the size of a map client's clusters) the same tile holds 3,923 features, and
every point is still counted in its cell. The cells' tile coordinates are integer arithmetic
on cell_x and cell_y (geo/tiles.py), so the view keeps no geometry; it is written in index
order so that a tile's cells sit on neighbouring pages, and it is built from
request_tile_points (the published points, narrow) instead of the wide requests table.

Points: formatting `requested` (to_char in the jurisdiction's time zone) was half the time of a
dense z15 tile (4,497 points: 17 ms, 9 ms without). request_tile_points now stores the local
date as text, computed by its triggers; requested_at, read by nothing else, is dropped. A
jurisdiction that changed its time zone would keep the old dates until the rows are written
again (a `demo load` or an UPDATE of them).

Revision ID: 1800
Revises: 1700
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "1800"
down_revision = "1700"
branch_labels = None
depends_on = None

GRID_CELLS = 16  # per tile side; geo.tiles.GRID_CELLS reads the same grid
GRID_MAX_ZOOM = 14

TILE_GRID = f"""
CREATE MATERIALIZED VIEW request_tile_grid AS
WITH zooms AS (
    SELECT z AS zoom, 2 * 20037508.342789244 / (2 ^ z) / {GRID_CELLS} AS cell
    FROM generate_series(0, {GRID_MAX_ZOOM}) AS z
),
cells AS (
    SELECT zooms.zoom, p.jurisdiction_id, s.service_code, p.status,
           floor((ST_X(p.geom) + 20037508.342789244) / zooms.cell)::integer AS cell_x,
           floor((ST_Y(p.geom) + 20037508.342789244) / zooms.cell)::integer AS cell_y
    FROM request_tile_points p
    JOIN services s ON s.id = p.service_id
    CROSS JOIN zooms
)
SELECT zoom, cell_x, cell_y, jurisdiction_id, service_code, status,
       count(*)::integer AS request_count
FROM cells
GROUP BY zoom, cell_x, cell_y, jurisdiction_id, service_code, status
ORDER BY zoom, cell_x, cell_y
WITH DATA
"""  # noqa: S608



def local_date(row: str) -> str:
    """The date a request was filed, where it was filed, as tiles show it (`row` has
    requested_at and the jurisdiction is `j`)."""
    return f"to_char(timezone(j.timezone, {row}.requested_at), 'YYYY-MM-DD')"


COPY_NEW_ROWS = f"""
        INSERT INTO request_tile_points (id, jurisdiction_id, service_id, status, requested, geom)
        SELECT n.id, n.jurisdiction_id, n.service_id, n.status, {local_date("n")},
               n.public_point_3857
        FROM new_rows n JOIN jurisdictions j ON j.id = n.jurisdiction_id
        WHERE n.public_point_3857 IS NOT NULL;"""  # noqa: S608 (constants only)
TRIGGER_STATEMENTS = {
    "insert": COPY_NEW_ROWS,
    "update": """
        DELETE FROM request_tile_points p USING old_rows o WHERE p.id = o.id;"""  # noqa: S608
              + COPY_NEW_ROWS,
}


def upgrade():
    # A new table rather than an UPDATE: within the migration's transaction the old row
    # versions could not be cleaned up, and the table would double in size.
    op.execute("""
CREATE TABLE request_tile_points_1800 (
    id integer NOT NULL,
    jurisdiction_id varchar(100) NOT NULL,
    service_id integer NOT NULL,
    status varchar(16) NOT NULL,
    requested text NOT NULL,
    geom geometry(Point, 3857) NOT NULL
)""")
    # Spatial order, as migration 1600 wrote it: the points of one tile sit on neighbouring pages.
    op.execute(f"""
INSERT INTO request_tile_points_1800
SELECT p.id, p.jurisdiction_id, p.service_id, p.status, {local_date("p")}, p.geom
FROM request_tile_points p JOIN jurisdictions j ON j.id = p.jurisdiction_id
ORDER BY ST_GeoHash(ST_Transform(p.geom, 4326), 10)
""")  # noqa: S608
    op.execute("DROP TABLE request_tile_points")
    op.execute("ALTER TABLE request_tile_points_1800 RENAME TO request_tile_points")
    op.execute("ALTER TABLE request_tile_points ADD PRIMARY KEY (id)")
    op.execute("CREATE INDEX ix_request_tile_points_geom ON request_tile_points USING gist (geom)")
    op.execute("ANALYZE request_tile_points")
    for event, body in TRIGGER_STATEMENTS.items():
        op.execute(f"""
CREATE OR REPLACE FUNCTION request_tile_points_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {body}
    RETURN NULL;
END $$""")

    op.execute("DROP MATERIALIZED VIEW request_tile_grid")
    op.execute(TILE_GRID)
    # REFRESH ... CONCURRENTLY needs a unique index over every row.
    op.execute("""
CREATE UNIQUE INDEX ux_request_tile_grid_cell ON request_tile_grid
    (zoom, cell_x, cell_y, jurisdiction_id, service_code, status)
""")
    op.execute("ANALYZE request_tile_grid")


def downgrade():
    # Back to 1600's state with 1600's own definitions, not a copy of them: its downgrade drops
    # the point copy, its triggers and the grid, its upgrade builds them again.
    path = Path(__file__).with_name("1600_tile_grid_to_z14.py")
    spec = importlib.util.spec_from_file_location("migration_1600", path)
    migration_1600 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration_1600)
    # This grid reads the point copy, which 1600's downgrade drops.
    op.execute("DROP MATERIALIZED VIEW request_tile_grid")
    migration_1600.downgrade()
    migration_1600.upgrade()
