"""Idempotency keys for staff POSTs too: a key belongs to an api key or to a staff user.

Revision ID: 0801
Revises: 0401
"""
import sqlalchemy as sa
from alembic import op

revision = "0801"
down_revision = "0401"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("idempotency_keys", sa.Column("staff_user_id", sa.Integer(), nullable=True))
    op.create_foreign_key(op.f("fk_idempotency_keys_staff_user_id_staff_users"),
                          "idempotency_keys", "staff_users", ["staff_user_id"], ["id"])
    op.create_unique_constraint(op.f("uq_idempotency_keys_staff_user_id"), "idempotency_keys",
                                ["staff_user_id", "key"])
    op.alter_column("idempotency_keys", "api_key_id", existing_type=sa.Integer(), nullable=True)
    op.create_check_constraint(op.f("ck_idempotency_keys_one_owner"), "idempotency_keys",
                               "num_nonnulls(api_key_id, staff_user_id) = 1")


def downgrade():
    op.execute("DELETE FROM idempotency_keys WHERE api_key_id IS NULL")
    op.drop_constraint(op.f("ck_idempotency_keys_one_owner"), "idempotency_keys", type_="check")
    op.alter_column("idempotency_keys", "api_key_id", existing_type=sa.Integer(), nullable=False)
    op.drop_constraint(op.f("uq_idempotency_keys_staff_user_id"), "idempotency_keys",
                       type_="unique")
    op.drop_constraint(op.f("fk_idempotency_keys_staff_user_id_staff_users"), "idempotency_keys",
                       type_="foreignkey")
    op.drop_column("idempotency_keys", "staff_user_id")
