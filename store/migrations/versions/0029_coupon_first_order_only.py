"""coupon_first_order_only: coupons.first_order_only, set on the welcome coupon a referral link gives: it promised
"your first order" but worked on any later order too (outside tester)

Revision ID: 0029_coupon_first_order_only
Revises: 0028_order_payment_in_flight
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029_coupon_first_order_only"
down_revision: str | None = "0028_order_payment_in_flight"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("coupons") as batch:
        batch.add_column(sa.Column("first_order_only", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("coupons") as batch:
        batch.drop_column("first_order_only")
