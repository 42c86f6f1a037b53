"""/admin buttons. `AdminMenuCB(section=...)` is what the shared admin menu sends for a registered section:
a feature that registers a section in bot/admin_menu.py handles `AdminMenuCB.filter(F.section == "<key>")`."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.callbacks.fields import Id


class AdminMenuCB(CallbackData, prefix="adm"):
    section: str  # a registered section key, or "home" for the menu itself


class AdminListCB(CallbackData, prefix="adl"):
    """kind: pending | paid | shipped | pickup | refunds"""

    kind: str


class AdminOrderCB(CallbackData, prefix="ado"):
    """action: view | ship | deliver | cancel | refund (asks) | refund_yes; q: the queue it was opened from"""

    action: str
    order_id: Id
    q: str = ""


class AdminRefundCB(CallbackData, prefix="adr"):
    """action: view | done (a card refund was made with the provider) | retry (Stars refund again)"""

    action: str
    payment_id: Id
