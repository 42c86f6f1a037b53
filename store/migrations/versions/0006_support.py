"""customer service tickets (placeholder: the feature's tables arrive with the feature)

Revision ID: 0006_support
Revises: 0005_growth
Create Date: 2026-11-25 16:00:00
"""

from collections.abc import Sequence

revision: str = "0006_support"
down_revision: str | None = "0005_growth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
