"""The payment inbox: a payment Telegram reports is never lost, whatever is down when it arrives.

Telegram charges the buyer first and tells the bot afterwards, once. So an update carrying
`successful_payment` (or `refunded_payment`) takes its own path, ahead of every middleware (conversation
state in Redis, the user row, de-duplication) and the error handler:

1. it is written to a local spool (bot/payment_spool.py, fsync'd) before anything else;
2. it is applied through the store (exactly once per charge id); on success it leaves the spool;
3. on any failure it stays, the buyer is told the truth (the payment arrived and is being recorded), and a
   background task retries with backoff until the database takes it, also after a restart.

Polling acknowledges an update by asking for the next ones, so the spool write happens as each update comes
out of getUpdates; a webhook answers 200 only once the update is in the spool (500 otherwise: Telegram
retries). While a payment waits in the spool its order does not expire (see `defer_expiry`); one that
expired anyway ends refunded or in the admins' refund queue (store.payments).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Message, Update
from sqlalchemy.engine import make_url

from bot.background_tasks import cancel_and_wait
from bot.config import Settings
from bot.context import AppContext
from bot.i18n import language_from_telegram, t
from bot.in_flight import InFlight
from bot.payment_spool import PaymentSpool, SpoolEntry
from store import payments

log = logging.getLogger(__name__)

SUCCESSFUL = "successful_payment"
REFUNDED = "refunded_payment"
# An entry being applied right now is left alone by the retry task (and by other processes sharing the file).
LEASE_SECONDS = 60.0
# With nothing due, the retry task still looks now and then (another process may share the spool).
IDLE_SECONDS = 5.0
# After this many failed attempts the configured admins are told that a payment is stuck.
ALERT_AFTER_ATTEMPTS = 10

Applier = Callable[[AppContext, Bot, Message, bool], Awaitable[None]]


def of(ctx: AppContext) -> PaymentInbox | None:
    return ctx.payment_inbox


def spool_path(settings: Settings) -> str:
    """`payments.inbox_path`, else beside the SQLite database, else var/payment-inbox.sqlite3."""
    if settings.payments.inbox_path:
        return settings.payments.inbox_path
    url = make_url(settings.database.url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return ":memory:"
        return f"{url.database}.payment-inbox"
    return str(Path("var") / "payment-inbox.sqlite3")


def payment_kind(update: Update) -> str | None:
    message = update.message
    if message is None:
        return None
    if message.successful_payment is not None:
        return SUCCESSFUL
    if message.refunded_payment is not None:
        return REFUNDED
    return None


def _describe(update: Update) -> tuple[str, int | None, int | None]:
    """(spool key, payer, order id) of a payment update."""
    message = update.message
    assert message is not None
    user_id = message.from_user.id if message.from_user is not None else message.chat.id
    if message.successful_payment is not None:
        paid = message.successful_payment
        return f"paid:{paid.telegram_payment_charge_id}", user_id, payments.parse_payload(paid.invoice_payload)
    assert message.refunded_payment is not None
    return f"refunded:{message.refunded_payment.telegram_payment_charge_id}", user_id, None


class PaymentInbox:
    def __init__(self, ctx: AppContext, spool: PaymentSpool, apply: dict[str, Applier]) -> None:
        self.ctx = ctx
        self.spool = spool
        self._apply = apply
        self.settings = ctx.settings.payments
        self._inflight: set[str] = set()
        # Orders with a successful payment in the spool, not yet in the database: their reservation must hold.
        self._holds: dict[str, int] = {}
        for entry in spool.all():
            if entry.kind == SUCCESSFUL and entry.order_id is not None:
                self._holds[entry.key] = entry.order_id
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # ---- receiving ----------------------------------------------------------------------------------------

    def spool_update(self, update: Update, *, lease: float = LEASE_SECONDS) -> str | None:
        """Write a payment update durably (raises when the disk refuses); its key, None for other updates."""
        kind = payment_kind(update)
        if kind is None:
            return None
        key, user_id, order_id = _describe(update)
        data = update.model_dump(mode="json", exclude_none=True, by_alias=True)
        if self.spool.put(key, kind, data, user_id=user_id, order_id=order_id, not_before=time.time() + lease):
            log.info("payment update %s spooled as %s", update.update_id, key)
        if kind == SUCCESSFUL and order_id is not None:
            self._holds[key] = order_id
        return key

    def accept(self, update: Update) -> None:
        """Webhook: spool now (an exception means "not recorded": answer non-2xx), apply in the background."""
        if self.spool_update(update, lease=0) is not None:
            self._wake.set()

    async def receive(self, bot: Bot, update: Update) -> None:
        """The dispatcher's path for a payment update: spool it, then try to apply it at once."""
        try:
            key = self.spool_update(update)
        except Exception:
            log.critical("payment update %s could not be spooled", update.update_id, exc_info=True)
            await self._unspooled(bot, update)
            return
        entry = self.spool.get(key) if key is not None else None
        if entry is not None:
            await self._attempt(entry, bot)

    async def _unspooled(self, bot: Bot, update: Update) -> None:
        """The local disk refused the write: apply directly; if that fails too, a person must take over."""
        kind = payment_kind(update)
        assert kind is not None and update.message is not None
        try:
            await self._apply[kind](self.ctx, bot, update.message, False)
            return
        except Exception as exc:
            log.critical("UNRECORDED PAYMENT (spool and database failed): %s", update.model_dump_json(), exc_info=exc)
            key, user_id, order_id = _describe(update)
            await self._tell_buyer(bot, update.message, order_id)
            await self._tell_admins(bot, key, user_id, order_id, repr(exc))

    # ---- applying -----------------------------------------------------------------------------------------

    async def _attempt(self, entry: SpoolEntry, bot: Bot) -> bool:
        if entry.key in self._inflight:
            return False
        self._inflight.add(entry.key)
        try:
            try:
                message = Update.model_validate(entry.update, context={"bot": bot}).message
                assert message is not None
            except Exception as exc:
                # Written from a valid update, so only an aiogram upgrade could get here: keep it for a person.
                log.exception("payment spool entry %s cannot be read back", entry.key)
                with contextlib.suppress(Exception):
                    self.spool.failed(entry.key, time.time() + self.settings.inbox_retry_max_seconds, repr(exc))
                return False
            try:
                await self._apply[entry.kind](self.ctx, bot, message, entry.attempts > 0)
            except Exception as exc:
                await self._failed(entry, bot, message, exc)
                return False
            self._holds.pop(entry.key, None)
            try:
                self.spool.remove(entry.key)
            except Exception:
                # Recorded in the database; a replay of the entry is a harmless duplicate.
                log.exception("could not remove %s from the payment spool", entry.key)
            return True
        finally:
            self._inflight.discard(entry.key)

    async def _failed(self, entry: SpoolEntry, bot: Bot, message: Message, exc: Exception) -> None:
        attempts = entry.attempts + 1
        delay = min(self.settings.inbox_retry_max_seconds, self.settings.inbox_retry_seconds * 2 ** (attempts - 1))
        log.warning(
            "payment %s not recorded yet (attempt %d, next in %.1fs): %r",
            entry.key,
            attempts,
            delay,
            exc,
            exc_info=attempts == 1,
        )
        with contextlib.suppress(Exception):
            self.spool.failed(entry.key, time.time() + delay, repr(exc))
        buyer_waits = entry.kind == SUCCESSFUL and not entry.buyer_told
        if buyer_waits and await self._tell_buyer(bot, message, entry.order_id):
            with contextlib.suppress(Exception):
                self.spool.mark(entry.key, buyer_told=True)
        stuck = attempts >= ALERT_AFTER_ATTEMPTS and not entry.admins_told
        if stuck and await self._tell_admins(bot, entry.key, entry.user_id, entry.order_id, repr(exc)):
            with contextlib.suppress(Exception):
                self.spool.mark(entry.key, admins_told=True)
        self._wake.set()

    async def _tell_buyer(self, bot: Bot, message: Message, order_id: int | None) -> bool:
        """Straight through Telegram (the outbox lives in the database, which may be what is down)."""
        lang = language_from_telegram(message.from_user.language_code if message.from_user else None)
        text = t(lang, "payment_inbox.recording", order_id=order_id or "?")
        try:
            await bot.send_message(message.chat.id, text)
        except Exception:
            log.exception("could not tell the buyer in chat %s that their payment is being recorded", message.chat.id)
            return False
        return True

    async def _tell_admins(self, bot: Bot, key: str, user_id: int | None, order_id: int | None, error: str) -> bool:
        told = False
        for admin_id in self.ctx.settings.admins:
            text = t(
                self.ctx.settings.shop.default_language,
                "payment_inbox.admin_stuck",
                key=key,
                buyer_id=user_id or "?",
                order_id=order_id or "?",
                error=error[:300],
            )
            try:
                await bot.send_message(admin_id, text, parse_mode=None)
                told = True
            except Exception:
                log.exception("could not alert admin %s about stuck payment %s", admin_id, key)
        return told

    # ---- retrying -----------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Replay what a previous run left (at once, in the background) and keep retrying."""
        self.spool.make_all_due(time.time())
        left = len(self.spool.all())
        if left:
            log.warning("payment inbox: %d payment update(s) from before the restart to record", left)
        self._task = asyncio.create_task(self._run(), name="payment-inbox")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None

    def close(self) -> None:
        self.spool.close()

    def wake(self) -> None:
        self._wake.set()

    async def drain_once(self) -> int:
        """Apply every due entry once; the number recorded."""
        done = 0
        for entry in self.spool.due(time.time()):
            done += await self._attempt(entry, self.ctx.bot)
        return done

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.drain_once()
                next_due = self.spool.next_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("payment inbox pass failed")
                next_due = None
            timeout = IDLE_SECONDS if next_due is None else min(IDLE_SECONDS, max(0.05, next_due - time.time()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    # ---- reservations -------------------------------------------------------------------------------------

    def holds_order(self, order_id: int) -> bool:
        return order_id in self._holds.values()

    def pending(self) -> list[SpoolEntry]:
        return self.spool.all()


def defer_expiry(ctx: AppContext, order_id: int) -> Callable[[], Awaitable[None]] | None:
    """For the expiry job: a payment for this order is in the spool, so hold the reservation a little longer
    instead of expiring it (the hold is moved after the job's own transaction has finished)."""
    inbox = of(ctx)
    if inbox is None or not inbox.holds_order(order_id):
        return None

    async def hold() -> None:
        await payments.hold_for_payment(ctx.db, order_id)

    log.info("order %s keeps its reservation: its payment is in the inbox", order_id)
    return hold


class InboxDispatcher(Dispatcher):
    """aiogram's Dispatcher with the payment inbox in front of every middleware and the error handler."""

    payment_inbox: PaymentInbox | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.in_flight = InFlight()

    def _process_update(
        self, bot: Bot, update: Update, call_answer: bool = True, **kwargs: Any
    ) -> Coroutine[Any, Any, bool]:
        # Polling calls this as each update comes out of getUpdates, before the next getUpdates confirms it to
        # Telegram (even when updates are handled as tasks): spool the payment now, synchronously.
        if self.payment_inbox is not None and payment_kind(update) is not None:
            try:
                self.payment_inbox.spool_update(update)
            except Exception:
                log.exception("early spool of update %s failed (retried when it is handled)", update.update_id)
        return self.in_flight.track(super()._process_update(bot, update, call_answer, **kwargs))

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        if self.payment_inbox is not None and payment_kind(update) is not None:
            await self.payment_inbox.receive(bot, update)
            return None
        return await super().feed_update(bot, update, **kwargs)


def install(ctx: AppContext, dp: InboxDispatcher, apply: dict[str, Applier]) -> PaymentInbox:
    """Open this process's spool and put the inbox in front of `dp`; `apply` maps each payment kind to the
    function that records it (the composition root passes the payment handlers)."""
    inbox = PaymentInbox(ctx, PaymentSpool(spool_path(ctx.settings)), apply)
    dp.payment_inbox = inbox
    return inbox
