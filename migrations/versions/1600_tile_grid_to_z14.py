"""Tiles at city scale: the pre-aggregated grid up to zoom 14 (was 11), and the narrow table of
published points that point tiles read.

On a million requests a downtown point tile at z12-z14 holds hundreds of thousands of points:
seconds to build, whatever the SQL. Cells of 64 per tile side up to z14 (about 38 m) keep those
tiles at a few thousand features: the points cluster on addresses, so the grid has ~60,000 rows
for z12-z14 on the 1M demo city (z0-z11: ~15,000). Points start at z15.

request_tile_points holds, per request with a published point, only what a point tile needs
(id, jurisdiction, service, status, requested_at, the point in 3857), kept by statement-level
triggers on service_requests (one INSERT ... SELECT per statement: a bulk load is not slowed row
by row). Reading the wide service_requests heap, a dense z15 tile of the 1M city touched 100,000
pages (one per point) and took seconds; the narrow table is ~1/15 of its size, filled in
spatial order, so the same tile reads about a thousand pages.

The grid: same definition as 1000's (the published point, public_point_3857), only more zooms; refreshed
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


TRIGGERS = {
    # event: (transition tables, statements)
    "insert": ("NEW TABLE AS new_rows", """
        INSERT INTO request_tile_points
        SELECT id, jurisdiction_id, service_id, status, requested_at, public_point_3857
        FROM new_rows WHERE public_point_3857 IS NOT NULL;"""),
    "update": ("OLD TABLE AS old_rows NEW TABLE AS new_rows", """
        DELETE FROM request_tile_points p USING old_rows o WHERE p.id = o.id;
        INSERT INTO request_tile_points
        SELECT id, jurisdiction_id, service_id, status, requested_at, public_point_3857
        FROM new_rows WHERE public_point_3857 IS NOT NULL;"""),
    "delete": ("OLD TABLE AS old_rows", """
        DELETE FROM request_tile_points p USING old_rows o WHERE p.id = o.id;"""),
}


def upgrade():
    _recreate(14)
    op.execute("""
CREATE TABLE request_tile_points (
    id integer PRIMARY KEY,
    jurisdiction_id varchar(100) NOT NULL,
    service_id integer NOT NULL,
    status varchar(16) NOT NULL,
    requested_at timestamptz NOT NULL,
    geom geometry(Point, 3857) NOT NULL
)""")
    # Spatial order: the points of one tile sit on neighbouring pages.
    op.execute("""
INSERT INTO request_tile_points
SELECT id, jurisdiction_id, service_id, status, requested_at, public_point_3857
FROM service_requests WHERE public_point_3857 IS NOT NULL
ORDER BY ST_GeoHash(ST_Transform(public_point_3857, 4326), 10)
""")
    op.execute("CREATE INDEX ix_request_tile_points_geom ON request_tile_points USING gist (geom)")
    op.execute("ANALYZE request_tile_points")
    for event, (tables, statements) in TRIGGERS.items():
        op.execute(f"""
CREATE FUNCTION request_tile_points_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {statements}
    RETURN NULL;
END $$""")
        op.execute(f"""
CREATE TRIGGER request_tile_points_{event} AFTER {event.upper()} ON service_requests
REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION request_tile_points_{event}()""")


def downgrade():
    for event in TRIGGERS:
        op.execute(f"DROP TRIGGER request_tile_points_{event} ON service_requests")
        op.execute(f"DROP FUNCTION request_tile_points_{event}()")
    op.execute("DROP TABLE request_tile_points")
    _recreate(11)
