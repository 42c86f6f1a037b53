"""Checkout buttons. `token` ties a button to one checkout dialogue: a button from an older summary is stale."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class CheckoutCB(CallbackData, prefix="ck"):
    """action: dlv (delivery) | pick (value = pickup point id) | saved | new | coupon | nocoupon | pts |
    pay (value = card | stars | pickup) | cancel | back"""

    action: str
    token: str
    value: str = ""
