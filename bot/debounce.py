"""Redraws coalesced per key and done in the background, paced: what both live group cards need.

A caller asks for work on an item under a key (a sale, a group chat) and returns at once. Each key has one
background task that works through its items in order; an item asked for again while it still waits is done
once, with whatever state there is when its turn comes. Two pacings, per key:

- `delay`: a pause before each item, so that a burst of requests becomes one piece of work after it
  (bot/flash_cards.py: the count of a sale is redrawn a full period after the first buy, once for all of them);
- `gap`: the least time between two pieces of work for one key, counted from the last one (or from
  `note`, something sent to that chat by other means); the first after a quiet spell starts at once
  (bot/groupbuy_cards.py: Telegram's edit limit in a group).

The work raises `RetryLater` to have its item put back at the head of the queue and the key rested for a while
(Telegram's 429). Any other exception is the work's own business: it should log it; one that escapes is logged
here and the queue goes on. `close` drops what is still waiting and cancels the tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
T = TypeVar("T", bound=Hashable)


class RetryLater(Exception):
    """Raised by the work: the item was not done; try it again first, after `seconds` (plus the gap)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class Debouncer(Generic[K, T]):
    """Per key, a queue of distinct items worked through by one background task, paced by `delay` and `gap`."""

    def __init__(
        self, work: Callable[[K, T], Awaitable[None]], *, name: str, delay: float = 0.0, gap: float = 0.0
    ) -> None:
        self.work = work
        self.name = name  # task names are f"{name}:{key}"
        self.delay = delay
        self.gap = gap
        self._queues: dict[K, deque[T]] = {}
        self._last: dict[K, float] = {}  # monotonic time of the key's last piece of work (or rest until)
        self._tasks: dict[K, asyncio.Task[None]] = {}

    def request(self, key: K, item: T) -> None:
        """Work on `item` soon; asked again before its turn, it is still done once."""
        queue = self._queues.setdefault(key, deque())
        if item not in queue:
            queue.append(item)
        task = self._tasks.get(key)
        if task is None or task.done():
            self._tasks[key] = asyncio.create_task(self._drain(key, queue), name=f"{self.name}:{key}")

    def note(self, key: K) -> None:
        """Something just went to this key by other means: the gap counts from now."""
        self._last[key] = time.monotonic()

    async def idle(self) -> None:
        """Wait until every requested item is done (tests)."""
        while any(not task.done() for task in self._tasks.values()):
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def close(self) -> None:
        """Shutdown: what still waits is dropped, a piece of work under way is cancelled; nothing is raised."""
        for queue in self._queues.values():
            queue.clear()
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self._queues.clear()

    async def _drain(self, key: K, queue: deque[T]) -> None:
        while queue:
            wait = max(self.delay, self._last.get(key, -1e9) + self.gap - time.monotonic())
            if wait > 0:
                await asyncio.sleep(wait)
            item = queue.popleft()
            try:
                await self.work(key, item)
            except RetryLater as exc:
                if item not in queue:
                    queue.appendleft(item)
                self._last[key] = time.monotonic() + exc.seconds
                continue
            except Exception:
                log.exception("%s %r: %r not done", self.name, key, item)
            self._last[key] = time.monotonic()
        if self._queues.get(key) is queue:
            del self._queues[key]
