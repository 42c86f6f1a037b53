"""Participants' panels: the message in a participant's private chat that shows a group buy they joined (price,
countdown, their quantity and delivery, the buttons). Each is remembered (which message, in which language, what
it last showed) so that when the leader changes the buy (deadline, maximum), a join or leave moves the price
reached or the goal (not every join: see CardRefresher.count_changed), or it ends (closed early, succeeded, failed,
cancelled) every live panel is brought up to date, with an edit only when its content changes."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from typing import Any

from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey

from bot.context import AppContext
from bot.debounce import Debouncer
from bot.delivery_rules import delivery_rule
from bot.views import groupbuy as views
from store import groupbuy
from store.groupbuy import GroupBuyView, ParticipantView
from store.models import utcnow

log = logging.getLogger(__name__)

PANEL_DESTINY = "gb_panel"
PANELS_KEPT = 20
# Panels are edited one after another, below Telegram's ~30 messages a second in total.
EDIT_GAP_SECONDS = 0.05


def private_screen(ctx: AppContext, lang: str, view: GroupBuyView, part: ParticipantView | None) -> views.Screen:
    """The buy in a private chat: a Join button for someone who has not joined, else the participant's panel."""
    return views.private_view(
        lang,
        view,
        part,
        utcnow(),
        views.pickup_label(ctx.settings.shop.pickup_points, view.pickup_point, lang),
        ctx.settings.shop.timezone,
        pickup_payment=ctx.settings.payments.pickup_payment_enabled,
        # What a group-buy order charges for delivery (bot/groupbuy_cards.policy's rule: the same settings).
        delivery=delivery_rule(ctx.settings),
    )


def digest(screen: views.Screen) -> str:
    markup = screen.markup.model_dump_json(exclude_none=True) if screen.markup is not None else ""
    return hashlib.sha256(f"{screen.text}\x00{markup}".encode()).hexdigest()[:16]


def _state(ctx: AppContext, user_id: int) -> FSMContext:
    """Which message in the user's private chat shows each of their group buys. A destiny of its own: a form or
    the wizard clearing the chat's state keeps it."""
    key = StorageKey(bot_id=ctx.bot.id, chat_id=user_id, user_id=user_id, destiny=PANEL_DESTINY)
    return FSMContext(storage=ctx.conversations, key=key)


def _entry(raw: Any) -> dict[str, Any] | None:
    """A remembered panel: {"m": message id, "l": language, "h": digest of what it shows}. (An older entry is
    just the message id.)"""
    if isinstance(raw, dict) and raw.get("m"):
        return raw
    if isinstance(raw, int):
        return {"m": raw}
    return None


async def remember(
    ctx: AppContext, user_id: int, group_buy_id: int, message_id: int, lang: str, screen: views.Screen
) -> None:
    """`message_id` now shows `screen` for this buy: the panel to keep up to date (the newest drawn wins)."""
    state = _state(ctx, user_id)
    data = await state.get_data()
    data.pop(str(group_buy_id), None)
    data[str(group_buy_id)] = {"m": message_id, "l": lang, "h": digest(screen)}
    await state.set_data(dict(list(data.items())[-PANELS_KEPT:]))


async def forget(ctx: AppContext, user_id: int, group_buy_id: int) -> int | None:
    """No longer this user's panel (they left): the message id it was, if any."""
    state = _state(ctx, user_id)
    data = await state.get_data()
    entry = _entry(data.pop(str(group_buy_id), None))
    if entry is None:
        return None
    await state.set_data(data)
    return int(entry["m"])


async def refresh_one(ctx: AppContext, view: GroupBuyView, part: ParticipantView, fallback_lang: str) -> bool:
    """Redraw one participant's remembered panel when what it would show differs from what it shows. Returns
    whether an edit was sent."""
    state = _state(ctx, part.user_id)
    data = await state.get_data()
    entry = _entry(data.get(str(view.id)))
    if entry is None:
        return False
    lang = str(entry.get("l") or fallback_lang)
    screen = private_screen(ctx, lang, view, part)
    fresh = digest(screen)
    if entry.get("h") == fresh:
        return False  # never an edit that changes nothing
    try:
        await ctx.bot.edit_message_text(
            chat_id=part.user_id, message_id=int(entry["m"]), text=screen.text, reply_markup=screen.markup
        )
    except TelegramBadRequest as exc:
        if "message is not modified" not in exc.message:
            # Deleted by the user or too old to edit: nothing is left that could mislead; forget it.
            data.pop(str(view.id), None)
            await state.set_data(data)
            return False
    except TelegramForbiddenError:
        data.pop(str(view.id), None)
        await state.set_data(data)
        return False
    data[str(view.id)] = {"m": int(entry["m"]), "l": lang, "h": fresh}
    await state.set_data(data)
    return True


class PanelRefresher:
    """Brings every participant's panel of a buy up to date after a change, in the background (the leader's
    tap is answered at once), one buy at a time; a change during a refresh runs it again with the latest state."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        # Per buy, one refresh at a time, at once (no pause, no gap: the edits inside are paced by EDIT_GAP_SECONDS
        # and a 429 waits for that one panel); a request during a refresh is one more refresh after it.
        self._buys: Debouncer[int, None] = Debouncer(self._run, name="gb-panels")
        self.edits = 0

    def request(self, group_buy_id: int) -> None:
        self._buys.request(group_buy_id, None)

    async def idle(self) -> None:
        await self._buys.idle()

    async def close(self) -> None:
        """Shutdown: a refresh not yet begun is dropped, one under way is cancelled; nothing is raised."""
        await self._buys.close()

    async def _run(self, group_buy_id: int, _: None) -> None:
        try:
            await self._refresh(group_buy_id)
        except Exception:
            log.exception("group-buy panels of %s could not be refreshed", group_buy_id)

    async def _refresh(self, group_buy_id: int) -> None:
        fallback = self.ctx.settings.shop.default_language
        for listed in await groupbuy.participants(self.ctx.db, group_buy_id):
            # Read again just before each panel: the edits are paced, so a participant may have changed their
            # quantity or delivery (or someone joined) since the list was read, and their panel, drawn by that
            # tap, must not be put back to what it showed before.
            view = await groupbuy.get(self.ctx.db, group_buy_id)
            part = await groupbuy.participant(self.ctx.db, group_buy_id, listed.user_id)
            if part is None:
                continue  # left meanwhile: that panel was redrawn as for someone who has not joined
            while True:
                try:
                    edited = await refresh_one(self.ctx, view, part, fallback)
                except TelegramRetryAfter as exc:
                    await asyncio.sleep(exc.retry_after)
                    continue
                break
            if edited:
                self.edits += 1
                await asyncio.sleep(EDIT_GAP_SECONDS)


def forget_quietly() -> contextlib.AbstractContextManager[None]:
    """Edits of a panel that may be gone (deleted, too old): nothing is left that could mislead."""
    return contextlib.suppress(TelegramBadRequest, TelegramForbiddenError)
