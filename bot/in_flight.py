"""Updates this process has taken from Telegram and not finished handling.

Production polls with `handle_as_tasks=True`: aiogram confirms a batch with the next getUpdates while its
updates are still being handled in tasks of their own, and it does not wait for those tasks when polling
stops. The runner waits here for them before the application closes the database; the sandbox tells its
emulator that an action is settled only once the bot is idle again."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

IdleListener = Callable[[], Awaitable[None]]


class InFlight:
    def __init__(self) -> None:
        self.count = 0
        self._idle: asyncio.Event | None = None
        self.on_idle: list[IdleListener] = []

    @property
    def busy(self) -> bool:
        return self.count > 0

    def track(self, handling: Coroutine[Any, Any, T]) -> Coroutine[Any, Any, T]:
        """Count the update as taken now (synchronously, before the poll that confirms it to Telegram) and as
        done when `handling` ends, however it ends."""
        self.count += 1
        if self._idle is not None:
            self._idle.clear()
        return self._finish(handling)

    async def _finish(self, handling: Coroutine[Any, Any, T]) -> T:
        try:
            return await handling
        finally:
            self.count -= 1
            if self.count == 0:
                if self._idle is not None:
                    self._idle.set()
                for listener in self.on_idle:
                    with contextlib.suppress(Exception):
                        await listener()

    async def wait_idle(self, timeout: float) -> bool:
        """True once nothing is in flight; False if `timeout` seconds pass first."""
        if self.count == 0:
            return True
        if self._idle is None:
            self._idle = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)
        return self.count == 0
