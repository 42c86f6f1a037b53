"""flash audience: whether a flash sale's subscribers get the private announcement (the admin may keep it to groups)

Revision ID: 0016_flash_audience
Revises: 0015_conversation_language
Create Date: 2026-12-05 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_flash_audience"
down_revision: str | None = "0015_conversation_language"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("flash_sales") as batch:
        batch.add_column(sa.Column("notify_subscribers", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("flash_sales") as batch:
        batch.drop_column("notify_subscribers")
