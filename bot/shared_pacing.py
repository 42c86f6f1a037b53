"""One send budget for every process of the bot: Telegram's limits (about 30 messages a second in total, one a
second per chat after a short burst, twenty a minute per group) hold for the bot, not for each process.

With `redis.url` set, each send reserves its slot in Redis with one atomic script (the same rules as
bot.chat_pacing.SendSchedule: a sliding window for the bot-wide and per-group limits, a burst-then-rate bucket
per chat), timed by the Redis server's clock so that processes on several hosts agree. While Redis is
unreachable a process falls back to its own schedule rather than stopping its sends."""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.chat_pacing import SendSchedule, _is_group
from bot.config.sections import PacingSettings

log = logging.getLogger(__name__)

# KEYS: bot-wide window, chat bucket, group window. ARGV: global limit, chat interval, chat burst, group limit,
# uses chat (0/1), uses group (0/1), a member name unique to this reservation. Returns the wait in seconds.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local function window_at(key, limit, span)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
  if redis.call('ZCARD', key) < limit then return now end
  local s = redis.call('ZRANGE', key, -limit, -limit, 'WITHSCORES')
  return math.max(now, tonumber(s[2]) + span)
end
local global_limit, interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local group_limit, use_chat, use_group = tonumber(ARGV[4]), ARGV[5] == '1', ARGV[6] == '1'
local at = window_at(KEYS[1], global_limit, 1.0)
local next_free = 0
if use_chat then
  next_free = tonumber(redis.call('GET', KEYS[2]) or '0')
  at = math.max(at, next_free - (burst - 1) * interval)
end
if use_group then at = math.max(at, window_at(KEYS[3], group_limit, 60.0)) end
redis.call('ZADD', KEYS[1], at, ARGV[7])
redis.call('PEXPIRE', KEYS[1], math.ceil((at - now + 1.0) * 1000) + 1000)
if use_chat then
  local free = math.max(next_free, at) + interval
  redis.call('SET', KEYS[2], tostring(free), 'PX', math.ceil((free - now) * 1000) + 1000)
end
if use_group then
  redis.call('ZADD', KEYS[3], at, ARGV[7])
  redis.call('PEXPIRE', KEYS[3], math.ceil((at - now + 60.0) * 1000) + 1000)
end
return tostring(at - now)
"""


class RedisSendSchedule(SendSchedule):
    """SendSchedule whose slots live in Redis (shared by processes); `namespace` separates bots."""

    def __init__(
        self,
        settings: PacingSettings,
        url: str,
        namespace: str = "bot",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        *,
        timeout: float = 2.0,
        retry_seconds: float = 1.0,
    ) -> None:
        from redis.asyncio import BlockingConnectionPool, Redis

        super().__init__(settings, clock, *([sleep] if sleep is not None else []))
        pool = BlockingConnectionPool.from_url(
            url, max_connections=32, timeout=timeout, socket_connect_timeout=timeout, socket_timeout=timeout
        )
        self.redis: Redis = Redis.from_pool(pool)
        self.prefix = f"groupcart:pace:{namespace}:"
        self._script: Any = self.redis.register_script(_RESERVE)
        self._members = itertools.count()
        self._me = f"{os.getpid()}:{id(self)}"
        self.retry_seconds = retry_seconds
        self._down_until = 0.0

    async def claim(self, chat_id: int | str, *, counts_for_chat: bool) -> float:
        if time.monotonic() >= self._down_until:
            s = self.settings
            try:
                wait = await self._script(
                    keys=[f"{self.prefix}all", f"{self.prefix}chat:{chat_id}", f"{self.prefix}group:{chat_id}"],
                    args=[
                        max(1, int(s.global_per_second)),
                        1.0 / s.per_chat_per_second,
                        s.per_chat_burst,
                        s.per_group_per_minute,
                        int(counts_for_chat),
                        int(_is_group(chat_id)),
                        f"{self._me}:{next(self._members)}",
                    ],
                )
                return max(0.0, float(wait))
            except Exception as exc:
                log.warning("Redis unavailable, sends paced by this process alone: %r", exc)
                self._down_until = time.monotonic() + self.retry_seconds
        return self.reserve(chat_id, counts_for_chat=counts_for_chat)

    async def close(self) -> None:
        await self.redis.aclose()
