"""order_erase_when_finished: orders.erase_when_finished, set by /forgetme on an order still on its way (unpaid, paid,
shipped or waiting at a pickup point) that keeps its delivery details until it is finished; the order hook then
erases them, even if the shopper has come back as a customer since (which clears users.erased_at)

Revision ID: 0026_order_erase_when_finished
Revises: 0025_groupbuy_panel_unsent
Create Date: 2026-12-07 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_order_erase_when_finished"
down_revision: str | None = "0025_groupbuy_panel_unsent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("erase_when_finished", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("erase_when_finished")
