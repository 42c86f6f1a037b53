"""Operations test helpers: an admin and shoppers who started the bot, at a broadcast's first prompt; a database
for the command line."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from store.db import Database
from tests.conftest import ADMIN_ID

BROADCAST_BUTTON = {"en": "📣 Broadcast", "zh": "📣 群发消息"}


async def broadcast_for(
    shop: Any, audience: str, shoppers: dict[str, str], *, admin_lang: str = "en"
) -> tuple[Any, list[Any]]:
    """Ada (the admin, speaking `admin_lang`), then `shoppers` (name: language) started the bot; Ada opened a
    broadcast from /admin and tapped `audience` (its button names the count), so the bot waits for the text or
    photo. Flood limits are off. Ada and the shoppers, in the order given (user handles, as loosely typed as the
    `shop: Any` of the tests that use them, whose assertions read messages without None checks)."""
    await shop.client.set_flood_limits(False)
    admin = await shop.client.user("Ada", id=ADMIN_ID, lang=admin_lang)
    await admin.send("/start")
    people = []
    for name, lang in shoppers.items():
        person = await shop.client.user(name, lang=lang)
        await person.send("/start")
        people.append(person)
    await admin.send("/admin")
    await admin.tap(BROADCAST_BUTTON[admin_lang])
    await admin.tap(audience)
    return admin, people


def cli_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, timezone: str, seed: Callable[[Database], Awaitable[None]]
) -> str:
    """A SQLite database for the `groupcart` command line in `tmp_path`: DATABASE_URL and the shop's timezone
    set in the environment, migrated by `groupcart db upgrade`, then filled by `seed`. The config file to pass
    as --config."""
    import asyncio

    from bot.cli import main
    from tests.conftest import ROOT

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("GROUPCART_SHOP__TIMEZONE", timezone)
    config = str(ROOT / "config.yaml")
    assert main(["--config", config, "db", "upgrade"]) == 0

    async def seeded() -> None:
        db = Database(url)
        try:
            await seed(db)
        finally:
            await db.dispose()

    asyncio.run(seeded())
    return config
