"""Opening the database from a CLI command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.config import Settings
from store import migrations
from store.db import Database


@asynccontextmanager
async def open_db(settings: Settings, *, migrate: bool = True) -> AsyncIterator[Database]:
    from bot.shop_rules import shop_rules

    db = Database(settings.database.url, rules=shop_rules(settings))
    try:
        if migrate:
            await migrations.upgrade(db)
        yield db
    finally:
        await db.dispose()
