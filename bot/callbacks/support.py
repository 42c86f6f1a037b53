"""Callback data of customer service. Ids in here are never trusted: handlers re-check who taps."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.callbacks.fields import Id


class SupCB(CallbackData, prefix="sp"):
    """a: human | back | wdr | wait | rate | cmt | skip (shopper; cmt = add a comment to the rating; wdr / wait
    answer "withdraw your request?") ;
    take | asg | asgto | close | card (agents) ;
    srch | trk | cnl | rfd | rfdx (assistant answers; rfd = the order a refund is for, rfdx = never mind).
    t = ticket id, v = a number (rating, agent, order or turn id; for wdr the newest shopper message when asked)."""

    a: str
    t: Id = 0
    v: Id = 0


class SupStatsCB(CallbackData, prefix="sps"):
    days: Id
