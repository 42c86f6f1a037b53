"""Repeated taps on one button within a second are one tap (a double-click must not add two items or send
three invoices).

A tap is keyed on who tapped, the message the button is on and the button's callback data: the same button on
the same message means the same intent, and a button whose screen changed in between carries other data. The
first tap within the window acts; the rest are answered quietly (every callback query is answered) and do
nothing. Several bot processes share the decision through Redis when the conversation state lives there
(DESIGN: nothing that must be true for all processes lives in one process's memory); otherwise, and while
Redis is unreachable, this process's memory decides.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from aiogram.types import CallbackQuery

from bot.context import AppContext

log = logging.getLogger(__name__)

WINDOW_SECONDS = 1.0
_MAX_REMEMBERED = 50_000


def tap_key(query: CallbackQuery) -> str:
    message = query.message
    where = f"{message.chat.id}:{message.message_id}" if message is not None else (query.inline_message_id or "-")
    digest = hashlib.blake2s((query.data or "").encode(), digest_size=8).hexdigest()
    return f"{query.from_user.id}:{where}:{digest}"


class TapMemory:
    """This process's recent taps (key -> monotonic time of the acting tap); one per application."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}


def _memory(ctx: AppContext) -> dict[str, float]:
    return ctx.taps.seen


def _first_in_memory(ctx: AppContext, key: str, window: float) -> bool:
    seen = _memory(ctx)
    now = time.monotonic()
    if len(seen) > _MAX_REMEMBERED:
        for old in [k for k, at in seen.items() if now - at >= window]:
            del seen[old]
    at = seen.get(key)
    if at is not None and now - at < window:
        return False
    seen[key] = now
    return True


async def _first_in_redis(storage: Any, key: str, window: float) -> bool | None:
    redis = getattr(storage, "redis", None)
    if redis is None:
        return None
    try:
        return bool(await redis.set(f"tap:{key}", "1", px=int(window * 1000), nx=True))
    except Exception as exc:  # Redis down: this process decides alone rather than failing the tap
        log.info("tap guard without Redis: %r", exc)
        return None


async def first_tap(ctx: AppContext, query: CallbackQuery, storage: Any = None, window: float = WINDOW_SECONDS) -> bool:
    """True for the tap that acts; False for a repeat within `window` seconds (the caller answers it)."""
    key = tap_key(query)
    # Memory first: a repeat in this process never needs a round trip, and it covers a Redis outage.
    if not _first_in_memory(ctx, key, window):
        return False
    shared = await _first_in_redis(storage, key, window) if storage is not None else None
    if shared is False:
        # The acting tap is in another process, which may release it ("tap again"): ask Redis next time too.
        _memory(ctx).pop(key, None)
        return False
    return True


async def release(ctx: AppContext, query: CallbackQuery, storage: Any = None) -> None:
    """Forget the acting tap: its answer was "tap again" (nothing was done), so the next tap must act even within
    the window."""
    key = tap_key(query)
    _memory(ctx).pop(key, None)
    redis = getattr(storage, "redis", None)
    if redis is None:
        return
    try:
        await redis.delete(f"tap:{key}")
    except Exception as exc:  # Redis down: first_tap decides from memory alone meanwhile
        log.info("tap guard release without Redis: %r", exc)


async def repeated(ctx: AppContext, query: CallbackQuery, storage: Any = None, toast: str | None = None) -> bool:
    """Answer a repeated tap quietly and say so; the caller returns without acting. `storage` is the
    dispatcher's FSM storage (handlers get it as `fsm_storage`): its Redis, when it has one, is shared.
    `toast` (plain text, the tapper's language) tells a tapper who waits for something, e.g. "Invoice already
    sent", that the first tap did it; never an alert."""
    if await first_tap(ctx, query, storage):
        return False
    await query.answer(toast)
    return True
