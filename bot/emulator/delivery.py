"""The bot's update queue: getUpdates long polling, webhook delivery, and "settled" tracking.

An update is settled when the bot confirmed it: a later getUpdates with offset > update_id (aiogram polling with
handle_as_tasks=False asks for the next batch only after handling the previous one), or a 2xx webhook answer;
and, when an in-process bot reports it (`bot_busy`, as bot.sandbox does for production's handle_as_tasks=True),
once the bot has finished handling what it confirmed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.emulator.errors import bad_request, conflict
from bot.emulator.rules import Clock
from bot.emulator.state import JSON, Webhook
from bot.emulator.updates import DEFAULT_EXCLUDED, UPDATE_TYPES, now, update_kind

log = logging.getLogger(__name__)

WebhookReply = Callable[[JSON], Awaitable[None]]


class SettleTimeout(Exception):
    pass


class UpdateQueue:
    def __init__(self, clock: Clock, first_update_id: int = 1000) -> None:
        self.clock = clock
        self.pending: list[JSON] = []
        self.next_update_id = first_update_id
        self.allowed: set[str] | None = None
        self.webhook = Webhook()
        self.dropped: list[JSON] = []  # filtered by allowed_updates: never delivered, kept for assertions
        self.last_poll: float | None = None
        self.busy = 0  # user actions still waiting for the bot (pre-checkout / inline answers)
        # Set by an in-process bot that handles updates as tasks (bot.sandbox): True while it is still handling
        # updates it already confirmed, so "settled" keeps meaning "the bot has finished with the action".
        self.bot_busy: Callable[[], bool] | None = None
        self._changed = asyncio.Condition()
        self._poll_generation = 0
        self._webhook_task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.on_webhook_reply: WebhookReply | None = None
        self.webhook_backoff = 1.0  # emulated seconds before the first retry; doubles up to 8 s

    # ---- producing -------------------------------------------------------------------------------------
    def is_allowed(self, kind: str) -> bool:
        if self.allowed:
            return kind in self.allowed
        return kind not in DEFAULT_EXCLUDED

    async def push(self, kind: str, payload: JSON) -> JSON:
        update = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        if not self.is_allowed(kind):
            self.dropped.append(update)
            return update
        self.pending.append(update)
        await self._notify()
        return update

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ---- polling ---------------------------------------------------------------------------------------
    @property
    def polls_received(self) -> int:
        """getUpdates calls that reached the queue (a test waits for its long poll to arrive, not for time)."""
        return self._poll_generation

    async def get_updates(
        self, offset: int | None, limit: int, timeout: float, allowed: list[str] | None
    ) -> list[JSON]:
        if self.webhook.url:
            raise conflict(
                "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
            )
        self.last_poll = self.clock.now()
        if allowed is not None:
            unknown = [kind for kind in allowed if kind not in UPDATE_TYPES]
            if unknown:
                raise bad_request(f"unsupported update type {unknown[0]!r} in allowed_updates")
            self.allowed = set(allowed)
        if offset is not None:
            self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        await self._notify()
        limit = min(100, max(1, limit))
        deadline = asyncio.get_running_loop().time() + max(0.0, timeout)
        async with self._changed:
            while not self.pending:
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0 or self.webhook.url:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), left)
                if generation != self._poll_generation:
                    raise conflict(
                        "terminated by other getUpdates request; make sure that only one bot instance is running"
                    )
        self.last_poll = self.clock.now()
        if self.webhook.url:
            raise conflict("terminated by setWebhook request")
        return list(self.pending[:limit])

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self.pending = self.pending[offset:]
        else:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]

    # ---- webhook ---------------------------------------------------------------------------------------
    async def set_webhook(
        self, url: str, secret: str | None, allowed: list[str] | None, max_connections: int, drop_pending: bool
    ) -> None:
        self.webhook = Webhook(url=url, secret_token=secret, max_connections=max_connections)
        if allowed is not None:
            self.allowed = set(allowed)
        if drop_pending:
            self.pending.clear()
        self._ensure_worker()
        await self._notify()

    async def delete_webhook(self, drop_pending: bool) -> None:
        self.webhook = Webhook()
        if drop_pending:
            self.pending.clear()
        await self._notify()

    def webhook_info(self) -> JSON:
        info: JSON = {
            "url": self.webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending),
        }
        if self.webhook.url:
            info["max_connections"] = self.webhook.max_connections
            info["ip_address"] = "127.0.0.1"
            if self.allowed:
                info["allowed_updates"] = sorted(self.allowed)
        if self.webhook.last_error_date:
            info["last_error_date"] = self.webhook.last_error_date
            info["last_error_message"] = self.webhook.last_error_message
        return info

    def _ensure_worker(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._webhook_loop())

    async def _webhook_loop(self) -> None:
        failures = 0
        while True:
            async with self._changed:
                while not (self.webhook.url and self.pending):
                    await self._changed.wait()
            update = self.pending[0]
            ok = await self._post(update)
            if ok:
                failures = 0
                if self.pending and self.pending[0] is update:
                    self.pending.pop(0)
                await self._notify()
                continue
            failures += 1
            delay = min(8.0, self.webhook_backoff * 2 ** (failures - 1))
            await asyncio.sleep(self.clock.seconds(delay))

    async def _post(self, update: JSON) -> bool:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {}
        if self.webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook.secret_token
        try:
            async with self._session.post(
                self.webhook.url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=60)
            ) as resp:
                body = await resp.read()
                if 200 <= resp.status < 300:
                    await self._webhook_reply(resp.content_type, body)
                    return True
                self._record_error(f"Wrong response from the webhook: {resp.status} {resp.reason}")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            self._record_error(f"Connection failed: {type(exc).__name__}")
        return False

    async def _webhook_reply(self, content_type: str, body: bytes) -> None:
        """A webhook may answer with one Bot API call in its response body; Telegram executes it."""
        if content_type != "application/json" or not body or self.on_webhook_reply is None:
            return
        import json

        try:
            data: Any = json.loads(body)
        except ValueError:
            return
        if isinstance(data, dict) and isinstance(data.get("method"), str):
            await self.on_webhook_reply(data)

    def _record_error(self, message: str) -> None:
        self.webhook.last_error_date = now()
        self.webhook.last_error_message = message
        log.info("webhook delivery failed: %s", message)

    # ---- settle ----------------------------------------------------------------------------------------
    def unsettled(self) -> list[int]:
        return [u["update_id"] for u in self.pending]

    async def settle(self, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._changed:
            while self.pending or self.busy or (self.bot_busy is not None and self.bot_busy()):
                left = deadline - loop.time()
                if left <= 0:
                    raise SettleTimeout(self._describe_stall(timeout))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(left, 0.25))

    def _describe_stall(self, timeout: float) -> str:
        ids = self.unsettled()
        kinds = [update_kind(u) for u in self.pending]
        if self.webhook.url:
            how = f"webhook {self.webhook.url} (last error: {self.webhook.last_error_message})"
        elif self.last_poll is None:
            how = "no getUpdates call was ever made (is the bot polling this emulator?)"
        else:
            how = f"last getUpdates call {self.clock.now() - self.last_poll:.1f}s ago"
        return f"bot did not confirm updates {ids} ({kinds}) within {timeout:.1f}s; {how}"

    async def mark_busy(self, delta: int) -> None:
        self.busy += delta
        await self._notify()

    async def wake(self) -> None:
        await self._notify()

    def reset(self) -> None:
        self.pending.clear()
        self.dropped.clear()
        self.allowed = None
        self.webhook = Webhook()
        self.busy = 0

    async def close(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._webhook_task
        if self._session is not None:
            await self._session.close()
