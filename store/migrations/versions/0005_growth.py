"""growth (referrals, check-ins, points, coupons, tiers) (placeholder: the feature's tables arrive with the feature)

Revision ID: 0005_growth
Revises: 0004_flashsale
Create Date: 2026-11-25 16:00:00
"""

from collections.abc import Sequence

revision: str = "0005_growth"
down_revision: str | None = "0004_flashsale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
