"""groupbuy_erase_finished: group_buy_participants.erase_when_finished, set by /forgetme on a participation
whose group buy is still open or whose order is still on its way: it keeps its delivery details until the buy
fails or is cancelled, or its order is finished, and they are erased then (an open buy that succeeded made an
order with no address for a shopper who had asked to be forgotten while still in it)

Revision ID: 0027_groupbuy_erase_finished
Revises: 0026_order_erase_when_finished
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_groupbuy_erase_finished"
down_revision: str | None = "0026_order_erase_when_finished"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("group_buy_participants") as batch:
        batch.add_column(sa.Column("erase_when_finished", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("group_buy_participants") as batch:
        batch.drop_column("erase_when_finished")
