"""Cart buttons. The product version is included so a line changed since the cart was drawn is recognised."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

PREFIX = "ct"


class CartCB(CallbackData, prefix="ct"):
    """a: inc | dec | rm | clear | show"""

    a: str
    p: int = 0  # product id of the line
    v: int = 0  # product version shown on the line
