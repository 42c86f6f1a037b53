"""Operations buttons: restock from a low-stock alert, "Notify me" on a sold-out card, the audit log pages,
broadcasts and analytics periods. Ids only; everything else is looked up (and re-checked) on tap."""

from __future__ import annotations

from typing import Self

from aiogram.filters.callback_data import CallbackData

from bot.callbacks.fields import Id


class RestockCB(CallbackData, prefix="rk"):
    """a: add (n units) | custom (asks for a number). c: the newest stock change the screen showed
    (store.audit.latest_stock_change): a tap after another change (its own double tap, a second admin on the
    same alert) adds nothing and redraws the screen."""

    a: str
    p: Id
    n: Id = 0
    c: Id = 0


class OldRestockCB(CallbackData, prefix="rs"):
    """Restock buttons drawn before they carried `c` (alerts already delivered keep them): a tap opens the
    product's current stock screen instead of adding blindly."""

    a: str
    p: Id
    n: Id = 0


WATCH_ON = "on"
WATCH_OFF = "off"


class WatchCB(CallbackData, prefix="wt"):
    """ "Notify me when it is back" on a sold-out product card. a: on (put me on the list) | off (take me off it:
    the button of a shopper already on the list). The button carries the intent, not "toggle", so a double tap or
    a re-delivered update cannot flip the state twice. Cards drawn before `a` existed carry `wt:<p>`: that is on."""

    p: Id
    a: str = WATCH_ON

    @classmethod
    def unpack(cls, value: str) -> Self:
        if value.count(cls.__separator__) == 1:  # `wt:<p>`, drawn before the button carried its intent
            value = f"{value}{cls.__separator__}{WATCH_ON}"
        return super().unpack(value)


class AuditCB(CallbackData, prefix="au"):
    """A page of the audit log: entries older than id `b` (0: the newest)."""

    b: Id = 0


class BroadcastCB(CallbackData, prefix="bc"):
    """a: aud (audience chosen: v) | optout (under every delivered broadcast) | optin (in its place once tapped;
    v "md": under the /mydata export) | pause | resume (broadcast d).
    Its fields stay as they are: the opt-out under messages already delivered must keep unpacking."""

    a: str
    v: str = ""
    d: Id = 0


class DraftCB(CallbackData, prefix="bd"):
    """A draft's preview and product picker. a: send (confirm draft d; v: the language shown) | cancel | prod
    (pick the product the button opens) | pp (product v picked) | noprod (no product button) | back (to the
    preview) | lang (show language v) | oo (the preview's copy of the opt-out) | note (the preview's label row):
    these two only explain themselves. r: the draft's revision the screen was drawn from; a tap on an older
    screen is refused, so Send sends exactly what its preview showed."""

    a: str
    v: str = ""
    d: Id = 0
    r: Id = 0


class AnalyticsCB(CallbackData, prefix="an"):
    """days: the last N days (1 = today, 7, 30); or k: a preset (tm: this month, lm: last month) or c (custom:
    the admin types the days)."""

    days: Id = 0
    k: str = ""


class StockCB(CallbackData, prefix="sk"):
    """A product's stock screen for admins. a: card (the screen) | thr (the low-stock alert stepper showing value v)
    | save, dflt (drawn before ThresholdCB: they open the current screen, saving nothing)"""

    a: str
    p: Id
    v: Id = 0


class ThresholdCB(CallbackData, prefix="kt"):
    """Save on the threshold stepper. a: save (v as the product's own threshold) | dflt (back to the shop's
    default). o: the product's own threshold when the stepper was drawn (-1: the default), so an old stepper
    cannot overwrite a newer value."""

    a: str
    p: Id
    v: Id = 0
    o: Id = -1
