"""What every admission gate of `store.flashsale.AdmissionGate` shares: the sale's rules as this process knows
them, the answers that need no counter (not started, ended, early access), and the batches.

A gate subclass decides only the counted part of a tap, `_admit`: the per-user limit and the units left, held in
this process's memory (bot/admission.py) or in Redis for every process (bot/redis_admission.py). Everything
else is here:

- the sale's status, times, stock and per-user limit are read from the database on the first tap (`_read`),
  re-read after a change committed by this process (after-commit hook) or `invalidate`, and re-read in the
  background at most every `refresh_seconds` while the counter says "sold out" or a start time has passed;
- an admitted tap is queued; every few milliseconds the queue is committed in ONE transaction
  (store.flashsale.commit_claims), whose conditional update and unique claim rows stay the source of truth, so
  a gate may admit more taps than there are units (two processes, a stale counter) and the batch tells those
  tappers "sold out": nothing is ever oversold;
- every database operation takes one of a few `slots` (a semaphore sized below the connection pool), so a storm
  queues in memory instead of piling up tasks that time out waiting for a connection;
- an admitted tap waits for its batch at most `budget` seconds, then hears "busy, you are in the queue" while
  its claim goes on (the winner hears through the private "you got it" message); a batch that fails answers
  "retry": nothing was taken, the tap may be repeated. A user who taps again while a claim of theirs is queued
  in this process waits for it (within the budget): a winner's double tap hears "you already got one".
- a double tap (the same button again within a second, merged by bot/tap_guard.py across processes) is one
  intent: its repeat goes to `repeat`, which takes nothing and tells what the user holds (a limit of 2 let the
  repeat take a second unit).

After each batch the subclass hears the database's numbers (`_committed`) and, after each read, the snapshot
(`_synced`), to bring its counter back in line with the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from store import flashsale
from store.db import Database
from store.flashsale import BatchResult, ClaimRequest, ClaimResult, GateSnapshot
from store.growth import tiers
from store.models import utcnow
from store.rules import policy
from store.users import NewUser

log = logging.getLogger(__name__)


def db_slots(db: Database) -> asyncio.Semaphore:
    """Concurrent database operations the storm path may hold: SQLite has one writer (and the gate's reads go to
    the reader engine), PostgreSQL's pool has 10 connections (+20 overflow) shared with every other handler."""
    return asyncio.Semaphore(2 if db.is_sqlite else 4)


@dataclass
class SaleGate:
    sale_id: int
    status: str
    starts_at: datetime
    ends_at: datetime
    stock: int
    limit: int
    # The memory gate's own counter: units it believes are left and each user's units (unused by Redis).
    remaining: int = 0
    counts: dict[int, int] = field(default_factory=dict)
    stale: bool = False
    checked_at: float = 0.0
    pending: list[tuple[ClaimRequest, asyncio.Future[ClaimResult]]] = field(default_factory=list)
    inflight: int = 0
    # Admitted claims of each user not yet committed: a user who taps again meanwhile waits for them (a double
    # tap of a winner hears "you already got one", not "busy").
    queued: dict[int, list[asyncio.Future[ClaimResult]]] = field(default_factory=dict)
    flusher: asyncio.Task[None] | None = None
    refresher: asyncio.Task[None] | None = None
    # Each user's tier head start, looked up once per sale, only for taps before the public start.
    early: dict[int, timedelta] = field(default_factory=dict)


class BatchedAdmission:
    """The shared half of an admission gate; subclasses fill `_admit` and may follow the database in `_synced`,
    `_committed` and `_settled`."""

    def __init__(
        self,
        db: Database,
        *,
        payment_window: timedelta,
        flush_delay: float = 0.002,
        refresh_seconds: float = 0.5,
        max_batch: int = 2000,
        slots: asyncio.Semaphore | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.payment_window = payment_window
        self.flush_delay = flush_delay
        self.refresh_seconds = refresh_seconds
        self.max_batch = max_batch
        self.slots = slots or db_slots(db)
        self._clock = clock
        self._gates: dict[int, SaleGate] = {}
        self._loads: dict[int, asyncio.Task[SaleGate]] = {}
        db.on_after_commit(self._after_commit)

    # ------------------------------------------------------------------------------------------ hooks

    async def _admit(self, gate: SaleGate, user_id: int) -> ClaimResult | int:
        """The counted decision for a live sale: an answer (limit, sold out, retry), or the user's unit number
        (1 for their first unit) when the tap is admitted and a unit is reserved for it."""
        raise NotImplementedError

    def _settled(self, gate: SaleGate, user_id: int, seq: int, outcome: str) -> None:
        """One admitted tap was decided by its batch (`retry` when the batch failed)."""

    async def _committed(
        self, gate: SaleGate, requests: list[ClaimRequest], results: list[ClaimResult], batch: BatchResult | None
    ) -> None:
        """A batch was decided (`batch` is None when its transaction failed and nothing was taken). Called
        before the tappers are answered; must not raise."""

    async def _held(self, gate: SaleGate, user_id: int) -> ClaimResult | None:
        """For a repeated tap, without taking anything: `limit` or `held` when the counter gives the user a unit,
        `sold_out` when it has none left, None when it cannot tell."""
        return None

    async def _mark(self, sale_id: int) -> Any:
        """Taken just before the sale is read from the database, handed to `_synced` with the snapshot."""
        return None

    async def _synced(self, gate: SaleGate, snap: GateSnapshot, *, first: bool, full: bool, mark: Any) -> None:
        """The sale was read from the database: the first time in this process (`first`), again with every
        user's count (`full`, after a change), or without them (a background refresh)."""

    async def close(self) -> None:
        """Release what the gate holds besides the database (connections); the claims are drained first."""

    # ------------------------------------------------------------------------------------------ taps

    async def tap(
        self, sale_id: int, user_id: int, *, user: NewUser | None = None, budget: float | None = None
    ) -> ClaimResult:
        gate = self._gates.get(sale_id)
        if gate is None or gate.stale:
            gate = await self._load(sale_id)
        now = self._clock()
        if gate.status == flashsale.SCHEDULED:
            if now >= gate.starts_at:
                self._refresh_soon(gate)
            return ClaimResult(flashsale.NOT_STARTED)
        if gate.status != flashsale.LIVE or now >= gate.ends_at:
            return ClaimResult(flashsale.ENDED_OUTCOME)
        if (
            now < gate.starts_at
            and tiers.max_early_access(policy(self.db)) > timedelta(0)
            and now < gate.starts_at - await self._head_start(gate, user_id)
        ):
            return ClaimResult(flashsale.NOT_STARTED)  # live early for tiers with early access, not for this user
        decision = await self._admit(gate, user_id)
        if isinstance(decision, ClaimResult):
            if decision.outcome == flashsale.LIMIT and gate.queued.get(user_id):
                return await self._after_own_claims(gate, user_id, budget)
            if decision.outcome == flashsale.SOLD_OUT:
                self._refresh_soon(gate)
            return decision
        seq = decision
        future: asyncio.Future[ClaimResult] = asyncio.get_running_loop().create_future()
        gate.queued.setdefault(user_id, []).append(future)
        future.add_done_callback(lambda f: self._settle(gate, user_id, seq, f))
        gate.pending.append((ClaimRequest(user_id, seq, user), future))
        if gate.flusher is None:
            gate.flusher = asyncio.create_task(self._flush(gate), name=f"flash-flush-{sale_id}")
        try:
            # shield: a tap answered "busy" leaves its claim in the batch (cancelling it would lose the claim).
            return await asyncio.wait_for(asyncio.shield(future), timeout=budget)
        except TimeoutError:
            return ClaimResult(flashsale.BUSY)

    async def repeat(self, sale_id: int, user_id: int, *, budget: float | None = None) -> ClaimResult | None:
        """A double tap is one intent (bot/tap_guard.py merges them): the repeat takes nothing, and hears what the
        user has. With a per-user limit of 2 a repeat decided by `tap` would have taken a second unit."""
        gate = self._gates.get(sale_id)
        if gate is None or gate.stale:
            gate = await self._load(sale_id)
        if gate.status == flashsale.SCHEDULED:
            return ClaimResult(flashsale.NOT_STARTED)
        if gate.status != flashsale.LIVE or self._clock() >= gate.ends_at:
            return ClaimResult(flashsale.ENDED_OUTCOME)
        if gate.queued.get(user_id):
            waited = await self._after_own_claims(gate, user_id, budget)
            if waited.outcome != flashsale.LIMIT:
                return waited  # still queued (busy), or what the first tap heard: nothing was taken
        return await self._held(gate, user_id)

    async def _after_own_claims(self, gate: SaleGate, user_id: int, budget: float | None) -> ClaimResult:
        """The user's limit is taken by claims of theirs still in a batch: wait for them (within the budget). One
        that won means "you already have yours"; if none did, the last one's answer (sold out, retry) is theirs."""
        own = [asyncio.shield(f) for f in gate.queued.get(user_id, ())]
        try:
            results = await asyncio.wait_for(asyncio.gather(*own, return_exceptions=True), timeout=budget)
        except TimeoutError:
            return ClaimResult(flashsale.BUSY)
        decided = [r for r in results if isinstance(r, ClaimResult)]
        if any(r.outcome in (flashsale.WON, flashsale.LIMIT) for r in decided):
            return ClaimResult(flashsale.LIMIT)
        return decided[-1] if decided else ClaimResult(flashsale.RETRY)

    def _settle(self, gate: SaleGate, user_id: int, seq: int, future: asyncio.Future[ClaimResult]) -> None:
        own = [f for f in gate.queued.get(user_id, ()) if f is not future]
        if own:
            gate.queued[user_id] = own
        else:
            gate.queued.pop(user_id, None)
        outcome = flashsale.RETRY if future.exception() is not None else future.result().outcome
        self._settled(gate, user_id, seq, outcome)

    async def _head_start(self, gate: SaleGate, user_id: int) -> timedelta:
        head = gate.early.get(user_id)
        if head is None:
            async with self.slots, self.db.read() as session:
                head = await tiers.early_access_in(session, user_id)
            gate.early[user_id] = head
        return head

    async def _flush(self, gate: SaleGate) -> None:
        try:
            await asyncio.sleep(self.flush_delay)
            while gate.pending:
                batch, gate.pending = gate.pending[: self.max_batch], gate.pending[self.max_batch :]
                requests = [r for r, _ in batch]
                gate.inflight = len(batch)
                outcome: BatchResult | None = None
                try:
                    async with self.slots:
                        outcome = await flashsale.commit_claims(
                            self.db, gate.sale_id, requests, payment_window=self.payment_window
                        )
                except Exception:
                    # The transaction rolled back: nothing was taken. The tappers are told to tap again (an honest
                    # answer, not the generic apology), and the gate re-reads the sale before the next decision.
                    log.exception("flash sale %s: committing %d claims failed", gate.sale_id, len(batch))
                    gate.stale = True
                finally:
                    gate.inflight = 0
                if outcome is None:
                    results = [ClaimResult(flashsale.RETRY)] * len(batch)
                else:
                    results = outcome.results
                    gate.stock = outcome.stock
                    if outcome.status != flashsale.LIVE:
                        gate.status = outcome.status
                await self._committed(gate, requests, results, outcome)
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            gate.flusher = None
            if gate.pending:  # appended after the loop saw an empty queue
                gate.flusher = asyncio.create_task(self._flush(gate), name=f"flash-flush-{gate.sale_id}")

    # ------------------------------------------------------------------------------------------ state

    async def _load(self, sale_id: int) -> SaleGate:
        task = self._loads.get(sale_id)
        if task is None:
            task = asyncio.create_task(self._read(sale_id))
            self._loads[sale_id] = task
            task.add_done_callback(lambda _t: self._loads.pop(sale_id, None))
        return await asyncio.shield(task)

    async def _read(self, sale_id: int) -> SaleGate:
        mark = await self._mark(sale_id)
        async with self.slots:
            snap = await flashsale.gate_snapshot(self.db, sale_id)
        old = self._gates.get(sale_id)
        gate = old or SaleGate(sale_id, snap.status, snap.starts_at, snap.ends_at, snap.stock, snap.per_user_limit)
        self._apply(gate, snap)
        await self._synced(gate, snap, first=old is None, full=True, mark=mark)
        gate.stale = False
        self._gates[sale_id] = gate
        return gate

    @staticmethod
    def _apply(gate: SaleGate, snap: GateSnapshot) -> None:
        gate.status = snap.status
        gate.starts_at = snap.starts_at
        gate.ends_at = snap.ends_at
        gate.stock = snap.stock
        gate.limit = snap.per_user_limit
        gate.checked_at = time.monotonic()

    def _refresh_soon(self, gate: SaleGate) -> None:
        """Re-read the sale in the background, at most every `refresh_seconds` (the tap is answered now)."""
        if gate.refresher is not None or time.monotonic() - gate.checked_at < self.refresh_seconds:
            return
        gate.checked_at = time.monotonic()
        gate.refresher = asyncio.create_task(self._refresh(gate), name=f"flash-refresh-{gate.sale_id}")

    async def _refresh(self, gate: SaleGate) -> None:
        try:
            mark = await self._mark(gate.sale_id)
            async with self.slots:
                snap = await flashsale.gate_snapshot(self.db, gate.sale_id, with_counts=False)
            self._apply(gate, snap)
            await self._synced(gate, snap, first=False, full=False, mark=mark)
        except Exception:
            log.exception("flash sale %s: refresh failed", gate.sale_id)
        finally:
            gate.refresher = None

    async def _after_commit(self, info: dict[str, Any]) -> None:
        for sale_id in info.get(flashsale.SESSION_KEY, ()):
            gate = self._gates.get(sale_id)
            if gate is not None:
                gate.stale = True

    async def preload(self, sale_id: int) -> None:
        """Load a sale's gate before the first tap (right after the start commits), so the storm's first taps do
        not all wait for one read."""
        await self._load(sale_id)

    def describe(self, sale_id: int) -> tuple[int, datetime | None]:
        """(per-user limit, start time) as this process knows them, for the tap's answer."""
        gate = self._gates.get(sale_id)
        return (gate.limit, gate.starts_at) if gate is not None else (1, None)

    def invalidate(self, sale_id: int) -> None:
        gate = self._gates.get(sale_id)
        if gate is not None:
            gate.stale = True

    async def drain(self) -> None:
        """Wait for queued claims to be committed (shutdown, tests)."""
        for gate in list(self._gates.values()):
            while gate.flusher is not None:
                with contextlib.suppress(Exception):
                    await asyncio.shield(gate.flusher)
