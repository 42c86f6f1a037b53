"""conversation language: the language a shopper writes in, kept apart from their app's language

Revision ID: 0015_conversation_language
Revises: 0014_staff
Create Date: 2026-12-05 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_conversation_language"
down_revision: str | None = "0014_staff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("conversation_language", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("conversation_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("conversation_until")
        batch.drop_column("conversation_language")
