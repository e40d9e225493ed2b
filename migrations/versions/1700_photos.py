"""Photos in PostgreSQL: written with their report, served by every host and replica.

Revision ID: 1700
Revises: 1600
"""
import sqlalchemy as sa
from alembic import op

revision = "1700"
down_revision = "1600"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "photos",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("service_request_id", sa.BigInteger(), nullable=True),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["service_request_id"], ["service_requests.id"],
                                name=op.f("fk_photos_service_request_id_service_requests"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_photos")),
    )
    op.create_index(op.f("ix_photos_service_request_id"), "photos", ["service_request_id"])


def downgrade():
    op.drop_index(op.f("ix_photos_service_request_id"), table_name="photos")
    op.drop_table("photos")
