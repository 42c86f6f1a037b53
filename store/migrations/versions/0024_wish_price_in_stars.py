"""wishlist_items.price_seen of a digital product in Telegram Stars: a wish now remembers the price a buyer pays
(ProductView.paid_money), which for a digital product with a Star price is in Stars; wishes made before held its
yuan price, which the scan would take for a drop (5000 fen seen, 350 Stars now). Data only.

Revision ID: 0024_wish_price_in_stars
Revises: 0023_digital_codes
Create Date: 2026-12-06 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_wish_price_in_stars"
down_revision: str | None = "0023_digital_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_products = sa.table(
    "products",
    sa.column("id", sa.Integer),
    sa.column("price", sa.BigInteger),
    sa.column("is_digital", sa.Boolean),
    sa.column("stars_price", sa.Integer),
)
_wishes = sa.table("wishlist_items", sa.column("product_id", sa.Integer), sa.column("price_seen", sa.BigInteger))
_sold_for_stars = sa.select(_products.c.id).where(
    _products.c.is_digital.is_(True), _products.c.stars_price.is_not(None), _products.c.stars_price > 0
)


def _rebase(column: sa.ColumnElement[int]) -> None:
    """Every wish of a digital product sold for Stars remembers the product's `column` as the price seen (the
    price last seen in the other unit cannot be converted: the current one is the honest baseline)."""
    value = sa.select(column).where(_products.c.id == _wishes.c.product_id).scalar_subquery()
    op.execute(_wishes.update().where(_wishes.c.product_id.in_(_sold_for_stars)).values(price_seen=value))


def upgrade() -> None:
    _rebase(_products.c.stars_price)


def downgrade() -> None:
    _rebase(_products.c.price)
