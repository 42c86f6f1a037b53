"""groupbuy_panel_unsent: group_buy_participants.panel_unsent, set when someone joined from the group card while the
bot could not write to them (they never opened the private chat, or blocked the bot), so their participant panel is
delivered on their next /start instead of being lost (a restart in between keeps it)

Revision ID: 0025_groupbuy_panel_unsent
Revises: 0024_wish_price_in_stars
Create Date: 2026-12-06 19:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_groupbuy_panel_unsent"
down_revision: str | None = "0024_wish_price_in_stars"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("group_buy_participants") as batch:
        batch.add_column(sa.Column("panel_unsent", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("group_buy_participants") as batch:
        batch.drop_column("panel_unsent")
