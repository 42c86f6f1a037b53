"""Hypothesis strategies for fuzzed updates: what people type, tap, send and pay, within what Telegram lets a
client deliver (texts 1-4,096 characters, captions up to 1,024, callback data 1-64 bytes, payloads 1-128 bytes)."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from functools import cache

from aiogram.filters.callback_data import CallbackData
from hypothesis import strategies as st

import bot.callbacks
from bot.runner import PUBLIC_COMMANDS
from tests.fuzz.actions import (
    GROUP_ADMIN,
    GROUP_PLAIN,
    GROUP_UNKNOWN,
    PRIVATE,
    SUPPORT,
    Act,
    Payment,
    PressKey,
    SendOther,
    SendPhoto,
    SendText,
    TapButton,
    TapData,
)

OTHER_COMMANDS = ("admin", "leader", "groupbuy", "flash_create", "flash_edit", "flash_cancel", "flash_list",
                  "coupon_new", "coupon_off", "coupons", "stock", "canned", "canned_add", "canned_del", "close",
                  "cancel", "menu", "support_stats", "leader_grant", "leader_revoke")
COMMANDS = tuple(PUBLIC_COMMANDS) + OTHER_COMMANDS
SKUS = ("FRU-APPLE", "FRU-DURIAN", "VEG-TOMATO", "VEG-CARROT", "NOPE-404", "fru-apple", "")
BOT_USERNAME = "groupcart_bot"

# who may act where: users by role name (tests/fuzz/driver.py creates them)
KNOWN = ("alice", "lilei", "lena", "sam", "ada")
NEVER_SEEN = ("new_en", "new_zh", "new_ar", "new_none")
CONFIG_ADMIN = "root"  # the admin named in the config (tests.conftest.ADMIN_ID), not granted in the database
MEMBERS = {
    PRIVATE: (*KNOWN, CONFIG_ADMIN, *NEVER_SEEN),
    GROUP_ADMIN: KNOWN,
    GROUP_PLAIN: ("alice", "lilei", "lena"),
    GROUP_UNKNOWN: ("alice", "new_en", "new_zh", "new_ar"),
    SUPPORT: ("sam", "ada", CONFIG_ADMIN),
}
CHAT_WEIGHTS = ((PRIVATE, 12), (GROUP_ADMIN, 3), (GROUP_PLAIN, 2), (GROUP_UNKNOWN, 2), (SUPPORT, 1))

SCRIPTS = {
    "latin": st.characters(min_codepoint=0x20, max_codepoint=0x24F),
    "cjk": st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    "arabic": st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
    "emoji": st.sampled_from(["😀", "🍎", "👍🏽", "👨‍👩‍👧", "🇨🇳", "❤️", "\U0001FAE0", "🛒"]),
    "html": st.sampled_from([*list("<>&\"'/"), "<b>", "</i>", "&amp;", "<a href='x'>", "&#0;", "<tg-spoiler>"]),
    "control": st.sampled_from(["\n", "\t", "\r", "\x01", "\x1b", "\u200b", "\u200f", "\u202e", "\ufeff", "\x7f"]),
    "digits": st.sampled_from(list("0123456789.,-+=:_@#$%*")),
}


def fragments() -> st.SearchStrategy[str]:
    """A short piece of text in one or several scripts."""
    alphabet = st.one_of(*SCRIPTS.values())
    return st.lists(alphabet, max_size=40).map("".join)


@st.composite
def long_text(draw: st.DrawFn, max_len: int = 4096) -> str:
    """Up to `max_len` characters built by repeating a drawn fragment: long inputs cost few random choices."""
    piece = draw(fragments().filter(bool))
    length = draw(st.one_of(st.integers(0, 60), st.integers(61, max_len), st.just(max_len)))
    return (piece * (length // len(piece) + 1))[:length]


def texts(max_len: int = 4096) -> st.SearchStrategy[str]:
    return st.one_of(fragments(), long_text(max_len), st.sampled_from(SKUS), st.just(f"@{BOT_USERNAME} apple"))


def numbers() -> st.SearchStrategy[str]:
    return st.one_of(st.integers(-5, 50), st.integers(-(2**63), 2**63)).map(str)


@st.composite
def command_text(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(COMMANDS))
    mention = draw(st.sampled_from(["", "", f"@{BOT_USERNAME}", "@other_bot"]))
    args = draw(st.one_of(
        st.just(""),
        numbers(),
        fragments(),
        long_text(4000),
        st.sampled_from(SKUS),
        st.builds(lambda sku, price, stock, start: f"sku={sku} price={price} stock={stock} start={start} end=+1h",
                  st.sampled_from(SKUS), numbers(), numbers(), st.sampled_from(["+2s", "+1m", "now", "-1h", "x"])),
        st.builds(lambda prefix, value: f"{prefix}_{value}", st.sampled_from(["p", "r", "cart", "zz", ""]),
                  st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", max_size=60)),
    ))
    return f"/{name}{mention} {args}".rstrip()[:4096]


@cache
def callback_shapes() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(prefix, field names) of every CallbackData factory in bot/callbacks/."""
    for info in pkgutil.iter_modules(bot.callbacks.__path__):
        importlib.import_module(f"bot.callbacks.{info.name}")
    shapes: list[tuple[str, tuple[str, ...]]] = []
    pending = list(CallbackData.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("bot.callbacks"):
            shapes.append((cls.__prefix__, tuple(cls.model_fields)))
    return tuple(sorted(shapes))


def _fit(data: str) -> str:
    """Telegram allows 1-64 bytes of callback data."""
    raw = data.encode("utf-8")[:64].decode("utf-8", "ignore")
    return raw or "x"


@st.composite
def forged_callback(draw: st.DrawFn) -> str:
    """Data in the shape of a real factory with values that are stale, huge, negative or nonsense."""
    prefix, names = draw(st.sampled_from(callback_shapes()))
    value = st.one_of(numbers(), st.sampled_from(["", "x", "0", "1", "2", "en", "zh", "open", "pay", "buy", "yes"]),
                      st.sampled_from(SKUS), fragments())
    values = draw(st.lists(value, min_size=max(0, len(names) - 1), max_size=len(names) + 1))
    return _fit(":".join([prefix, *values]))


def callback_data() -> st.SearchStrategy[str]:
    return st.one_of(forged_callback(), fragments().map(_fit), st.just(":"), st.just("x" * 64))


PAYLOADS = st.one_of(
    st.builds(lambda oid, nonce: f"order:{oid}:{nonce}", st.one_of(st.integers(1, 40), st.integers(10**9, 10**18)),
              st.sampled_from(["00000000", "deadbeef", "x", ""])),
    st.sampled_from(["order:", "order:1", "order:-1:aa", "flash:1", "gb:1", "points:1"]),
    fragments().map(lambda s: s.encode()[:128].decode("utf-8", "ignore") or "p"),
)


@st.composite
def action(draw: st.DrawFn) -> Act:
    chat = draw(st.sampled_from([key for key, weight in CHAT_WEIGHTS for _ in range(weight)]))
    user = draw(st.sampled_from(MEMBERS[chat]))
    pause = float(draw(st.integers(2, 8)))
    kind = draw(st.sampled_from(["command"] * 5 + ["text"] * 4 + ["tap"] * 5 + ["forged"] * 3 + ["photo", "other",
                                                                                                    "press", "pay"]))
    if kind == "command":
        return SendText(user, chat, pause, draw(command_text()))
    if kind == "text":
        text = draw(texts())
        if not text.strip():
            return SendPhoto(user, chat, pause, None)  # Telegram delivers no empty message; an empty caption it does
        return SendText(user, chat, pause, text)
    if kind == "tap":
        mutation = draw(st.sampled_from([None, None, None, "stale_id", "huge_id", "negative_id", "truncate",
                                         "append", "other_user_chat"]))
        return TapButton(user, chat, pause, draw(st.integers(0, 12)), mutation, draw(fragments()))
    if kind == "forged":
        return TapData(user, chat, pause, draw(callback_data()))
    if kind == "photo":
        return SendPhoto(user, chat, pause, draw(st.one_of(st.none(), texts(1024))))
    if kind == "other":
        other = draw(st.sampled_from(["sticker", "contact", "contact_other", "location", "venue", "dice", "document"]))
        return SendOther(user, chat, pause, other, draw(st.one_of(numbers(), fragments())))
    if kind == "press":
        return PressKey(user, PRIVATE, pause, draw(st.integers(0, 8)))
    return Payment(user, PRIVATE, pause, draw(st.sampled_from(["pre_checkout", "successful"])),
                   draw(st.sampled_from(["CNY", "XTR", "USD", "EUR", "JPY"])),
                   draw(st.one_of(st.integers(1, 100_000), st.sampled_from([1, 2**31 - 1, 10**12]))), draw(PAYLOADS))


@st.composite
def burst(draw: st.DrawFn) -> list[Act]:
    """One action done 2-5 times at once: a double tap, an impatient user, a message sent again."""
    first = draw(action())
    again = dataclasses.replace(first, pause=0.0)
    return [first] + [again] * draw(st.integers(1, 4))


@st.composite
def batches(draw: st.DrawFn, size: int) -> list[Act]:
    """`size` actions at a person's pace, and in about half the batches one burst among them."""
    acts = draw(st.lists(action(), min_size=size, max_size=size))
    if draw(st.booleans()):
        at = draw(st.integers(0, size))
        acts[at:at] = draw(burst())
    return acts
