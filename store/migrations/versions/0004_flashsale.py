"""flashsale: flash sales and the units claimed in them

Revision ID: 0004_flashsale
Revises: 0003_groupbuy
Create Date: 2026-11-25 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_flashsale"
down_revision: str | None = "0003_groupbuy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flash_sales",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.Column("paid", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.BigInteger(), nullable=False),
        sa.Column("returned", sa.Integer(), nullable=False),
        sa.Column("per_user_limit", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.Column("groups", sa.JSON(), nullable=True),
        sa.Column("released", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("sold >= 0 AND sold <= stock", name=op.f("ck_flash_sales_sold_within_stock")),
        sa.CheckConstraint("paid >= 0 AND paid <= sold", name=op.f("ck_flash_sales_paid_within_sold")),
        sa.CheckConstraint("stock > 0", name=op.f("ck_flash_sales_stock_positive")),
        sa.CheckConstraint("price >= 0", name=op.f("ck_flash_sales_price_not_negative")),
        sa.CheckConstraint("per_user_limit >= 1", name=op.f("ck_flash_sales_limit_positive")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_flash_sales_ends_after_start")),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_flash_sales_product_id_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flash_sales")),
    )
    op.create_index(op.f("ix_flash_sales_product_id"), "flash_sales", ["product_id"], unique=False)
    op.create_index("ix_flash_sales_status_starts", "flash_sales", ["status", "starts_at"], unique=False)
    op.create_table(
        "flash_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sale_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sale_id"], ["flash_sales.id"], name=op.f("fk_flash_claims_sale_id_flash_sales"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_flash_claims_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flash_claims")),
        sa.UniqueConstraint("sale_id", "user_id", "seq", name="uq_flash_claims_sale_user_seq"),
    )
    op.create_index(op.f("ix_flash_claims_sale_id"), "flash_claims", ["sale_id"], unique=False)
    op.create_index(op.f("ix_flash_claims_order_id"), "flash_claims", ["order_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_flash_claims_order_id"), table_name="flash_claims")
    op.drop_index(op.f("ix_flash_claims_sale_id"), table_name="flash_claims")
    op.drop_table("flash_claims")
    op.drop_index("ix_flash_sales_status_starts", table_name="flash_sales")
    op.drop_index(op.f("ix_flash_sales_product_id"), table_name="flash_sales")
    op.drop_table("flash_sales")
