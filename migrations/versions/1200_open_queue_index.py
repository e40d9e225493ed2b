"""The staff queue of open requests: a partial index in the queue's own order.

Revision ID: 1200
Revises: 0801
"""
from alembic import op
from sqlalchemy import text

revision = "1200"
down_revision = "1100"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_service_requests_open_queue", "service_requests",
        ["jurisdiction_id", text("(escalated_at IS NULL)"), "deadline", "id"],
        postgresql_where=text("status = 'open'"),
    )


def downgrade():
    op.drop_index("ix_service_requests_open_queue", table_name="service_requests")
