"""Buttons of /points, /checkin, /invite and the points shop."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class GrowthCB(CallbackData, prefix="gr"):
    """action: checkin | points | shop | buy (value = coupon code) | coupons | remind (value = on|off)"""

    action: str
    value: str = ""
