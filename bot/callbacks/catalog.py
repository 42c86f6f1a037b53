"""Catalog buttons. Every button carries what it needs to redraw its screen after a restart (no server state).

Other features open a product card with `ProductCB(a="open", p=product_id, o="x").pack()`.
"""

from __future__ import annotations

import re

from aiogram.filters.callback_data import CallbackData

from bot.callbacks.fields import Id

PREFIXES = ("cg", "pd")


class CategoryCB(CallbackData, prefix="cg"):
    """A page of a category: products with id >= s (or, with b, the page just before s)."""

    c: Id  # category id
    s: Id = 0  # keyset anchor: the first product id of the page (0 = first page)
    n: Id = 0  # page number, for display only
    b: bool = False  # the previous page: the products just before s


class ProductCB(CallbackData, prefix="pd"):
    """A product card action: open | inc | dec | qty | add."""

    a: str
    p: Id  # product id
    v: Id = 0  # product version the card showed (0 = not checked: opening shows the current product)
    q: Id = 1  # quantity picked on the card
    s: Id = 0  # the list page to go back to (its anchor)...
    n: Id = 0  # ...and number (from search results: the number of the results screen's saved button)
    # Where the card was opened from: l (list) | c (cart) | d (deep link) | x (elsewhere) | n (elsewhere, from a
    # message that must stay, e.g. delivered codes: the card opens as a new message below it) | s<id> (search
    # results saved under that state id, so Back re-opens the same results page)
    o: str = "l"
    # 1 + how many of the product the tapper's cart held when the card was drawn, modulo store.cart.COUNT_MODULUS
    # (0 = not checked: group cards and buttons drawn before this field). An Add whose count no longer matches
    # the cart comes from an older drawing of the card (the redraw after an add carries the new count): it is
    # answered, not added again.
    c: Id = 0


SEARCH_ORIGIN = re.compile(r"^s([A-Za-z0-9_-]{1,16})$")


def search_origin(origin: str) -> str | None:
    """The search state id a card opened from search results goes back to, else None."""
    found = SEARCH_ORIGIN.match(origin)
    return found.group(1) if found else None
