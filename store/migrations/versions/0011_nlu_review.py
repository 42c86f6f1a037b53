"""nlu_review: "did you mean" questions and the intent the shopper picked (labelled examples to review)

Revision ID: 0011_nlu_review
Revises: 0010_flash_lang
Create Date: 2026-12-04 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_nlu_review"
down_revision: str | None = "0010_flash_lang"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "nlu_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("turn_id", sa.Integer(), nullable=True),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("choice", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_nlu_questions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nlu_questions")),
        sqlite_autoincrement=True,  # ids never reused after pruning: an old button never settles a new question
    )
    op.create_index(op.f("ix_nlu_questions_user_id"), "nlu_questions", ["user_id"], unique=False)
    op.create_index(op.f("ix_nlu_questions_choice"), "nlu_questions", ["choice"], unique=False)
    op.create_index(op.f("ix_nlu_questions_created_at"), "nlu_questions", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_nlu_questions_created_at"), table_name="nlu_questions")
    op.drop_index(op.f("ix_nlu_questions_choice"), table_name="nlu_questions")
    op.drop_index(op.f("ix_nlu_questions_user_id"), table_name="nlu_questions")
    op.drop_table("nlu_questions")
