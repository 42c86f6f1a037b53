"""The in-memory admission gate: `store.flashsale.AdmissionGate` for one bot process.

One transaction per tap tops out near 1,500 taps/s on SQLite, while a sale gets thousands of taps in its first
second and almost all of them can only be told "sold out". So the process keeps, per sale, the units it
believes are left and how many units each user has claimed, loaded from the database; a tap is decided in
memory (no await between check and decrement, so no lock is needed on one event loop). The rest (the sale's
rules, batches committed in one transaction each, database slots, answer budget) is shared with the Redis gate:
bot/admission_batches.py.

With two processes on one PostgreSQL database both gates may admit more taps than there are units; the batch
that loses the race tells those tappers "sold out", so nothing is ever oversold. With several processes and
`redis.url`, bot/redis_admission.py keeps one counter for all of them instead.

After each batch the gate takes the database's numbers, and a gate that believes the sale is sold out (or not
started yet although its start time has passed) re-reads the sale at most every `refresh_seconds`, so units
returned by an expired order, or a start performed by another process, are seen quickly.
"""

from __future__ import annotations

from typing import Any

from bot.admission_batches import BatchedAdmission, SaleGate, db_slots
from store import flashsale
from store.flashsale import BatchResult, ClaimRequest, ClaimResult, GateSnapshot

__all__ = ["FlashAdmission", "MemoryAdmissionGate", "db_slots"]


class MemoryAdmissionGate(BatchedAdmission):
    async def _admit(self, gate: SaleGate, user_id: int) -> ClaimResult | int:
        count = gate.counts.get(user_id, 0)
        if count >= gate.limit:
            return ClaimResult(flashsale.LIMIT)
        if gate.remaining <= 0:
            return ClaimResult(flashsale.SOLD_OUT)
        gate.remaining -= 1
        gate.counts[user_id] = count + 1
        return count + 1

    async def _held(self, gate: SaleGate, user_id: int) -> ClaimResult | None:
        count = gate.counts.get(user_id, 0)
        if count >= gate.limit:
            return ClaimResult(flashsale.LIMIT)
        if count > 0:
            return ClaimResult(flashsale.HELD)
        return ClaimResult(flashsale.SOLD_OUT) if gate.remaining <= 0 else None

    def _settled(self, gate: SaleGate, user_id: int, seq: int, outcome: str) -> None:
        """The user's count follows the database."""
        if outcome == flashsale.LIMIT:
            gate.counts[user_id] = max(gate.counts.get(user_id, 0), gate.limit)
        elif outcome != flashsale.WON and gate.counts.get(user_id, 0) == seq:
            gate.counts[user_id] = seq - 1

    async def _committed(
        self, gate: SaleGate, requests: list[ClaimRequest], results: list[ClaimResult], batch: BatchResult | None
    ) -> None:
        if batch is None:
            gate.remaining += len(requests)  # nothing was taken
        else:
            gate.remaining = max(0, batch.stock - batch.sold - len(gate.pending))

    async def _synced(self, gate: SaleGate, snap: GateSnapshot, *, first: bool, full: bool, mark: Any) -> None:
        if full:
            # Claims admitted here but not yet committed are not in the snapshot: keep the larger count.
            counts = snap.counts
            for user_id, n in gate.counts.items():
                if n > counts.get(user_id, 0):
                    counts[user_id] = n
            gate.counts = counts
        gate.remaining = max(0, snap.stock - snap.sold - len(gate.pending) - gate.inflight)


# The name the gate had while it lived in store/ (tests and benchmarks use it).
FlashAdmission = MemoryAdmissionGate
