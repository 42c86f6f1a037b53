"""Server-side state of search results messages.

A results message has up to ~16 buttons (sorts, price ranges, categories, pages, a suggested spelling). Each
button's destination (words, sort, page, filters) is saved in one row under a short random id; the button
carries only that id and its number. So callback_data stays a few bytes whatever the shopper typed, and the
buttons keep working after a restart and across processes. Rows are immutable (a double tap on "Next" shows
the same page twice instead of skipping one) and pruned after STATE_TTL.
"""

from __future__ import annotations

import secrets
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select

from store.db import Database
from store.models import utcnow
from store.models.search import SearchState

STATE_TTL = timedelta(days=14)
# Expired rows are deleted by a save at most this often per process: the delete was a third of a save's cost,
# paid on every search for rows that expire in days.
PRUNE_EVERY_SECONDS = 600.0
_INSERT = insert(SearchState)
_last_prune: weakref.WeakKeyDictionary[Database, float] = weakref.WeakKeyDictionary()
ID_BYTES = 6  # 8 URL-safe characters: 2^48 ids, unguessable enough for state that is not personal


@dataclass(frozen=True)
class SearchTarget:
    """One results screen: the words plus sort, page and filters."""

    words: str
    sort: str = "relevance"
    page: int = 0
    category_id: int | None = None
    price_min: int | None = None
    price_max: int | None = None


def new_state_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def save_targets(db: Database, state_id: str, targets: Sequence[SearchTarget]) -> None:
    """Store the destinations of one message's buttons under `state_id` (and prune expired rows)."""
    words: list[str] = []
    rows: list[list[Any]] = []
    for target in targets:
        if target.words not in words:
            words.append(target.words)
        rows.append(
            [
                words.index(target.words),
                target.sort,
                target.page,
                target.category_id,
                target.price_min,
                target.price_max,
            ]
        )
    now = utcnow()
    due = _prune_due(db)
    async with db.tx() as session:
        if due:
            await session.execute(delete(SearchState).where(SearchState.created_at < now - STATE_TTL))
        await session.execute(_INSERT, {"id": state_id, "words": words, "targets": rows, "created_at": now})


def _prune_due(db: Database) -> bool:
    now = time.monotonic()
    last = _last_prune.get(db)
    if last is not None and now - last < PRUNE_EVERY_SECONDS:
        return False
    _last_prune[db] = now
    return True


def prune_soon(db: Database) -> None:
    """The next save on `db` deletes expired rows (tests, and after a clock change)."""
    _last_prune.pop(db, None)


async def load_target(db: Database, state_id: str, number: int) -> SearchTarget | None:
    """The destination of button `number` of a results message, or None when it expired or never existed."""
    async with db.read() as session:
        row = (
            await session.execute(
                select(SearchState.words, SearchState.targets).where(
                    SearchState.id == state_id, SearchState.created_at >= utcnow() - STATE_TTL
                )
            )
        ).first()
    if row is None or not 0 <= number < len(row.targets):
        return None
    try:
        word_index, sort, page, category_id, price_min, price_max = row.targets[number]
        words = row.words[word_index]
    except (ValueError, TypeError, IndexError):  # a row written by a different version: treat as expired
        return None
    if not isinstance(words, str) or not isinstance(sort, str):
        return None
    return SearchTarget(
        words=words,
        sort=sort,
        page=max(_int_or_none(page) or 0, 0),
        category_id=_int_or_none(category_id),
        price_min=_int_or_none(price_min),
        price_max=_int_or_none(price_max),
    )
