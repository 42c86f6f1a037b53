"""broadcast_revision: broadcasts.revision, bumped by every change to a draft; previews and product pickers carry
the revision they show, so Send or a pick from an older one is refused (tester's D2)

Revision ID: 0020_broadcast_revision
Revises: 0019_flash_creation_key
Create Date: 2026-12-05 13:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_broadcast_revision"
down_revision: str | None = "0019_flash_creation_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch:
        # 0: every existing draft; buttons drawn before this column carry no revision and are refused.
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_column("revision")
