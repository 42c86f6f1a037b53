"""search_state: results-message buttons point at server-side state behind a short id

Revision ID: 0009_search_state
Revises: 0008_delivery
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_search_state"
down_revision: str | None = "0008_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_states",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_states")),
    )
    op.create_index(op.f("ix_search_states_created_at"), "search_states", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_search_states_created_at"), table_name="search_states")
    op.drop_table("search_states")
