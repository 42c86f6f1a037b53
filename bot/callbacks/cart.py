"""Cart buttons. The product version is included so a line changed since the cart was drawn is recognised, and
the quantity shown, so ➕/➖ mean "make it one more/less than what I see": a repeated tap changes nothing."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.callbacks.fields import Id

PREFIX = "cq"
OLD_PREFIX = "ct"  # cart buttons drawn before they carried the quantity: a tap redraws the cart, changing nothing


class CartCB(CallbackData, prefix="cq"):
    """a: inc | dec | rm | clear | show"""

    a: str
    p: Id = 0  # product id of the line
    v: Id = 0  # product version shown on the line
    q: Id = 0  # the line's quantity shown
