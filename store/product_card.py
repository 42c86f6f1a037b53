"""What a product card shows of one product for one shopper, read as one statement: the product, its live flash
price, how many the shopper's cart holds, the heart, the rating and whether the shopper waits for it to be back
("Notify me"); and a category page with its live flash prices.

Each piece is the owning module's rule (cart, wishlist, reviews, flash sales, stock alerts) as a scalar subquery,
so the card and those modules cannot disagree. One statement instead of five because the card is the shop's most
frequent screen and each statement's own cost (about 0.15 ms here) was a third of the card's CPU.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BindParameter, bindparam, exists, select

from store.cart import quantity_select
from store.catalog import PRODUCT_COLUMNS, ProductPage, ProductView, page_query, product_from_row, product_page
from store.db import Database
from store.flashsale.views import LivePrice, live_price_columns, live_price_in, live_price_of
from store.models import Product, utcnow
from store.social.reviews import Rating, rating_of, rating_selects
from store.social.wishlist import wished_select
from store.stock_alerts import waiter_select


@dataclass(frozen=True)
class CardFacts:
    product: ProductView
    flash: LivePrice | None
    in_cart: int  # 0 without a shopper (a group card)
    wished: bool
    rating: Rating | None
    watching: bool = False  # the shopper is on the product's "Notify me" list (False on a group card)


_USER: BindParameter[int | None] = bindparam("user_id")

# Built once: building it costs more than running it.
_CARD = select(
    *PRODUCT_COLUMNS,
    *live_price_columns(Product.id),
    quantity_select(_USER, Product.id).scalar_subquery().label("in_cart"),
    exists(wished_select(_USER, Product.id)).label("wished"),
    exists(waiter_select(_USER, Product.id)).label("watching"),
    *(
        column.label(f"rating_{name}")
        for column, name in zip(rating_selects(Product.id), ("average", "count"), strict=True)
    ),
).where(Product.id == bindparam("product_id"))


async def card_facts(db: Database, product_id: int, user_id: int | None) -> CardFacts | None:
    """The card's facts for `user_id` (None: a group card, nobody's cart, heart or "Notify me"); None when no such
    product."""
    async with db.read() as session:
        row = (await session.execute(_CARD, {"product_id": product_id, "user_id": user_id, "now": utcnow()})).first()
    if row is None:
        return None
    return CardFacts(
        product=product_from_row(row),
        flash=live_price_in(row),
        in_cart=int(row.in_cart or 0),
        wished=bool(row.wished),
        rating=rating_of(row.rating_average, row.rating_count),
        watching=bool(row.watching),
    )


@dataclass(frozen=True)
class PricedPage:
    """A category page with what each listed product charges now: a live flash sale's price where one is live."""

    page: ProductPage
    flash: dict[int, LivePrice]


_PRICED_PAGE = page_query(*live_price_columns(Product.id))


async def priced_page(
    db: Database, category_id: int, *, start: int = 0, backward: bool = False, number: int = 0, size: int = 6
) -> PricedPage:
    """`catalog.product_page` with the products' live flash prices read in the same statement."""
    page = await product_page(
        db,
        category_id,
        start=start,
        backward=backward,
        number=number,
        size=size,
        query=_PRICED_PAGE,
        params={"now": utcnow()},
    )
    live = (live_price_of(*extra) for extra in page.extras)
    return PricedPage(page, {product.id: price for product, price in zip(page.items, live, strict=True) if price})
