"""Deep links (`https://t.me/<bot>?start=<payload>`): building them within Telegram's limits and routing
an incoming /start payload to the feature that owns its prefix.

Payload grammar: `<prefix>_<value>` optionally followed by `-r_<referral code>` (e.g. `p_TEA-01-r_k3x9q2`),
at most 64 characters of A-Z a-z 0-9 _ -. The composition root maps each prefix to its handler (bot/app.py).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram.types import Message

PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
REFERRAL_SEPARATOR = "-r_"

DeeplinkHandler = Callable[[Message, str, dict[str, Any]], Awaitable[None]]
# Runs after every private /start has been answered (the welcome, or what the deep link opened): what waited for
# the shopper to open the chat (e.g. a group-buy panel the bot could not send before).
AfterStart = Callable[[Message, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class StartPayload:
    prefix: str | None
    value: str | None
    referral: str | None


def parse_payload(payload: str | None) -> StartPayload:
    if not payload or not PAYLOAD_RE.match(payload):
        return StartPayload(None, None, None)
    referral = None
    if payload.startswith("r_"):
        return StartPayload(None, None, payload[2:] or None)
    if REFERRAL_SEPARATOR in payload:
        payload, referral = payload.rsplit(REFERRAL_SEPARATOR, 1)
    prefix, sep, value = payload.partition("_")
    if not sep or not value:
        return StartPayload(None, None, referral or None)
    return StartPayload(prefix, value, referral or None)


def start_payload(prefix: str, value: str, referral: str | None = None) -> str:
    payload = f"{prefix}_{value}"
    if referral and len(payload) + len(REFERRAL_SEPARATOR) + len(referral) <= 64:
        payload = f"{payload}{REFERRAL_SEPARATOR}{referral}"
    if not PAYLOAD_RE.match(payload):
        raise ValueError(f"deep-link payload not allowed by Telegram: {payload!r}")
    return payload


def start_link(bot_username: str, prefix: str, value: str, referral: str | None = None) -> str:
    return _link(bot_username, start_payload(prefix, value, referral))


# The payload of a plain "open the private chat" link: any payload makes Telegram send /start on the tap (a bare
# t.me link only opens the chat), and one without a prefix lands on the welcome.
HELLO_PAYLOAD = "hello"


def hello_link(bot_username: str) -> str:
    """The private chat with the bot, opened on the welcome: where a group points someone to ask personally."""
    return _link(bot_username, HELLO_PAYLOAD)


def _link(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username}?start={payload}"
