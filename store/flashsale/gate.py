"""The port an admission gate fills: the storm path's decision, taken before any database round trip.

A gate answers most taps of a storm from what it holds (not started, ended, sold out, limit reached) and
queues the rest into batches that `store.flashsale.claims.commit_claims` writes; the database's conditional
update and unique claim rows stay the source of truth, so a gate may be wrong only towards "sold out".
Implementations live outside the core: in memory for one process (bot/admission.py), in Redis when several
processes share a sale (bot/redis_admission.py). The composition root builds one and hands it to the handlers
and jobs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from store.flashsale.claims import ClaimResult
from store.users import NewUser


@runtime_checkable
class AdmissionGate(Protocol):
    async def tap(
        self, sale_id: int, user_id: int, *, user: NewUser | None = None, budget: float | None = None
    ) -> ClaimResult:
        """Decide one tap. An admitted tap waits for its batch to commit, at most `budget` seconds: after that
        the answer is `busy` (the claim stays queued and is decided later; the winner hears by message); a batch
        that could not be written answers `retry`. `user` describes a tapper whose row may not exist yet: the
        batch creates it (an upsert), since nothing is written before the decision."""
        ...

    async def repeat(self, sale_id: int, user_id: int, *, budget: float | None = None) -> ClaimResult | None:
        """Answer a repeat of a tap by the same user on the same button (one intent: a double tap), taking
        nothing: the user's claim still queued here is waited for (at most `budget`); a unit they hold is `limit`
        (at the limit) or `held`; else `sold_out`, `ended`, `not_started` as a tap would hear. None when nothing
        tells yet (the first tap is being decided in another process)."""
        ...

    async def preload(self, sale_id: int) -> None:
        """Take in the sale's state before the first tap (right after the start commits)."""
        ...

    def describe(self, sale_id: int) -> tuple[int, datetime | None]:
        """(per-user limit, start time) as the gate knows them, for the tap's answer; never a round trip."""
        ...

    def invalidate(self, sale_id: int) -> None:
        """The sale changed elsewhere (edit, cancel, end): re-read it before the next decision."""
        ...

    async def drain(self) -> None:
        """Wait until every queued claim is committed (shutdown, tests)."""
        ...

    async def close(self) -> None:
        """Let go of what the gate holds besides the database (a Redis connection), after `drain`."""
        ...
