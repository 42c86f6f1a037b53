"""flash creation key: the admin wizard's one-time token, unique, so a double tap on "Create" (even in two
processes) creates one sale

Revision ID: 0019_flash_creation_key
Revises: 0018_broadcast_photo
Create Date: 2026-12-05 13:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_flash_creation_key"
down_revision: str | None = "0018_broadcast_photo"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("flash_sales") as batch:
        # Null for sales made by /flash_create and for every existing sale: NULLs never collide.
        batch.add_column(sa.Column("creation_key", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_flash_sales_creation_key", ["creation_key"])


def downgrade() -> None:
    with op.batch_alter_table("flash_sales") as batch:
        batch.drop_constraint("uq_flash_sales_creation_key", type_="unique")
        batch.drop_column("creation_key")
