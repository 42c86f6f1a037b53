"""Buttons of the admin's flash sales in chat (set-up, list, a sale's screen, edit). Values are small codes or
ids; the sale being built or changed lives in the admin's conversation state (callback data never carries typed
text), and every id is re-read from the store."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class FlashWizardCB(CallbackData, prefix="afw"):
    """a: set-up steps prod | price | stock | lim | start | dur | aud (all, pick, ok) | grp (+id, -id) | gpg (page)
    | subs (1, 0) | make | stop; list and sale screens list | new | sale | cx (ask) | cxy (cancel) | edit;
    edit menu ed (step) | emenu (back to it) | save. v: the choice or the sale id."""

    a: str
    v: str = ""
