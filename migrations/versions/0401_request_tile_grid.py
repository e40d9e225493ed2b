"""The pre-aggregated grid that low-zoom vector tiles read.

Counts of public requests per grid cell, per service and status, for zooms 0 to 11: 64 cells per
tile side, aligned to the XYZ tiles so that no cell straddles two tiles. Refreshed by
`flask --app app tiles refresh` (concurrently: tiles keep being served meanwhile).

It applies the public_location rule of app/redaction.py in SQL (hidden: left out; block:
snapped to the 0.001 degree grid before counting); tests/db/test_tiles.py checks that both agree.

Revision ID: 0401
Revises: 0001
"""
from alembic import op

revision = "0401"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
CREATE MATERIALIZED VIEW request_tile_grid AS
WITH public_points AS (
    SELECT sr.jurisdiction_id, s.service_code, sr.status,
           CASE WHEN s.public_location = 'block'
                THEN ST_Transform(ST_SetSRID(ST_MakePoint(
                         (floor(ST_X(sr.location::geometry) / 0.001) + 0.5) * 0.001,
                         (floor(ST_Y(sr.location::geometry) / 0.001) + 0.5) * 0.001),
                         4326), 3857)
                ELSE sr.location_3857 END AS geom
    FROM service_requests sr
    JOIN services s ON s.id = sr.service_id
    WHERE s.public_location <> 'hidden' AND sr.location IS NOT NULL
),
zooms AS (
    SELECT z AS zoom, 2 * 20037508.342789244 / (2 ^ z) / 64 AS cell
    FROM generate_series(0, 11) AS z
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
""")
    # REFRESH ... CONCURRENTLY needs a unique index over every row.
    op.execute("""
CREATE UNIQUE INDEX ux_request_tile_grid_cell ON request_tile_grid
    (zoom, cell_x, cell_y, jurisdiction_id, service_code, status)
""")
    op.execute("CREATE INDEX ix_request_tile_grid_geom ON request_tile_grid USING gist (geom)")


def downgrade():
    op.execute("DROP MATERIALIZED VIEW IF EXISTS request_tile_grid")
