"""staff: the invoice messages sent for each order (older ones are withdrawn when a new one is sent)

Revision ID: 0014_staff
Revises: 0013_social
Create Date: 2026-12-04 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_staff"
down_revision: str | None = "0013_social"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invoice_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_invoice_messages_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_messages")),
    )
    op.create_index(op.f("ix_invoice_messages_order_id"), "invoice_messages", ["order_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_invoice_messages_order_id"), table_name="invoice_messages")
    op.drop_table("invoice_messages")
