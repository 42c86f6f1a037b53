"""The in-memory admission gate: `store.flashsale.AdmissionGate` for one bot process.

One transaction per tap tops out near 1,500 taps/s on SQLite, while a sale gets thousands of taps in its first
second and almost all of them can only be told "sold out". So the process keeps, per sale, the units it
believes are left and how many units each user has claimed, loaded from the database; a tap is decided in
memory (no await between check and decrement, so no lock is needed on one event loop):

- not started / ended / limit reached / sold out: answered at once, the database is not touched;
- admitted: queued; every few milliseconds the queue is committed in ONE transaction (store.flashsale.
  commit_claims) whose conditional update `sold = sold + n WHERE sold + n <= stock` and unique claim rows stay
  the source of truth. With two processes on one PostgreSQL database both gates may admit more taps than there
  are units; the batch that loses the race tells those tappers "sold out", so nothing is ever oversold.

Every database operation of the gate takes one of a few `slots` (a semaphore sized below the connection pool),
so a storm queues in memory instead of piling up tasks that time out waiting for a connection. An admitted tap
waits for its batch at most `budget` seconds; then it is answered "busy, you are in the queue" and its claim
goes on (the winner hears through the private "you got it" message). A batch that fails is answered "retry":
nothing was taken, the tap may be repeated.

After each batch the gate takes the database's numbers, and a gate that believes the sale is sold out (or not
started yet although its start time has passed) re-reads the sale at most every `refresh_seconds`, so units
returned by an expired order, or a start performed by another process, are seen quickly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from store import flashsale
from store.db import Database
from store.flashsale import ClaimRequest, ClaimResult
from store.growth import tiers
from store.models import utcnow
from store.rules import policy
from store.users import NewUser

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


def db_slots(db: Database) -> asyncio.Semaphore:
    """Concurrent database operations the storm path may hold: SQLite has one writer (and the gate's reads go to
    the reader engine), PostgreSQL's pool has 10 connections (+20 overflow) shared with every other handler."""
    return asyncio.Semaphore(2 if db.is_sqlite else 4)


@dataclass
class _Gate:
    sale_id: int
    status: str
    starts_at: datetime
    ends_at: datetime
    stock: int
    limit: int
    remaining: int
    counts: dict[int, int]
    stale: bool = False
    checked_at: float = 0.0
    pending: list[tuple[ClaimRequest, asyncio.Future[ClaimResult]]] = field(default_factory=list)
    inflight: int = 0
    # Admitted claims of each user not yet committed: a user who taps again meanwhile is "in the queue".
    queued: dict[int, int] = field(default_factory=dict)
    flusher: asyncio.Task[None] | None = None
    refresher: asyncio.Task[None] | None = None
    # Each user's tier head start, looked up once per sale, only for taps before the public start.
    early: dict[int, timedelta] = field(default_factory=dict)


class MemoryAdmissionGate:
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
        self._gates: dict[int, _Gate] = {}
        self._loads: dict[int, asyncio.Task[_Gate]] = {}
        db.on_after_commit(self._after_commit)

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
        count = gate.counts.get(user_id, 0)
        if count >= gate.limit:
            return ClaimResult(flashsale.BUSY if gate.queued.get(user_id) else flashsale.LIMIT)
        if gate.remaining <= 0:
            self._refresh_soon(gate)
            return ClaimResult(flashsale.SOLD_OUT)
        gate.remaining -= 1
        gate.counts[user_id] = count + 1
        gate.queued[user_id] = gate.queued.get(user_id, 0) + 1
        future: asyncio.Future[ClaimResult] = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda f: self._settle(gate, user_id, count, f))
        gate.pending.append((ClaimRequest(user_id, count + 1, user), future))
        if gate.flusher is None:
            gate.flusher = asyncio.create_task(self._flush(gate), name=f"flash-flush-{sale_id}")
        try:
            # shield: a tap answered "busy" leaves its claim in the batch (cancelling it would lose the claim).
            return await asyncio.wait_for(asyncio.shield(future), timeout=budget)
        except TimeoutError:
            return ClaimResult(flashsale.BUSY)

    @staticmethod
    def _settle(gate: _Gate, user_id: int, count: int, future: asyncio.Future[ClaimResult]) -> None:
        """The batch decided (or failed): the user's count follows the database."""
        left = gate.queued.get(user_id, 1) - 1
        if left > 0:
            gate.queued[user_id] = left
        else:
            gate.queued.pop(user_id, None)
        outcome = flashsale.RETRY if future.exception() is not None else future.result().outcome
        if outcome == flashsale.LIMIT:
            gate.counts[user_id] = max(gate.counts.get(user_id, 0), gate.limit)
        elif outcome != flashsale.WON and gate.counts.get(user_id, 0) == count + 1:
            gate.counts[user_id] = count

    async def _head_start(self, gate: _Gate, user_id: int) -> timedelta:
        head = gate.early.get(user_id)
        if head is None:
            async with self.slots, self.db.read() as session:
                head = await tiers.early_access_in(session, user_id)
            gate.early[user_id] = head
        return head

    async def _flush(self, gate: _Gate) -> None:
        try:
            await asyncio.sleep(self.flush_delay)
            while gate.pending:
                batch, gate.pending = gate.pending[: self.max_batch], gate.pending[self.max_batch :]
                gate.inflight = len(batch)
                try:
                    async with self.slots:
                        outcome = await flashsale.commit_claims(
                            self.db, gate.sale_id, [r for r, _ in batch], payment_window=self.payment_window
                        )
                except Exception:
                    # The transaction rolled back: nothing was taken. The tappers are told to tap again (an honest
                    # answer, not the generic apology), and the gate re-reads the sale before the next decision.
                    log.exception("flash sale %s: committing %d claims failed", gate.sale_id, len(batch))
                    gate.stale = True
                    gate.remaining += len(batch)
                    for _, future in batch:
                        if not future.done():
                            future.set_result(ClaimResult(flashsale.RETRY))
                    continue
                finally:
                    gate.inflight = 0
                gate.stock = outcome.stock
                gate.remaining = max(0, outcome.stock - outcome.sold - len(gate.pending))
                if outcome.status != flashsale.LIVE:
                    gate.status = outcome.status
                for (_, future), result in zip(batch, outcome.results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            gate.flusher = None
            if gate.pending:  # appended after the loop saw an empty queue
                gate.flusher = asyncio.create_task(self._flush(gate), name=f"flash-flush-{gate.sale_id}")

    # ------------------------------------------------------------------------------------------ state

    async def _load(self, sale_id: int) -> _Gate:
        task = self._loads.get(sale_id)
        if task is None:
            task = asyncio.create_task(self._read(sale_id))
            self._loads[sale_id] = task
            task.add_done_callback(lambda _t: self._loads.pop(sale_id, None))
        return await asyncio.shield(task)

    async def _read(self, sale_id: int) -> _Gate:
        async with self.slots:
            snap = await flashsale.gate_snapshot(self.db, sale_id)
        old = self._gates.get(sale_id)
        counts = snap.counts
        in_memory = 0
        if old is not None:
            # Claims admitted here but not yet committed are not in the snapshot: keep the larger count.
            for user_id, n in old.counts.items():
                if n > counts.get(user_id, 0):
                    counts[user_id] = n
            in_memory = len(old.pending) + old.inflight
        gate = old or _Gate(
            sale_id, snap.status, snap.starts_at, snap.ends_at, snap.stock, snap.per_user_limit, 0, counts
        )
        self._apply(gate, snap, in_memory)
        gate.counts = counts
        gate.stale = False
        self._gates[sale_id] = gate
        return gate

    def _apply(self, gate: _Gate, snap: flashsale.GateSnapshot, in_memory: int) -> None:
        gate.status = snap.status
        gate.starts_at = snap.starts_at
        gate.ends_at = snap.ends_at
        gate.stock = snap.stock
        gate.limit = snap.per_user_limit
        gate.remaining = max(0, snap.stock - snap.sold - in_memory)
        gate.checked_at = time.monotonic()

    def _refresh_soon(self, gate: _Gate) -> None:
        """Re-read the sale in the background, at most every `refresh_seconds` (the tap is answered now)."""
        if gate.refresher is not None or time.monotonic() - gate.checked_at < self.refresh_seconds:
            return
        gate.checked_at = time.monotonic()
        gate.refresher = asyncio.create_task(self._refresh(gate), name=f"flash-refresh-{gate.sale_id}")

    async def _refresh(self, gate: _Gate) -> None:
        try:
            async with self.slots:
                snap = await flashsale.gate_snapshot(self.db, gate.sale_id, with_counts=False)
            self._apply(gate, snap, len(gate.pending) + gate.inflight)
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


# The name the gate had while it lived in store/ (tests and benchmarks use it).
FlashAdmission = MemoryAdmissionGate
