"""Flash-sale buttons. The sale or order id in the data is never trusted: the store re-checks everything."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.callbacks.fields import Id


class FlashBuyCB(CallbackData, prefix="fs"):
    """The Buy button on an announcement (group card or private message), or on a product card (`p`: its product,
    so a Buy answered "sold out" or "ended" redraws that card; 0 elsewhere)."""

    sale_id: Id
    p: Id = 0

    @classmethod
    def unpack(cls, value: str) -> FlashBuyCB:
        # Buttons drawn before `p` existed carry the sale only; a live sale's announcement may still show one.
        if value.count(cls.__separator__) == 1:
            value = f"{value}{cls.__separator__}0"
        return super().unpack(value)


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
