"""digest: a group's weekly "what's hot" card can be turned off by its admins (chats.digest_enabled)

Revision ID: 0016_digest
Revises: 0015_conversation_language
Create Date: 2026-12-05 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_digest"
down_revision: str | None = "0015_conversation_language"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        # On unless a group admin turns it off: existing groups get the digest like new ones.
        batch.add_column(sa.Column("digest_enabled", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("digest_enabled")
