"""The pre-aggregated tile grid up to zoom 14 (was 11).

On a million requests a downtown point tile at z12-z14 holds hundreds of thousands of points:
seconds to build, whatever the SQL. Cells of 64 per tile side up to z14 (about 38 m) keep those
tiles at a few thousand features: the points cluster on addresses, so the grid has ~60,000 rows
for z12-z14 on the 1M demo city (z0-z11: ~15,000). Points start at z15.

Same definition as 1000's (the published point, public_point_3857), only more zooms; refreshed
by `tiles refresh` and after `demo load`.

Revision ID: 1600
Revises: 1200
"""
from alembic import op

revision = "1600"
down_revision = "1200"
branch_labels = None
depends_on = None


def tile_grid(max_zoom: int) -> str:
    # max_zoom is one of this module's constants, never input.
    return f"""
CREATE MATERIALIZED VIEW request_tile_grid AS
WITH public_points AS (
    SELECT sr.jurisdiction_id, s.service_code, sr.status, sr.public_point_3857 AS geom
    FROM service_requests sr
    JOIN services s ON s.id = sr.service_id
    WHERE sr.public_point_3857 IS NOT NULL
),
zooms AS (
    SELECT z AS zoom, 2 * 20037508.342789244 / (2 ^ z) / 64 AS cell
    FROM generate_series(0, {max_zoom}) AS z
),
cells AS (
    SELECT zooms.zoom, zooms.cell, p.jurisdiction_id, p.service_code, p.status,
           floor((ST_X(p.geom) + 20037508.342789244) / zooms.cell)::integer AS cell_x,
           floor((ST_Y(p.geom) + 20037508.342789244) / zooms.cell)::integer AS cell_y
    FROM public_points p CROSS JOIN zooms
)
SELECT zoom, jurisdiction_id, service_code, status, cell_x, cell_y,
       count(*)::integer AS request_count,
       ST_SetSRID(ST_MakePoint(-20037508.342789244 + (cell_x + 0.5) * cell,
                               -20037508.342789244 + (cell_y + 0.5) * cell), 3857) AS geom
FROM cells
GROUP BY zoom, cell, jurisdiction_id, service_code, status, cell_x, cell_y
WITH DATA
"""  # noqa: S608


def _recreate(max_zoom: int) -> None:
    op.execute("DROP MATERIALIZED VIEW IF EXISTS request_tile_grid")
    op.execute(tile_grid(max_zoom))
    # REFRESH ... CONCURRENTLY needs a unique index over every row.
    op.execute("""
CREATE UNIQUE INDEX ux_request_tile_grid_cell ON request_tile_grid
    (zoom, cell_x, cell_y, jurisdiction_id, service_code, status)
""")
    op.execute("CREATE INDEX ix_request_tile_grid_geom ON request_tile_grid USING gist (geom)")


def upgrade():
    _recreate(14)


def downgrade():
    _recreate(11)
