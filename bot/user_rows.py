"""Users first seen on the storm path get their rows written in batches, behind the flash-sale gate.

A flash sale is announced to groups, so most tappers have never talked to the bot. Creating each row before
answering the tap (one transaction per tap, unbounded) is what made a cold storm crawl and then time out on the
connection pool. Here a tap only queues the user; one writer upserts the queue every few milliseconds
(`INSERT ... ON CONFLICT DO NOTHING`, many rows per statement), holding one of the storm path's database slots.
The next ordinary update of that user goes through `users.ensure_user` as usual (an upsert too), so a row still
queued when the process dies is written then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from store import users
from store.db import Database
from store.users import NewUser

if TYPE_CHECKING:
    from bot.context import AppContext

log = logging.getLogger(__name__)


class UserRowWriter:
    def __init__(
        self, db: Database, slots: asyncio.Semaphore, *, flush_delay: float = 0.005, max_batch: int = 2000
    ) -> None:
        self.db = db
        self.slots = slots
        self.flush_delay = flush_delay
        self.max_batch = max_batch
        self._queue: dict[int, NewUser] = {}
        # Ids written (or found) by this process: a user tapping again costs nothing.
        self._done: set[int] = set()
        self._writer: asyncio.Task[None] | None = None
        self.written = 0

    def add(self, user: NewUser) -> None:
        if user.id in self._done or user.id in self._queue:
            return
        self._queue[user.id] = user
        if self._writer is None:
            self._writer = asyncio.create_task(self._write(), name="flash-user-rows")

    async def _write(self) -> None:
        try:
            await asyncio.sleep(self.flush_delay)
            while self._queue:
                ids = list(self._queue)[: self.max_batch]
                batch = [self._queue.pop(i) for i in ids]
                try:
                    async with self.slots:
                        created = await users.create_users(self.db, batch)
                except Exception:
                    # Not lost: the user's next ordinary update creates the row (ensure_user), and a won unit's
                    # batch creates it with the order.
                    log.exception("writing %d user rows failed", len(batch))
                    continue
                self.written += len(created)
                self._done.update(ids)
        finally:
            self._writer = None
            if self._queue:
                self._writer = asyncio.create_task(self._write(), name="flash-user-rows")

    async def drain(self) -> None:
        while self._writer is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._writer)


def user_rows_for(ctx: AppContext) -> UserRowWriter:
    return ctx.user_rows
