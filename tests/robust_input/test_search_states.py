"""Search state behind short ids (store/search/states.py) on SQLite and PostgreSQL: what a button points at is
read back exactly; unknown, expired and out-of-range ids read as None (the bot answers "search again"), and
expired rows are pruned."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from store.db import Database
from store.models import utcnow
from store.models.search import SearchState
from store.search import SearchTarget, load_target, new_state_id, save_targets
from store.search.states import STATE_TTL, prune_soon

LONG = "长" * 4096


async def test_targets_round_trip_and_stale_ids_read_as_none(any_db: Database) -> None:
    targets = [
        SearchTarget(LONG),
        SearchTarget(LONG, sort="price_desc", page=3, category_id=7, price_min=100, price_max=5000),
        SearchTarget("durian"),
    ]
    state_id = new_state_id()
    assert len(state_id) <= 16 and state_id.replace("-", "").replace("_", "").isalnum()
    await save_targets(any_db, state_id, targets)
    assert [await load_target(any_db, state_id, i) for i in range(3)] == targets
    assert await load_target(any_db, state_id, 3) is None
    assert await load_target(any_db, "nope", 0) is None

    async with any_db.tx() as session:
        await session.execute(
            update(SearchState)
            .where(SearchState.id == state_id)
            .values(created_at=utcnow() - STATE_TTL - timedelta(minutes=1))
        )
    assert await load_target(any_db, state_id, 0) is None
    await save_targets(any_db, new_state_id(), [SearchTarget("tea")])  # pruned at most every 10 minutes
    async with any_db.read() as session:
        assert await session.scalar(select(func.count()).select_from(SearchState)) == 2
    prune_soon(any_db)  # as if ten minutes had passed
    await save_targets(any_db, new_state_id(), [SearchTarget("tea")])  # saving prunes what expired
    async with any_db.read() as session:
        assert await session.scalar(select(func.count()).select_from(SearchState)) == 2
