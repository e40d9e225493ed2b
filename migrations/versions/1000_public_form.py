"""The public form of requests, stored beside them; one satisfaction scale (1 to 3).

Adds the public_* columns that app.redaction.public_form computes (masked texts and attribute
answers, the published
point with its GiST indexes, address, zipcode, district, the strictest public_location so far,
whether the position is listed), the masked public_description of history rows, and
backfills them in batches with that same Python function (operations/public_form.py).
Full-text search and the low-zoom tile grid are rebuilt over the published values.

Survey ratings above 3, stored when demo data used a 1 to 5 scale, become 3 ("satisfied":
4 and 5 were the satisfied end of that scale); ratings below 1 become 1. A CHECK constraint
keeps the scale from then on.

Revision ID: 1000
Revises: 0801
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

revision = "1000"
down_revision = "0801"
branch_labels = None
depends_on = None

TILE_GRID = """
CREATE MATERIALIZED VIEW request_tile_grid AS
WITH public_points AS (
    SELECT sr.jurisdiction_id, s.service_code, sr.status, sr.public_point_3857 AS geom
    FROM service_requests sr
    JOIN services s ON s.id = sr.service_id
    WHERE sr.public_point_3857 IS NOT NULL
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
"""


def _tile_grid_indexes():
    op.execute("""
CREATE UNIQUE INDEX ux_request_tile_grid_cell ON request_tile_grid
    (zoom, cell_x, cell_y, jurisdiction_id, service_code, status)
""")
    op.execute("CREATE INDEX ix_request_tile_grid_geom ON request_tile_grid USING gist (geom)")


def upgrade():
    # Ratings first: the constraint is checked when it is created.
    op.execute("UPDATE surveys SET rating = 3 WHERE rating > 3")
    op.execute("UPDATE surveys SET rating = 1 WHERE rating < 1")
    op.create_check_constraint(op.f("ck_surveys_rating_scale"), "surveys",
                               "rating BETWEEN 1 AND 3")

    op.execute("DROP MATERIALIZED VIEW IF EXISTS request_tile_grid")
    op.drop_index("ix_service_requests_search", table_name="service_requests")
    op.drop_column("service_requests", "search_vector")
    with op.batch_alter_table("service_requests") as batch_op:
        batch_op.add_column(sa.Column("public_location", sa.String(length=8),
                                      server_default="exact", nullable=False))
        batch_op.add_column(sa.Column("public_description", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("public_status_notes", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("public_address", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("public_address_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("public_zipcode", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column(
            "public_point", Geometry(geometry_type="POINT", srid=4326, spatial_index=False),
            nullable=True))
        batch_op.add_column(sa.Column("public_district_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("public_listed", sa.Boolean(),
                                      server_default=sa.text("true"), nullable=False))
        batch_op.add_column(sa.Column("public_attributes", postgresql.JSONB(),
                                      server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.create_foreign_key(op.f("fk_service_requests_public_district_id_districts"),
                          "service_requests", "districts", ["public_district_id"], ["id"])
    op.add_column("request_updates", sa.Column("public_description", sa.Text(), nullable=True))

    # The backfill: the one Python function, over batches of rows.
    from app.operations.public_form import refresh_public_forms

    refresh_public_forms(Session(bind=op.get_bind()))

    # Generated columns and indexes after the backfill: each is built once, not updated per row.
    op.add_column("service_requests", sa.Column(
        "public_point_3857", Geometry(geometry_type="POINT", srid=3857, spatial_index=False),
        sa.Computed("ST_Transform(public_point, 3857)", persisted=True), nullable=True))
    op.add_column("service_requests", sa.Column(
        "search_vector", sa.dialects.postgresql.TSVECTOR(),
        sa.Computed("to_tsvector('english', coalesce(public_description, ''))",
                    persisted=True), nullable=False))
    op.create_index("ix_service_requests_search", "service_requests", ["search_vector"],
                    postgresql_using="gin")
    op.create_index("ix_service_requests_public_point", "service_requests", ["public_point"],
                    postgresql_using="gist")
    op.create_index("ix_service_requests_public_point_3857", "service_requests",
                    ["public_point_3857"], postgresql_using="gist")
    op.execute(TILE_GRID)
    _tile_grid_indexes()


def downgrade():
    op.execute("DROP MATERIALIZED VIEW IF EXISTS request_tile_grid")
    op.drop_index("ix_service_requests_search", table_name="service_requests")
    op.drop_column("service_requests", "search_vector")
    op.add_column("service_requests", sa.Column(
        "search_vector", sa.dialects.postgresql.TSVECTOR(),
        sa.Computed("to_tsvector('english', coalesce(description, ''))", persisted=True),
        nullable=False))
    op.create_index("ix_service_requests_search", "service_requests", ["search_vector"],
                    postgresql_using="gin")
    op.drop_column("request_updates", "public_description")
    op.drop_constraint(op.f("fk_service_requests_public_district_id_districts"),
                       "service_requests", type_="foreignkey")
    for column in ("public_point_3857", "public_point", "public_location", "public_description",
                   "public_status_notes", "public_address", "public_address_id",
                   "public_zipcode", "public_district_id", "public_listed",
                   "public_attributes"):
        op.drop_column("service_requests", column)
    op.drop_constraint(op.f("ck_surveys_rating_scale"), "surveys", type_="check")
    op.execute(TILE_GRID.replace("sr.public_point_3857 AS geom", """CASE
        WHEN s.public_location = 'block' THEN ST_Transform(ST_SetSRID(ST_MakePoint(
            (floor(ST_X(sr.location::geometry) / 0.001) + 0.5) * 0.001,
            (floor(ST_Y(sr.location::geometry) / 0.001) + 0.5) * 0.001), 4326), 3857)
        ELSE sr.location_3857 END AS geom""").replace(
        "WHERE sr.public_point_3857 IS NOT NULL",
        "WHERE s.public_location <> 'hidden' AND sr.location IS NOT NULL"))
    _tile_grid_indexes()
