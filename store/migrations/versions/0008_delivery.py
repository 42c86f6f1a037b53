"""delivery: what a digital product hands over once paid (and when it was last sent again), the pickup code

Revision ID: 0008_delivery
Revises: 0006_support
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_delivery"
down_revision: str | None = "0006_support"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digital_kind", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("digital_content", sa.Text(), nullable=True))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pickup_code", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("goods_resent_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("goods_resent_at")
        batch_op.drop_column("pickup_code")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("digital_content")
        batch_op.drop_column("digital_kind")
