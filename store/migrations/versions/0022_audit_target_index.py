"""audit_target_index: audit_log (target, id), so "the newest stock change of this product" is an index look-up
(a Restock button carries it and refuses a second tap of the same intent)

Revision ID: 0022_audit_target_index
Revises: 0021_topic_title_erased
Create Date: 2026-12-05 16:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022_audit_target_index"
down_revision: str | None = "0021_topic_title_erased"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_log_target", "audit_log", ["target", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_target", table_name="audit_log")
