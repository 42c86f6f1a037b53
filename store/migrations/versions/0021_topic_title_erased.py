"""topic_title_erased: support_topics.title_erased, set when /forgetme renamed the shopper's topic, so a shopper who
came back (users.erased_at cleared) and erases again does not get the topic renamed twice (400 TOPIC_NOT_MODIFIED)

Revision ID: 0021_topic_title_erased
Revises: 0020_broadcast_revision
Create Date: 2026-12-05 13:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_topic_title_erased"
down_revision: str | None = "0020_broadcast_revision"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("support_topics") as batch:
        batch.add_column(sa.Column("title_erased", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Until now the rule was "a topic created before the user's erasure already carries the erased title".
    op.execute(
        "UPDATE support_topics SET title_erased = true WHERE EXISTS (SELECT 1 FROM users WHERE users.id ="
        " support_topics.user_id AND users.erased_at IS NOT NULL AND users.erased_at >= support_topics.created_at)"
    )


def downgrade() -> None:
    with op.batch_alter_table("support_topics") as batch:
        batch.drop_column("title_erased")
