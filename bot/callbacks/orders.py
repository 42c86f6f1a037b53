"""Buttons on the buyer's orders. The order id in the data is never trusted: the store checks ownership."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.callbacks.fields import Id


class OrderCB(CallbackData, prefix="od"):
    """action: list | view | open (the order as a new message, under a message that must stay: delivered codes) |
    pay | cancel (asks) | cancel_yes | resend | return (opens a return/refund ticket)"""

    action: str
    order_id: Id = 0


class PrivacyCB(CallbackData, prefix="pv"):
    """action: forget (erase now) | keep"""

    action: str
