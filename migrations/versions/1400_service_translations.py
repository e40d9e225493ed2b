"""Service names, descriptions and groups in other languages, from the catalog's
`translations:` key, for the public web pages.

Revision ID: 1400
Revises: 0801
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "1400"
down_revision = "1000"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("services", sa.Column("translations", postgresql.JSONB(astext_type=sa.Text()),
                                        server_default=sa.text("'{}'::jsonb"), nullable=False))


def downgrade():
    op.drop_column("services", "translations")
