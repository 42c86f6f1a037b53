"""Buttons of the admin's flash-sale set-up in chat. Values are small codes; the sale being built lives in the
admin's conversation state (callback data never carries typed text)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class FlashWizardCB(CallbackData, prefix="afw"):
    """a: prod | price | stock | lim | start | dur | make | stop; v: the choice."""

    a: str
    v: str = ""
