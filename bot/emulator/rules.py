"""Telegram's limits: flood control with an injectable clock, plus the small validators Telegram applies."""

from __future__ import annotations

import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.emulator.errors import too_many_requests

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200
INLINE_QUERY_LIMIT = 256  # characters of an inline query's text
INLINE_RESULTS_LIMIT = 50
INLINE_OFFSET_LIMIT = 64  # bytes of next_offset
DEEPLINK_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@dataclass
class Limits:
    """Telegram's documented limits in emulated seconds; `Clock.scale` shrinks them for fast tests."""

    per_chat_rate: float = 1.0  # messages per second to one chat, refilled continuously
    per_chat_burst: int = 3  # a fourth message inside one second is over the limit
    per_group_per_minute: int = 20
    global_per_second: int = 30
    pre_checkout_timeout: float = 10.0
    callback_answer_window: float = 15.0
    inline_answer_window: float = 10.0


class Clock:
    """Real monotonic time plus a scale: an emulated window of W seconds lasts W * scale real seconds.

    A frozen clock stands still until `advance` is called: flood windows and answer deadlines then count only
    what a test says happened, whatever the machine's speed (the fuzz test paces its users this way).
    """

    def __init__(self, scale: float = 1.0, now: Callable[[], float] = time.monotonic, *, frozen: bool = False) -> None:
        self.scale = scale
        self._now = now
        self._offset = 0.0
        self._frozen_at: float | None = now() if frozen else None

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def now(self) -> float:
        base = self._frozen_at if self._frozen_at is not None else self._now()
        return base + self._offset

    def advance(self, emulated: float) -> None:
        """Let `emulated` Telegram seconds pass at once (on a running clock too: they add to real time)."""
        if emulated < 0:
            raise ValueError("time only moves forward")
        self._offset += self.seconds(emulated)

    def seconds(self, emulated: float) -> float:
        return emulated * self.scale


# Clock readings are large floats (monotonic seconds since boot plus offsets): a window measured as their difference
# can come out a hair short of itself (3000.12 + 0.02 - 3000.12 = 0.0199999...). Limits compare with this slack so
# a wait that has fully passed is never refused because of rounding.
_EPSILON = 1e-9


def retry_after_seconds(real_wait: float) -> int:
    """Telegram's retry_after is a whole number of seconds; a bot waiting that long (real time) is always safe."""
    return max(1, math.ceil(real_wait - 1e-9))


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class FloodLimiter:
    limits: Limits
    clock: Clock
    enabled: bool = True
    _chat_buckets: dict[int, _Bucket] = field(default_factory=dict)
    _group_sends: dict[int, deque[float]] = field(default_factory=dict)
    _global_sends: deque[float] = field(default_factory=deque)

    def check_send(self, chat_id: int, is_group: bool) -> None:
        """Count one outgoing message or raise 429; nothing is consumed when the call is refused."""
        if not self.enabled:
            return
        now = self.clock.now()
        waits = [self._chat_wait(chat_id, now), self._global_wait(now)]
        if is_group:
            waits.append(self._group_wait(chat_id, now))
        worst = max(waits)
        if worst > 0:
            raise too_many_requests(retry_after_seconds(worst))
        self._chat_buckets[chat_id].tokens -= 1
        self._global_sends.append(now)
        if is_group:
            self._group_sends.setdefault(chat_id, deque()).append(now)

    def check_edit(self, chat_id: int, is_group: bool) -> None:
        """Edits in groups count toward the 20-per-minute group limit (as in Telegram), not the per-chat one."""
        if not self.enabled or not is_group:
            return
        now = self.clock.now()
        wait = self._group_wait(chat_id, now)
        if wait > 0:
            raise too_many_requests(retry_after_seconds(wait))
        self._group_sends.setdefault(chat_id, deque()).append(now)

    def reset(self) -> None:
        self._chat_buckets.clear()
        self._group_sends.clear()
        self._global_sends.clear()

    def _chat_wait(self, chat_id: int, now: float) -> float:
        period = self.clock.seconds(1.0 / self.limits.per_chat_rate)
        burst = float(self.limits.per_chat_burst)
        bucket = self._chat_buckets.get(chat_id)
        if bucket is None:
            bucket = self._chat_buckets[chat_id] = _Bucket(tokens=burst, updated=now)
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(burst, bucket.tokens + (elapsed / period if period > 0 else burst))
        bucket.updated = now
        if bucket.tokens >= 1 - _EPSILON:
            return 0.0
        return (1 - bucket.tokens) * period

    def _window_wait(self, sends: deque[float], limit: int, window: float, now: float) -> float:
        while sends and now - sends[0] >= window - _EPSILON:
            sends.popleft()
        if len(sends) < limit:
            return 0.0
        return window - (now - sends[0])

    def _group_wait(self, chat_id: int, now: float) -> float:
        sends = self._group_sends.setdefault(chat_id, deque())
        return self._window_wait(sends, self.limits.per_group_per_minute, self.clock.seconds(60.0), now)

    def _global_wait(self, now: float) -> float:
        return self._window_wait(self._global_sends, self.limits.global_per_second, self.clock.seconds(1.0), now)


def valid_deeplink_payload(payload: str) -> bool:
    return bool(DEEPLINK_RE.match(payload))
