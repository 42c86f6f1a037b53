"""Cart buttons. The product version is included so a line changed since the cart was drawn is recognised."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.callbacks.fields import Id

PREFIX = "ct"


class CartCB(CallbackData, prefix="ct"):
    """a: inc | dec | rm | clear | show"""

    a: str
    p: Id = 0  # product id of the line
    v: Id = 0  # product version shown on the line
