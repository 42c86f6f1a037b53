"""A flash price as an admin types it, read the same way on every path (the wizard, /flash_create and /flash_edit,
the command line): in what the product's buyers pay. A digital product sold for Stars is priced in Stars (the
sale keeps the matching price in the product's currency, store.flashsale.rules.price_for_stars); any other
product in its own currency, which need not be the shop's."""

from __future__ import annotations

from store.catalog import ProductView, get_product_by_sku
from store.db import Database
from store.errors import DomainError, NotFound
from store.flashsale.rules import check_price, price_for_stars
from store.money import STARS, Money, parse_major, parse_typed_price


def regular_stars(product: ProductView) -> int | None:
    """The product's Star price when it sells for Stars (a digital product with one), else None."""
    return product.stars_price if product.is_digital and product.stars_price else None


def typed_price(text: str, product: ProductView) -> int:
    """The sale price (in the product's currency) for `text`, the store's price rules checked: a refused price is
    a DomainError the admin reads in their language."""
    stars = regular_stars(product)
    if stars is None:
        try:
            price = parse_typed_price(text, product.currency)
        except ValueError as exc:
            raise DomainError("flash_bad_price") from exc
    else:
        try:
            wanted = parse_major(text.replace("⭐", ""), STARS)
        except ValueError as exc:
            raise DomainError("flash_bad_stars") from exc
        if wanted >= stars:
            raise DomainError("flash_price_not_lower", regular=Money(stars, STARS).format())
        found = price_for_stars(product.price, stars, wanted)
        if found is None:
            raise DomainError("flash_bad_stars")
        price = found
    check_price(price, product.currency, product.price, product.currency, stars)
    return price


async def typed_price_for_sku(db: Database, text: str, sku: str) -> int:
    product = await get_product_by_sku(db, sku)
    if product is None:
        raise NotFound("flash_unknown_sku", sku=sku)
    return typed_price(text, product)
