"""order_payment_in_flight: orders.paying_query and orders.paying_until, the pre-checkout Telegram is charging
for an order and until when; a second pre-checkout of the same order (a double tap on Pay, two devices) or a
cancel meanwhile is refused, so one order is charged once (an outside tester paid one invoice three times at once
and was charged three times)

Revision ID: 0028_order_payment_in_flight
Revises: 0027_groupbuy_erase_finished
Create Date: 2026-12-07 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028_order_payment_in_flight"
down_revision: str | None = "0027_groupbuy_erase_finished"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("paying_query", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("paying_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("paying_until")
        batch.drop_column("paying_query")
