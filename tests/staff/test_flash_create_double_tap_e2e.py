"""D1: a double tap on the flash wizard's "Create flash sale" makes one sale and takes its units from the product
once; the tap that loses says which sale was made. Both taps are sent at the same moment through the emulator,
on SQLite and on PostgreSQL; and two databases handles (as two bot processes have) racing the same creation
token make one sale too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.emulator.server import EmulatorConfig
from bot.sandbox import start_stack
from store import flashsale
from store.db import Database
from store.errors import Conflict
from store.models import utcnow
from tests.backends import fresh_database_url
from tests.conftest import ADMIN_ID, USER_PACE_SECONDS, arm_strict, verify_strict
from tests.flashsale.helpers import make_product, product_stock


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_shop(settings: Settings, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """The `shop` stack on SQLite, then on PostgreSQL."""
    async with fresh_database_url(request.param, tmp_path) as url:
        stack = await start_stack(
            settings,
            database_url=url,
            emulator_config=EmulatorConfig(flood_limits=True, time_scale=1.0, user_pace_seconds=USER_PACE_SECONDS),
        )
        arm_strict(stack, request)
        try:
            yield stack
            await verify_strict(stack, request)
        finally:
            await stack.stop()


async def _at_summary(shop: Any) -> Any:
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    await ada.send("/flash_new")
    await ada.send("rice")
    await ada.tap("−20%")
    await ada.send("2")  # units
    for label in ("1", "In 1 h", "2 h", "Next"):
        await ada.tap(label)
    return ada


async def test_double_tap_on_create_makes_one_sale_and_takes_stock_once(any_shop: Any) -> None:
    shop = any_shop
    product_id = await make_product(shop.db, "RICE-1", price=9900, stock=999)
    ada = await _at_summary(shop)
    summary = await ada.last_message()
    assert summary is not None and "Please check" in (summary.text or "")
    first, second = await asyncio.gather(
        ada.tap("Create flash sale", message=summary), ada.tap("Create flash sale", message=summary)
    )
    await shop.client.settle()
    sales = await flashsale.list_sales(shop.db)
    assert len(sales) == 1, "one tap, one sale"
    assert await product_stock(shop.db, product_id) == 997, "the sale's 2 units left the product once"
    toasts = [r.toast.text for r in (first, second) if r.toast is not None and r.toast.text]
    assert toasts == [f"Flash sale #{sales[0].id} is already created: one tap is enough."], toasts
    assert "scheduled" in ((await ada.last_message()).text or "")  # type: ignore[union-attr]
    # A third tap, long after, still knows the sale it made.
    (create,) = [b.callback_data for row in summary.buttons for b in row if "Create" in b.text]
    assert create is not None
    await ada.tap_data(create, message=summary)
    await shop.client.settle()
    assert f"#{sales[0].id} is already created" in ((await ada.toasts())[-1].text or "")
    assert len(await flashsale.list_sales(shop.db)) == 1


async def _spec() -> flashsale.SaleSpec:
    now = utcnow()
    return flashsale.SaleSpec(
        sku="RICE-2", price=100, stock=2, starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=2)
    )


async def test_two_processes_racing_one_token_make_one_sale(any_db: Database) -> None:
    product_id = await make_product(any_db, "RICE-2", price=9900, stock=999)
    other = Database(any_db.url)  # a second engine and pool: what a second bot process has
    try:
        spec = await _spec()
        outcomes = await asyncio.gather(
            *(flashsale.create_sale(db, spec, actor_id=ADMIN_ID, key="tok-1") for db in (any_db, other, any_db)),
            return_exceptions=True,
        )
    finally:
        await other.dispose()
    made = [o for o in outcomes if isinstance(o, flashsale.SaleView)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(made) == 1 and len(refused) == 2, outcomes
    assert {r.params["sale_id"] for r in refused} == {made[0].id}
    assert all(r.code == "flash_already_created" for r in refused)
    assert len(await flashsale.list_sales(any_db)) == 1
    assert await product_stock(any_db, product_id) == 997
