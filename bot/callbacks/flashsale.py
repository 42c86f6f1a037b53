"""Flash-sale buttons. The sale or order id in the data is never trusted: the store re-checks everything."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.callbacks.fields import Id


class FlashBuyCB(CallbackData, prefix="fs"):
    """The Buy button on an announcement (group card or private message)."""

    sale_id: Id


class FlashPayCB(CallbackData, prefix="fsp"):
    """ "Pay" on the private "you got one" message: sends the order's invoice."""

    order_id: Id


class FlashReceiptCB(CallbackData, prefix="fsr"):
    """Delivery (`r="-"`) or a pick-up point id, then the invoice: on the winner's private message."""

    order_id: Id
    r: str


class FlashAdminCB(CallbackData, prefix="fsa"):
    """action: list | cancel"""

    action: str
    sale_id: Id = 0
