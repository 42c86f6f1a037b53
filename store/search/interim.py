"""Search while the full index is still being built (the first seconds after a start on a large catalog).

A plain SQL LIKE over titles and tags picks a few hundred candidates (products with every word first, then
products with any), and a small index built from just those ranks, filters and sorts them the usual way: the
shopper gets sensible results at once, without typo correction or prefixes, instead of waiting for the build.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, or_, select

from store.db import Database
from store.models import Product
from store.search.index import IndexedProduct, SearchIndex
from store.search.text import ParsedQuery, QueryWord

CANDIDATES = 500

_COLUMNS = (
    Product.id,
    Product.category_id,
    Product.price,
    Product.created_at,
    Product.title_en,
    Product.title_zh,
    Product.description_en,
    Product.description_zh,
    Product.tags,
    Product.active,
    Product.stock,  # ranks products in stock first; a stock change bumps `updated_at`, so the refresh sees it
    Product.is_digital,
    Product.stars_price,
)
# Sold for Telegram Stars (`ResultItem.paid_price`): a bound in the shop's currency never lists them.
_STARS_PRICED = and_(Product.is_digital.is_(True), func.coalesce(Product.stars_price, 0) != 0)


def _contains(fragment: str) -> ColumnElement[bool]:
    pattern = "%" + fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(
        func.lower(Product.title_en).like(pattern, escape="\\"),
        Product.title_zh.like(pattern, escape="\\"),
        func.lower(Product.tags).like(pattern, escape="\\"),
    )


def _word(word: QueryWord) -> ColumnElement[bool]:
    """Latin words by their stem ("apples" finds "apple"), Chinese runs as typed, an emoji by any of its words."""
    if word.emoji:
        return or_(*(_contains(term) for term in word.units))
    return _contains(word.units[0] if word.latin else word.surface)


async def interim_index(
    db: Database,
    parsed: ParsedQuery,
    *,
    category_id: int | None = None,
    price_min: int | None = None,
    price_max: int | None = None,
) -> SearchIndex:
    """A small index of the products a LIKE search finds for `parsed` (the newest ones for no words)."""
    base = select(*_COLUMNS).where(Product.active.is_(True))
    if category_id is not None:
        base = base.where(Product.category_id == category_id)
    if price_min is not None:
        base = base.where(Product.price >= price_min)
    if price_max is not None:
        base = base.where(Product.price < price_max)
    if price_min is not None or price_max is not None:
        base = base.where(~_STARS_PRICED)
    async with db.read() as session:
        if parsed.empty:
            rows = list(await session.execute(base.order_by(Product.created_at.desc()).limit(CANDIDATES)))
        else:
            conditions = [_word(word) for word in parsed.words]
            rows = list(await session.execute(base.where(and_(*conditions)).limit(CANDIDATES)))
            if len(rows) < CANDIDATES and len(conditions) > 1:
                seen = [row.id for row in rows]
                more = base.where(or_(*conditions))
                if seen:
                    more = more.where(Product.id.not_in(seen))
                rows += list(await session.execute(more.limit(CANDIDATES - len(rows))))
    return SearchIndex.build(IndexedProduct.from_row(row) for row in rows)
