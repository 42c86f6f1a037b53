"""Group-buy buttons. Data is short (64-byte limit) and never trusted: handlers re-check who taps."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.callbacks.fields import Id


class GroupBuyCB(CallbackData, prefix="gb"):
    """A participant's buttons. a: j join | l leave | q quantity (v) | d delivery (v: 0 pickup, 1 pay on pickup,
    2 delivery) | p pay order v | s show the panel."""

    a: str
    g: Id
    v: Id = 0


class WizardCB(CallbackData, prefix="gbw"):
    """The leader's set-up wizard. a: prod (v product id) | cat (v category id) | cats (back to the first list) |
    tp (v preset) | ted/tn/td/ta/tr/tok/tps (tier editor) | cn (v "m|x|l.<value>": a count set by a stepper;
    x.0 = no maximum) | cok (counts done) | cpb (back to the prices) | dl (v preset) | cal/day/hr/dlb (calendar)
    | pick (v point id, "-" none) | chp (change pickup) | bk (v the step shown: back to the one before it) | pub
    | stop | nop (a label: explains its buttons)."""

    a: str
    v: str = ""


class LeaderCB(CallbackData, prefix="gbl"):
    """/leader desk. a: home | view | csv | ext (v hours) | max (v people, 0 none) | close (asks) |
    close_yes | cancel (asks) | cancel_yes. The prices are edited with PriceEditCB."""

    a: str
    g: Id = 0
    v: Id = 0


class PriceEditCB(CallbackData, prefix="gbp"):
    """A published buy's prices, edited by its leader until the first join (g: the buy). a: open (the presets)
    | tp (v preset) | ted/tn/td/ta/tr/tok/tps (the wizard's tier editor, same values) | save | nop (a label)."""

    a: str
    g: Id
    v: str = ""


DELIVERY_CHOICES = {0: "pickup", 1: "pickup_pay", 2: "delivery"}
