"""Drop what no query reads: the Web Mercator copy of the exact location and the GiST indexes
of both Web Mercator columns.

Tiles read request_tile_points (filled from public_point_3857 by trigger, with its own index)
and the grid; every spatial filter reads location or public_point. Across the test suite and a
`make bench` run neither index was scanned once (pg_stat_user_indexes), while every write of a
location paid for them: a transform and two GiST insertions per report, and in every update
that is not HOT (a status change moves updated_at, which is indexed) two more index entries.

Revision ID: 2000
Revises: 1900
"""
from alembic import op

revision = "2000"
down_revision = "1900"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_service_requests_public_point_3857")
    op.execute("DROP INDEX IF EXISTS ix_service_requests_location_3857")
    op.execute("ALTER TABLE service_requests DROP COLUMN location_3857")


def downgrade() -> None:
    op.execute("ALTER TABLE service_requests ADD COLUMN location_3857 geometry(POINT, 3857) "
               "GENERATED ALWAYS AS (ST_Transform(location::geometry, 3857)) STORED")
    op.execute("CREATE INDEX ix_service_requests_location_3857 ON service_requests "
               "USING gist (location_3857)")
    op.execute("CREATE INDEX ix_service_requests_public_point_3857 ON service_requests "
               "USING gist (public_point_3857)")
