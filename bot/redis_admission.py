"""The Redis admission gate: `store.flashsale.AdmissionGate` for several bot processes sharing one sale.

Each process's memory gate believes it may sell every unit, so with N processes a storm sends up to N times the
stock to the database, and the losers of that race are told "sold out" only after a transaction. With
`redis.url` set the counted part of a tap is decided in Redis instead, by one atomic script per tap (one round
trip): the units left and the user's units, answering won (a unit is reserved) / limit / sold out. Sold-out
taps end there, with no database work in any process. The rest (the sale's rules, batches, database slots) is
shared with the memory gate: bot/admission_batches.py. The database stays the final arbiter: a batch still takes
its units with a conditional update and unique claim rows, so a wrong counter can only cost an answer.

Keys, per bot (`namespace`) and sale, all expiring an hour after the sale's end:
- `left`: units not yet reserved. Seeded from the database (stock - sold) with SET NX by whichever process reads
  the sale first, so every process agrees.
- `users`: units per user (seeded from the claim rows).
- `pending` (`<process>|<user>` -> reserved, not yet committed) and `beat` (`<process>` -> last sign of life):
  what each process holds in its batches.
- `settled`: how many batches were settled, so a reconcile can tell that its database read may be stale.

The counter follows the database tap by tap: when a batch settles, a tap the database refused is rolled back in
the same script (the user's count goes back; the unit goes back too when the database gave it back: a failed
batch, or "limit" because Redis did not know a claim of that user; for "sold out" the database had no unit,
so the counter was one too high and stays decremented). The database's own numbers are taken again
("reconcile": left = stock - sold - live reservations) when they may say otherwise: a change committed by this
process (an order expired or was cancelled and gave its unit back, an edit), and a background re-read while sold
out, at most every `refresh_seconds`. A reconcile is skipped if a batch settled between the database read and the
script (the read may have missed its units; the next one will do). Reservations of a process silent for
`stale_seconds` (killed mid-storm) are given back by a reconcile, units and users' counts alike.

While Redis is unreachable a tap is answered "tap again" (nothing was taken): a process that guessed alone
could only send taps to the database that it must then refuse.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.admission_batches import BatchedAdmission
from bot.admission_batches import SaleGate as SaleGate
from store import flashsale
from store.flashsale import BatchResult, ClaimRequest, ClaimResult, GateSnapshot

log = logging.getLogger(__name__)

KEEP_AFTER_END = timedelta(hours=1)  # the gate answers "ended" from the sale's times; the keys only wait for that
STALE_SECONDS = 30.0

# Shared by the scripts: KEYS[1] left, KEYS[2] users, KEYS[3] pending, KEYS[4] beat, KEYS[5] settled (how many
# batches were settled: a reconcile whose database read may have missed one is skipped). `live_pending(stale_ms)`
# sums the reservations of live processes and gives back (to users' counts) those of silent ones.
_COMMON = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function live_pending(stale_ms)
  local sum = 0
  local beats = {}
  local entries = redis.call('HGETALL', KEYS[3])
  for i = 1, #entries, 2 do
    local field, n = entries[i], tonumber(entries[i + 1])
    local owner, user = string.match(field, '^(.*)|([^|]*)$')
    if beats[owner] == nil then beats[owner] = tonumber(redis.call('HGET', KEYS[4], owner) or '0') end
    if beats[owner] >= now - stale_ms then
      sum = sum + math.max(0, n)
    else
      redis.call('HDEL', KEYS[3], field)
      if n > 0 and redis.call('HINCRBY', KEYS[2], user, -n) < 0 then redis.call('HSET', KEYS[2], user, 0) end
    end
  end
  for owner, beat in pairs(beats) do
    if beat < now - stale_ms then redis.call('HDEL', KEYS[4], owner) end
  end
  return sum
end
local function expire_all(at)
  for i = 1, #KEYS do redis.call('PEXPIREAT', KEYS[i], at) end
end
"""

# ARGV: user, per-user limit, process, expiry (ms since the epoch).
# Returns -1 (not seeded: read the sale), -2 (limit), 0 (sold out), or the user's unit number (admitted).
_TAP = (
    _COMMON
    + """
local left = redis.call('GET', KEYS[1])
if not left then return -1 end
local n = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if n >= tonumber(ARGV[2]) then return -2 end
if tonumber(left) <= 0 then return 0 end
redis.call('DECR', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[1], n + 1)
redis.call('HINCRBY', KEYS[3], ARGV[3] .. '|' .. ARGV[1], 1)
redis.call('HSET', KEYS[4], ARGV[3], now)
expire_all(tonumber(ARGV[4]))
return n + 1
"""
)

# ARGV: process, per-user limit, expiry, then (user, action) pairs: w (won), l (refused: the database says the
# user has the limit; the unit went back to the pool), f (the batch failed: nothing was taken), r (refused: the
# database had no unit for it, or the sale is over). The counter follows the database tap by tap: a unit is given
# back for l and f; for r the database had no unit, so the counter was one too high and stays decremented.
_SETTLE = (
    _COMMON
    + """
local limit = tonumber(ARGV[2])
local back = 0
for i = 4, #ARGV, 2 do
  local user, action = ARGV[i], ARGV[i + 1]
  local field = ARGV[1] .. '|' .. user
  if redis.call('HINCRBY', KEYS[3], field, -1) <= 0 then redis.call('HDEL', KEYS[3], field) end
  if action == 'l' then
    if tonumber(redis.call('HGET', KEYS[2], user) or '0') < limit then redis.call('HSET', KEYS[2], user, limit) end
    back = back + 1
  elseif action ~= 'w' then
    if redis.call('HINCRBY', KEYS[2], user, -1) < 0 then redis.call('HSET', KEYS[2], user, 0) end
    if action == 'f' then back = back + 1 end
  end
end
redis.call('HSET', KEYS[4], ARGV[1], now)
redis.call('INCR', KEYS[5])
if back > 0 and redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCRBY', KEYS[1], back) end
expire_all(tonumber(ARGV[3]))
return back
"""
)

# ARGV: mode (seed: only if nobody has; sync: set from the database), units the database has left, stale_ms,
# expiry, `settled` as read before the database was (sync is skipped, returning -1, if a batch settled since: the
# read may have missed its units), then (user, units claimed) pairs from the claim rows. Returns the units left.
_SYNC = (
    _COMMON
    + """
if ARGV[1] == 'sync' and (redis.call('GET', KEYS[5]) or '0') ~= ARGV[5] then return -1 end
local value = math.max(0, tonumber(ARGV[2]) - live_pending(tonumber(ARGV[3])))
if ARGV[1] == 'seed' then
  if not redis.call('SET', KEYS[1], value, 'NX', 'PXAT', ARGV[4]) then
    return tonumber(redis.call('GET', KEYS[1]))
  end
else
  redis.call('SET', KEYS[1], value, 'PXAT', ARGV[4])
end
for i = 6, #ARGV, 2 do
  if tonumber(redis.call('HGET', KEYS[2], ARGV[i]) or '0') < tonumber(ARGV[i + 1]) then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  end
end
expire_all(tonumber(ARGV[4]))
return value
"""
)

_NOT_SEEDED, _LIMIT, _SOLD_OUT = -1, -2, 0
_ACTIONS = {flashsale.WON: "w", flashsale.LIMIT: "l"}


def _epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


class RedisAdmissionGate(BatchedAdmission):
    def __init__(
        self,
        *args: Any,
        url: str,
        namespace: str = "bot",
        stale_seconds: float = STALE_SECONDS,
        timeout: float = 5.0,
        retry_seconds: float = 1.0,
        max_connections: int = 32,
        **kwargs: Any,
    ) -> None:
        from redis.asyncio import BlockingConnectionPool, Redis

        super().__init__(*args, **kwargs)
        # A storm waits for a pooled connection (each script call holds one for well under a millisecond).
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
        )
        self.redis: Redis = Redis.from_pool(pool)
        self.prefix = f"groupcart:flash:{namespace}:"
        self.stale_ms = int(stale_seconds * 1000)
        self.retry_seconds = retry_seconds
        self.me = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        self._tap: Any = self.redis.register_script(_TAP)
        self._settle_script: Any = self.redis.register_script(_SETTLE)
        self._sync: Any = self.redis.register_script(_SYNC)
        self._down_until = 0.0
        # Settlements Redis did not take (it was unreachable): sent again with the next batch's.
        self._owed: dict[int, list[tuple[int, str]]] = {}
        self._seeding: dict[int, asyncio.Task[None]] = {}

    def keys(self, sale_id: int) -> list[str]:
        base = f"{self.prefix}{sale_id}:"
        return [f"{base}left", f"{base}users", f"{base}pending", f"{base}beat", f"{base}settled"]

    def _expiry(self, gate: SaleGate) -> int:
        return _epoch_ms(max(gate.ends_at, self._clock()) + KEEP_AFTER_END)

    # ------------------------------------------------------------------------------------------ taps

    async def _admit(self, gate: SaleGate, user_id: int) -> ClaimResult | int:
        if time.monotonic() < self._down_until:
            return ClaimResult(flashsale.RETRY)
        try:
            for _ in range(2):
                got = int(
                    await self._tap(
                        keys=self.keys(gate.sale_id), args=[user_id, gate.limit, self.me, self._expiry(gate)]
                    )
                )
                if got != _NOT_SEEDED:
                    break
                await self._reseed(gate)
        except Exception as exc:
            log.warning("Redis unavailable, flash taps answered 'tap again' for %ss: %r", self.retry_seconds, exc)
            self._down_until = time.monotonic() + self.retry_seconds
            return ClaimResult(flashsale.RETRY)
        if got == _LIMIT:
            return ClaimResult(flashsale.LIMIT)
        if got <= 0:
            return ClaimResult(flashsale.SOLD_OUT if got == _SOLD_OUT else flashsale.RETRY)
        return got

    async def _held(self, gate: SaleGate, user_id: int) -> ClaimResult | None:
        """Two reads (no script): the first tap may have been decided by another process."""
        keys = self.keys(gate.sale_id)
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.hget(keys[1], str(user_id))
                pipe.get(keys[0])
                count, left = await pipe.execute()
        except Exception as exc:
            log.info("flash sale %s: a repeated tap not told from Redis: %r", gate.sale_id, exc)
            return None
        units = int(count or 0)
        if units >= gate.limit:
            return ClaimResult(flashsale.LIMIT)
        if units > 0:
            return ClaimResult(flashsale.HELD)
        return ClaimResult(flashsale.SOLD_OUT) if left is not None and int(left) <= 0 else None

    async def _committed(
        self, gate: SaleGate, requests: list[ClaimRequest], results: list[ClaimResult], batch: BatchResult | None
    ) -> None:
        actions = [
            (r.user_id, "f" if batch is None else _ACTIONS.get(res.outcome, "r"))
            for r, res in zip(requests, results, strict=True)
        ]
        owed = self._owed.pop(gate.sale_id, [])
        args: list[Any] = [self.me, gate.limit, self._expiry(gate)]
        for user_id, action in owed + actions:
            args += [user_id, action]
        try:
            await self._settle_script(keys=self.keys(gate.sale_id), args=args)
        except Exception as exc:
            log.warning("flash sale %s: Redis did not take a batch's outcome, kept for the next: %r", gate.sale_id, exc)
            self._owed[gate.sale_id] = owed + actions

    async def _mark(self, sale_id: int) -> Any:
        try:
            return await self.redis.get(self.keys(sale_id)[4]) or b"0"
        except Exception:
            return None

    async def _synced(self, gate: SaleGate, snap: GateSnapshot, *, first: bool, full: bool, mark: Any) -> None:
        try:
            await self._seed(gate, snap, "seed" if first else "sync", mark)
        except Exception as exc:
            log.warning("flash sale %s: Redis not reconciled with the database: %r", gate.sale_id, exc)

    async def _reseed(self, gate: SaleGate) -> None:
        """Nobody seeded the sale yet, or Redis lost it (a restart): seed it from the database, one read for all
        the taps that found it missing at once."""
        task = self._seeding.get(gate.sale_id)
        if task is None:

            async def seed() -> None:
                async with self.slots:
                    snap = await flashsale.gate_snapshot(self.db, gate.sale_id)
                await self._seed(gate, snap, "seed", None)

            task = asyncio.create_task(seed())
            self._seeding[gate.sale_id] = task
            task.add_done_callback(lambda _t: self._seeding.pop(gate.sale_id, None))
        await asyncio.shield(task)

    async def _seed(self, gate: SaleGate, snap: GateSnapshot, mode: str, mark: Any) -> None:
        if mode == "sync" and mark is None:
            return  # Redis did not answer before the read: nothing to compare with
        settled = mark.decode() if isinstance(mark, bytes) else str(mark or "0")
        args: list[Any] = [mode, max(0, snap.stock - snap.sold), self.stale_ms, self._expiry(gate), settled]
        for user_id, n in snap.counts.items():
            args += [user_id, n]
        await self._sync(keys=self.keys(gate.sale_id), args=args)

    async def close(self) -> None:
        await self.redis.aclose()
