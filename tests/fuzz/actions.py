"""What a fuzzed user does, as plain data: a strategy draws these, the driver plays them through the emulator.

Users and chats are named by role (`Who`, chat keys), not by id, so the same drawn script means the same thing in
every run; the driver maps roles to the emulator's users and chats.
"""

from __future__ import annotations

from dataclasses import dataclass

# chat keys: "private" is the acting user's own chat with the bot
PRIVATE = "private"
GROUP_ADMIN = "group"  # the demo "Neighbours": the bot is an admin there and sees every message
GROUP_PLAIN = "plain"  # a group where the bot is a plain member (privacy mode: commands, mentions, replies)
GROUP_UNKNOWN = "unknown"  # a group that has the bot, but the bot never got the update that added it
SUPPORT = "support"  # the support forum supergroup


@dataclass(frozen=True)
class Act:
    user: str  # a user's role name (World.users)
    chat: str
    pause: float  # emulated seconds since the previous action: a person's pace, not a machine's


@dataclass(frozen=True)
class SendText(Act):
    text: str


@dataclass(frozen=True)
class SendPhoto(Act):
    caption: str | None


@dataclass(frozen=True)
class SendOther(Act):
    """A sticker, contact, location, venue, dice or document."""

    kind: str
    value: str  # a phone number, coordinates "lat,lon", a document's text ...


@dataclass(frozen=True)
class TapButton(Act):
    """Tap button `index` (modulo the count) of the newest bot message with buttons; `mutation` alters its
    data the way a stale or tampered button would."""

    index: int
    mutation: str | None
    noise: str


@dataclass(frozen=True)
class TapData(Act):
    data: str


@dataclass(frozen=True)
class PressKey(Act):
    """Press button `index` of the reply keyboard shown in the private chat."""

    index: int


@dataclass(frozen=True)
class Payment(Act):
    stage: str  # pre_checkout | successful
    currency: str
    amount: int
    payload: str


def describe(act: Act) -> str:
    """A short, readable form of the action for the report (long texts cut, with their length)."""
    fields = {k: v for k, v in act.__dict__.items() if k != "pause"}
    parts = []
    for key, value in fields.items():
        value = f"{value[:60]!r}…({len(value)} chars)" if isinstance(value, str) and len(value) > 80 else repr(value)
        parts.append(f"{key}={value}")
    return f"{type(act).__name__}({', '.join(parts)})"


def size(act: Act) -> int:
    """How big an action is, to keep the smallest reproducer of each failure class."""
    return sum(len(v) if isinstance(v, str) else 1 for v in act.__dict__.values())
