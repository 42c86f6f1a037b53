"""digest: a group's weekly "what's hot" card can be turned off by its admins (chats.digest_enabled); the
unused group_digests table of 0013 goes (the outbox's unique dedupe key makes a week send once)

Revision ID: 0017_digest
Revises: 0016_flash_audience
Create Date: 2026-12-05 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_digest"
down_revision: str | None = "0016_flash_audience"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        # On unless a group admin turns it off: existing groups get the digest like new ones.
        batch.add_column(sa.Column("digest_enabled", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.drop_table("group_digests")


def downgrade() -> None:
    op.create_table(
        "group_digests",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("last_week", sa.String(length=10), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_group_digests")),
    )
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("digest_enabled")
