"""Abuse limits: shared daily counters (per recipient, per client address, per voter), and the
hash of the body an Idempotency-Key was first sent with.

Revision ID: 1100
Revises: 0801
"""
import sqlalchemy as sa
from alembic import op

revision = "1100"
down_revision = "1400"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "usage_counters",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "subject", "day", name=op.f("pk_usage_counters")),
    )
    op.add_column("idempotency_keys", sa.Column("body_hash", sa.String(length=64),
                                                nullable=True))


def downgrade():
    op.drop_column("idempotency_keys", "body_hash")
    op.drop_table("usage_counters")
