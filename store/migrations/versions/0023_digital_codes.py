"""digital_codes: which of a code product's codes are taken, and by which order line (one code per unit sold)

Revision ID: 0023_digital_codes
Revises: 0022_audit_target_index
Create Date: 2026-12-05 23:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_digital_codes"
down_revision: str | None = "0022_audit_target_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digital_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=1000), nullable=False),
        sa.Column("order_item_id", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_item_id"],
            ["order_items.id"],
            name=op.f("fk_digital_codes_order_item_id_order_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_digital_codes_product_id_products"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digital_codes")),
        sa.UniqueConstraint("product_id", "code", name=op.f("uq_digital_codes_product_id")),
    )
    op.create_index(op.f("ix_digital_codes_order_item_id"), "digital_codes", ["order_item_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_digital_codes_order_item_id"), table_name="digital_codes")
    op.drop_table("digital_codes")
