"""group buys (placeholder: the feature's tables arrive with the feature)

Revision ID: 0003_groupbuy
Revises: 0002_orders
Create Date: 2026-11-25 16:00:00
"""

from collections.abc import Sequence

revision: str = "0003_groupbuy"
down_revision: str | None = "0002_orders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
