"""A clock a test moves itself: `now()` (UTC datetime), `monotonic()` and `sleep()` that lets time pass at once.

Production objects take these as injectable parameters (real clocks by default), so a test of a timing rule
(a retry-after delay, a pacing gap, a refresh window) moves time instead of sleeping and does not depend on
the machine's speed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass
class MovedClock:
    start: datetime = field(default_factory=lambda: datetime.now(UTC))
    elapsed: float = 0.0
    slept: list[float] = field(default_factory=list)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return 1000.0 + self.elapsed

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.elapsed += seconds

    async def sleep(self, seconds: float) -> None:
        """The wait passes at once; the event loop still gets its turn, as with a real sleep."""
        self.slept.append(seconds)
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


async def eventually(check: Callable[[], Awaitable[object]], timeout: float = 10.0) -> None:
    """Wait for a condition that background work (a scheduler task, a database re-read) makes true. The
    timeout is only an upper bound on a stall; nothing here waits for a rule's time to pass."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() >= deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.01)
