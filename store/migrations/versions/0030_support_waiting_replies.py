"""support_waiting_replies: an agent's reply to a shopper who had blocked the bot waits here and is delivered once
when they start the bot again (outside tester: it was lost, and the agent was told "no open ticket")

Revision ID: 0030_support_waiting_replies
Revises: 0029_coupon_first_order_only
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030_support_waiting_replies"
down_revision: str | None = "0029_coupon_first_order_only"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "support_waiting_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("from_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("from_message_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["support_tickets.id"],
            name=op.f("fk_support_waiting_replies_ticket_id_support_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_support_waiting_replies_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_waiting_replies")),
    )
    op.create_index(
        op.f("ix_support_waiting_replies_ticket_id"), "support_waiting_replies", ["ticket_id"], unique=False
    )
    op.create_index(
        "ix_support_waiting_replies_user", "support_waiting_replies", ["user_id", "status", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_support_waiting_replies_user", table_name="support_waiting_replies")
    op.drop_index(op.f("ix_support_waiting_replies_ticket_id"), table_name="support_waiting_replies")
    op.drop_table("support_waiting_replies")
