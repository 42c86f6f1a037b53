"""Cheap event counting: card views and cart adds are counted in memory per (local day, kind, product) and
written in one batched upsert every few seconds, so the browse hot path never writes a row per view. A crash
loses at most one flush interval of counts (figures, not money)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite

from store.db import Database
from store.models.ops import AnalyticsCounter

Key = tuple[str, str, int]  # day, kind, product id


class EventCounter:
    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self.pending: Counter[Key] = Counter()

    def count(self, kind: str, product_id: int = 0, when: datetime | None = None, n: int = 1) -> None:
        day = (when or datetime.now(self.zone)).astimezone(self.zone).date().isoformat()
        self.pending[(day, kind, product_id)] += n

    async def flush(self, db: Database) -> int:
        """Write what was counted; on failure the counts go back into the buffer for the next flush."""
        batch, self.pending = self.pending, Counter()
        if not batch:
            return 0
        try:
            await add_counts(db, batch)
        except Exception:
            self.pending.update(batch)
            raise
        return len(batch)


async def add_counts(db: Database, counts: Counter[Key]) -> None:
    rows = [{"day": d, "kind": k, "product_id": p, "count": n} for (d, k, p), n in sorted(counts.items())]
    async with db.tx() as session:
        insert = (postgresql.insert if db.dialect == "postgresql" else sqlite.insert)(AnalyticsCounter)
        stmt = insert.values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=["day", "kind", "product_id"], set_={"count": AnalyticsCounter.count + stmt.excluded.count}
        )
        await session.execute(stmt)
