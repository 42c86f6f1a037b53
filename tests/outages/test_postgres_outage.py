"""Issue 9 item 12: while PostgreSQL is down, a shopper browsing gets "temporarily unavailable, try again in a
moment" in their language (a toast for a button), and browsing works again once it is back, without restarting
the bot. The test runs its own PostgreSQL cluster, so stopping it disturbs nobody else."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.emulator.server import EmulatorConfig
from bot.i18n import t
from bot.sandbox import Stack, start_stack
from tests.conftest import make_test_settings
from tests.orders.helpers import last_text
from tests.private_services import PrivatePostgres

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture
async def pg_shop(postgres: PrivatePostgres, tmp_path: Path) -> AsyncIterator[Stack]:
    stack = await start_stack(
        make_test_settings(),
        database_url=postgres.url("postgres"),
        emulator_config=EmulatorConfig(flood_limits=False),
        seed_demo=True,
    )
    try:
        yield stack
    finally:
        await stack.stop()


async def test_browsing_during_a_postgres_outage(pg_shop: Any, postgres: PrivatePostgres) -> None:
    shop = pg_shop
    alice = await shop.client.user("Alice", lang="en")
    li = await shop.client.user("李雷", lang="zh-hans")
    for user in (alice, li):
        await user.send("/start")
        await user.send("/catalog")
    catalog_en = await alice.last_message()
    assert catalog_en is not None and "Choose a category" in (catalog_en.text or "")
    first_category = catalog_en.buttons[0][0].text

    postgres.stop()
    await alice.send("/catalog")
    assert await last_text(alice) == t("en", "errors.unavailable")
    await li.send("/catalog")
    assert await last_text(li) == t("zh", "errors.unavailable")
    # A button gets a passing toast, not an alert to dismiss.
    tapped = await alice.tap(first_category, message=catalog_en)
    assert tapped.toast is not None and tapped.toast.text == t("en", "errors.unavailable")
    assert not tapped.toast.show_alert
    # A shopper the bot has never seen (no cached language) still gets their own language.
    newcomer = await shop.client.user("王芳", lang="zh-hans")
    await newcomer.send("/start")
    assert await last_text(newcomer) == t("zh", "errors.unavailable")

    postgres.start()
    await alice.send("/catalog")
    again = await alice.last_message()
    assert again is not None and "Choose a category" in (again.text or "")
    await alice.tap(first_category, message=again)
    listing = await last_text(alice)
    assert listing and listing != t("en", "errors.unavailable")
    await newcomer.send("/start")
    assert await last_text(newcomer) != t("zh", "errors.unavailable")
    every_reply = [m.text or "" for u in (alice, li, newcomer) for m in await u.messages() if m.from_bot]
    assert not any(t("en", "errors.internal") in text or t("zh", "errors.internal") in text for text in every_reply)
