"""A live flash sale's group cards count down the units left as people buy, paced.

A claim batch (or a unit given back) that changes a live sale's count marks it in the transaction
(store.flashsale.COUNT_KEY); after the commit this refresher notes the sale id, in memory, and at most once per
`count_refresh_seconds` redraws the group cards through the outbox (store.flashsale.redraw_count), which paces
each chat. The Buy tap itself does nothing more: no database work, no extra edit per tap. The first redraw waits a
full period, so the opening burst of a storm (which often sells out at once, and then the sold-out edit says it)
is not slowed by a database read. Each process redraws what it committed; the outbox's keys and the store's
"already drawn" check keep the edits from repeating.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.debounce import Debouncer
from store import flashsale
from store.db import Database

log = logging.getLogger(__name__)


class FlashCardRefresher:
    def __init__(self, db: Database, period: float) -> None:
        self.db = db
        self.period = period
        # One redraw per sale, a full period after the first request: the requests meanwhile are that one.
        self._counts: Debouncer[int, None] = Debouncer(self._redraw, name="flash-count", delay=period)
        self.redraws = 0  # edits queued, for tests and metrics

    async def after_commit(self, info: dict[str, Any]) -> None:
        for sale_id in info.get(flashsale.COUNT_KEY, ()):
            self.request(int(sale_id))

    def request(self, sale_id: int) -> None:
        """Redraw the sale's count within a period; many requests meanwhile are one redraw."""
        self._counts.request(sale_id, None)

    async def _redraw(self, sale_id: int, _: None) -> None:
        try:
            self.redraws += await flashsale.redraw_count(self.db, sale_id)
        except Exception:
            log.exception("flash sale %s: card count not redrawn", sale_id)

    async def close(self) -> None:
        """Shutdown: a count not yet drawn is dropped (the next change, or the end edit, draws the card)."""
        await self._counts.close()
