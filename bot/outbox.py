"""Delivers the outbox (store.notify): in the recipient's language, paced under Telegram's flood limits,
each row marked sent once delivered, unreachable users remembered instead of retried forever (their messages
are parked and sent when they come back: store.reachability)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup

from bot.background_tasks import cancel_and_wait, raise_if_cancelling
from bot.context import AppContext
from bot.i18n import t
from store import broadcasts, outbox_rows, reachability, users

log = logging.getLogger(__name__)

# How often a sender re-stamps the rows it has claimed and not yet sent (well inside outbox_rows.CLAIM_LEASE),
# and how often it takes back rows whose sender died (their claims stop being renewed).
RENEW_EVERY_SECONDS = 5.0
REQUEUE_EVERY_SECONDS = 10.0


@dataclass
class Outgoing:
    """What one outbox row becomes: a new message, or an edit of an earlier one (group cards)."""

    text: str
    reply_markup: InlineKeyboardMarkup | None = None
    photo: str | None = None
    document: tuple[str, bytes] | None = None
    edit_message_id: int | None = None
    message_thread_id: int | None = None
    pin: bool = False


Renderer = Callable[[AppContext, str, dict[str, Any]], Outgoing | None]


def render(app: AppContext, template: str, lang: str, params: dict[str, Any]) -> Outgoing | None:
    custom = app.wiring.renderers.get(template)
    if custom is not None:
        return custom(app, lang, params)
    return Outgoing(text=t(lang, template, **params))


@dataclass
class _Pacer:
    """Token spacing: a global rate, ~1 message/s per chat, 20/minute per group."""

    per_second: float
    last_global: float = 0.0
    last_chat: dict[int, float] = field(default_factory=dict)
    group_sent: dict[int, list[float]] = field(default_factory=dict)

    def delay(self, chat_id: int, now: float) -> float:
        wait = max(0.0, self.last_global + 1.0 / self.per_second - now)
        wait = max(wait, self.last_chat.get(chat_id, -10.0) + 1.0 - now)
        if chat_id < 0:
            window = [s for s in self.group_sent.get(chat_id, []) if now - s < 60]
            self.group_sent[chat_id] = window
            if len(window) >= 20:
                wait = max(wait, window[0] + 60 - now)
        return wait

    def sent(self, chat_id: int, now: float) -> None:
        self.last_global = now
        self.last_chat[chat_id] = now
        if chat_id < 0:
            self.group_sent.setdefault(chat_id, []).append(now)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class OutboxSender:
    """`now` (retry times), `clock` (monotonic pacing) and `sleep` are the machine's by default; a test passes
    a clock it moves itself, so flood waits and retry-after delays pass without sleeping."""

    def __init__(
        self,
        app: AppContext,
        *,
        now: Callable[[], datetime] = _utcnow,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.app = app
        self._now = now
        self._clock = clock
        self._sleep = sleep
        self.settings = app.settings.outbox
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pacer = _Pacer(self.settings.per_second)

    async def start(self) -> None:
        self.app.db.on_after_commit(self._after_commit)
        # Rows a crashed process had claimed go back to the queue once their lease runs out (here, or in the
        # periodic requeue). Telegram has no idempotency key: the one message a process was sending when it died
        # may repeat, if Telegram took it before the crash; everything else resumes exactly where it stopped.
        await outbox_rows.requeue_stuck(self.app.db)
        self._task = asyncio.create_task(self._run(), name="outbox")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None

    async def _after_commit(self, info: dict[str, Any]) -> None:
        if info.get("outbox"):
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        requeued_at = time.monotonic()
        while True:
            try:
                if time.monotonic() - requeued_at > REQUEUE_EVERY_SECONDS:
                    # With several workers one may die mid-send while the others carry on: its rows come back.
                    requeued_at = time.monotonic()
                    await outbox_rows.requeue_stuck(self.app.db)
                sent_any = await self.drain_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox pass failed")
                sent_any = False
            if not sent_any:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.settings.poll_seconds)

    async def drain_once(self, limit: int = 50) -> bool:
        rows = await outbox_rows.claim_due(self.app.db, limit, now=self._now())
        if not rows:
            return False
        # A batch at the outbox pace takes seconds (more behind a 429): its claims are renewed meanwhile, so no
        # other process mistakes them for a dead sender's.
        held = [row.id for row in rows]
        renewer = asyncio.create_task(self._renew(held), name="outbox-renew")
        try:
            for row in rows:
                await self._deliver(row)
                held.remove(row.id)
        finally:
            await cancel_and_wait(renewer)
        return True

    async def _renew(self, held: list[int]) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY_SECONDS)
            try:
                await outbox_rows.renew(self.app.db, list(held), now=self._now())
            except Exception as exc:
                raise_if_cancelling(exc)
                log.exception("renewing the outbox claims failed")

    async def _deliver(self, row: outbox_rows.DueMessage) -> None:
        wait = self._pacer.delay(row.chat_id, self._clock())
        if wait > 0:
            await self._sleep(wait)
        private = row.user_id is not None and row.chat_id == row.user_id
        if private and row.user_unreachable:
            # Parked, not dropped: it goes back to the queue when the user next opens the chat (store.reachability).
            await reachability.park(self.app.db, row.id, row.chat_id, "user unreachable")
            return
        if "broadcast_id" in row.params and not await broadcasts.still_to_send(self.app.db, row.id):
            return  # paused since it was claimed: held for Resume (store.broadcasts), not sent now
        attempted_at = self._now()
        try:
            out = render(self.app, row.template, row.language or self.app.settings.shop.default_language, row.params)
            if out is None:
                await outbox_rows.mark(self.app.db, row.id, "sent", error="nothing to send")
                return
            message_id = await self._send(row.chat_id, out)
        except TelegramRetryAfter as exc:
            retry = self._now() + timedelta(seconds=exc.retry_after)
            await outbox_rows.retry_later(self.app.db, row.id, retry, f"429 retry after {exc.retry_after}")
            await self._sleep(min(exc.retry_after, 5))
            return
        except TelegramForbiddenError as exc:
            if private:
                await reachability.blocked(self.app.db, row.id, row.chat_id, exc.message, attempted_at)
            else:
                await outbox_rows.mark(self.app.db, row.id, "unreachable", error=exc.message)
            return
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                await outbox_rows.mark(self.app.db, row.id, "sent")
                return
            log.warning("outbox %s to %s refused: %s", row.template, row.chat_id, exc.message)
            await outbox_rows.mark(self.app.db, row.id, "failed", error=exc.message)
            return
        except Exception as exc:
            log.exception("outbox %s to %s failed", row.template, row.chat_id)
            await outbox_rows.fail_or_retry(self.app.db, row.id, self.settings.max_attempts, repr(exc))
            return
        finally:
            self._pacer.sent(row.chat_id, self._clock())
        await outbox_rows.mark(self.app.db, row.id, "sent", message_id=message_id)

    async def _send(self, chat_id: int, out: Outgoing) -> int | None:
        bot = self.app.bot
        if out.edit_message_id is not None:
            if out.photo is not None:
                await bot.edit_message_caption(
                    chat_id=chat_id, message_id=out.edit_message_id, caption=out.text, reply_markup=out.reply_markup
                )
            else:
                await bot.edit_message_text(
                    chat_id=chat_id, message_id=out.edit_message_id, text=out.text, reply_markup=out.reply_markup
                )
            return out.edit_message_id
        if out.document is not None:
            name, content = out.document
            msg = await bot.send_document(
                chat_id,
                BufferedInputFile(content, filename=name),
                caption=out.text,
                message_thread_id=out.message_thread_id,
            )
        elif out.photo is not None:
            msg = await bot.send_photo(
                chat_id,
                out.photo,
                caption=out.text,
                reply_markup=out.reply_markup,
                message_thread_id=out.message_thread_id,
            )
        else:
            msg = await bot.send_message(
                chat_id, out.text, reply_markup=out.reply_markup, message_thread_id=out.message_thread_id
            )
        if out.pin and await users.may_pin(self.app.db, chat_id):
            with contextlib.suppress(TelegramBadRequest, TelegramForbiddenError):
                await bot.pin_chat_message(chat_id, msg.message_id, disable_notification=True)
        return msg.message_id
