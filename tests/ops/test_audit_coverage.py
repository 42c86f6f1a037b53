"""Every staff action that changes the shop leaves an audit row: the list below names each action, performs it
the way staff do (store use case, or the CLI where the change is made from there) and checks that exactly the
expected row appeared, with who did it and on what. An action that stops writing its row fails here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from store import audit, broadcasts, catalog, catalog_io, checkout, groupbuy, orders, stock_alerts, support, users
from store.db import Database
from tests.groupbuy import helpers as gb
from tests.orders.helpers import POLICY, card_pickup, fill_cart, make_product, make_users

ADMIN = 900_000_001
AGENT = 900_000_002
LEADER = 1
CSV = "sku,title_en,title_zh,category,category_en,category_zh,price,currency,stock,tags,is_digital,stars_price\n"


async def _ticket(db: Database, user_id: int) -> int:
    opened = await support.open_ticket(db, user_id, support_chat_id=-1001, take_sla_minutes=10)
    assert opened.ticket is not None
    return opened.ticket.id


async def _open_buy(db: Database, sku: str, joined: int = 2) -> int:
    product = await gb.make_product(db, sku=sku)
    view = await gb.publish(db, product, leader_id=LEADER, minimum=2)
    for user in range(10, 10 + joined):
        await groupbuy.join(db, view.id, user)
    return view.id


Action = Callable[[Database, dict[str, Any]], Awaitable[str]]  # performs the action, returns the target


async def restock(db: Database, ids: dict[str, Any]) -> str:
    await stock_alerts.restock(db, ids["tea"], 10, actor_id=ADMIN, actor_role="admin", default_threshold=5)
    return "product:TEA-1"


async def adjust_stock(db: Database, ids: dict[str, Any]) -> str:
    await catalog.adjust_stock(db, "TEA-1", -1, actor_id=ADMIN)
    return "product:TEA-1"


async def import_prices(db: Database, ids: dict[str, Any]) -> str:
    parsed = catalog_io.parse_text(CSV + "TEA-1,Tea,茶,test,Test,测试,30.00,CNY,40,,false,\n", "csv")
    await catalog_io.import_parsed(db, parsed, actor_id=ADMIN)
    return "products:1"


async def hide_product(db: Database, ids: dict[str, Any]) -> str:
    assert await catalog.set_active(db, "TEA-1", False, actor_id=ADMIN)
    return "product:TEA-1"


async def order_status(db: Database, ids: dict[str, Any]) -> str:
    await fill_cart(db, 2, {ids["cup"]: 1})
    placed = await checkout.place_order(db, card_pickup(2), POLICY)
    await orders.admin_transition(db, placed.order_id, orders.CANCELLED, ADMIN)
    return f"order:{placed.order_id}"


async def grant_role(db: Database, ids: dict[str, Any]) -> str:
    assert await users.grant_role(db, AGENT, "support", granted_by=ADMIN)
    return f"user:{AGENT}"


async def revoke_role(db: Database, ids: dict[str, Any]) -> str:
    assert await users.revoke_role(db, AGENT, "support", revoked_by=ADMIN)
    return f"user:{AGENT}"


async def broadcast_send(db: Database, ids: dict[str, Any]) -> str:
    draft = await broadcasts.create_draft(db, ADMIN, "all", "News")
    ids["broadcast"] = draft.id
    await broadcasts.send(db, draft.id, ADMIN, per_second=10)
    return f"broadcast:{draft.id}"


async def broadcast_pause(db: Database, ids: dict[str, Any]) -> str:
    assert await broadcasts.pause(db, ids["broadcast"], ADMIN)
    return f"broadcast:{ids['broadcast']}"


async def broadcast_resume(db: Database, ids: dict[str, Any]) -> str:
    assert await broadcasts.resume(db, ids["broadcast"], ADMIN, per_second=10)
    return f"broadcast:{ids['broadcast']}"


async def groupbuy_close_early(db: Database, ids: dict[str, Any]) -> str:
    buy = await _open_buy(db, "GB-EARLY")
    await groupbuy.close_early(db, buy, LEADER, False)
    return f"groupbuy:{buy}"


async def groupbuy_tiers(db: Database, ids: dict[str, Any]) -> str:
    buy = await _open_buy(db, "GB-TIERS", joined=0)
    await groupbuy.set_tiers(db, buy, LEADER, False, (groupbuy.Tier(3, 8500),))
    return f"groupbuy:{buy}"


async def groupbuy_cancel(db: Database, ids: dict[str, Any]) -> str:
    buy = await _open_buy(db, "GB-CANCEL", joined=1)
    await groupbuy.cancel(db, buy, ADMIN, True)
    return f"groupbuy:{buy}"


async def support_take(db: Database, ids: dict[str, Any]) -> str:
    ids["ticket"] = await _ticket(db, 3)
    _info, changed = await support.assign(db, ids["ticket"], AGENT, by=AGENT)
    assert changed
    return f"ticket:{ids['ticket']}"


async def support_release(db: Database, ids: dict[str, Any]) -> str:
    assert await support.release(db, ids["ticket"], AGENT)
    return f"ticket:{ids['ticket']}"


async def support_hand_back(db: Database, ids: dict[str, Any]) -> str:
    await support.assign(db, ids["ticket"], AGENT, by=AGENT)
    assert await support.close(db, ids["ticket"], closed_by=AGENT, reason="agent") is not None
    return f"ticket:{ids['ticket']}"


# (name, what staff do, audit action, actor, actor role). Hand-back first takes the ticket again: two rows.
STAFF_ACTIONS: list[tuple[str, Action, list[str], int, str]] = [
    ("restock", restock, ["stock.restock"], ADMIN, "admin"),
    ("stock edit", adjust_stock, ["stock.adjust"], ADMIN, "admin"),
    ("price edit (catalog import)", import_prices, ["catalog.import"], ADMIN, "admin"),
    ("product hidden", hide_product, ["product.hide"], ADMIN, "admin"),
    ("order status by an admin", order_status, ["order.cancelled"], ADMIN, "admin"),
    ("role granted", grant_role, ["role.grant"], ADMIN, "admin"),
    ("role revoked", revoke_role, ["role.revoke"], ADMIN, "admin"),
    ("broadcast sent", broadcast_send, ["broadcast.send"], ADMIN, "admin"),
    ("broadcast paused", broadcast_pause, ["broadcast.pause"], ADMIN, "admin"),
    ("broadcast resumed", broadcast_resume, ["broadcast.resume"], ADMIN, "admin"),
    ("group buy closed early", groupbuy_close_early, ["groupbuy.close_early"], LEADER, "leader"),
    ("group buy cancelled", groupbuy_cancel, ["groupbuy.cancel"], ADMIN, "admin"),
    ("group buy prices changed", groupbuy_tiers, ["groupbuy.tiers"], LEADER, "leader"),
    ("support take-over", support_take, ["support.take"], AGENT, "support"),
    ("support released", support_release, ["support.release"], AGENT, "support"),
    ("support hand-back", support_hand_back, ["support.take", "support.hand_back"], AGENT, "support"),
]


async def test_every_staff_action_leaves_an_audit_row(any_db: Database) -> None:
    await make_users(any_db, [1, 2, 3, ADMIN, AGENT, *range(10, 12)])
    ids: dict[str, Any] = {
        "tea": await make_product(any_db, "TEA-1", stock=3),
        "cup": await make_product(any_db, "CUP-1", stock=5),
    }
    for name, act, expected, actor, role in STAFF_ACTIONS:
        newest = await audit.latest(any_db, 1)
        since = newest[0].id if newest else 0
        target = await act(any_db, ids)
        rows = [e for e in await audit.latest(any_db, 20) if e.id > since][::-1]
        assert [e.action for e in rows] == expected, name
        last = rows[-1]
        assert (last.actor_id, last.actor_role, last.target) == (actor, role, target), name


def test_flash_sales_from_the_cli_are_audited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from bot.cli import main
    from tests.conftest import ROOT

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    config = str(ROOT / "config.yaml")
    assert main(["--config", config, "db", "upgrade"]) == 0

    async def seed() -> None:
        db = Database(url)
        try:
            await make_product(db, "TEA-1", stock=50)
        finally:
            await db.dispose()

    async def entries() -> list[audit.Entry]:
        db = Database(url)
        try:
            return await audit.latest(db, 10)
        finally:
            await db.dispose()

    asyncio.run(seed())
    create = ["flashsale", "create", "--sku", "TEA-1", "--price", "9.90", "--stock", "5", "--start", "+1h"]
    assert main(["--config", config, *create, "--end", "+1h"]) == 0
    assert main(["--config", config, "flashsale", "edit", "1", "--stock", "6"]) == 0
    assert main(["--config", config, "flashsale", "cancel", "1"]) == 0
    rows = asyncio.run(entries())
    assert [(e.action, e.actor_role, e.target) for e in rows] == [
        ("flash.cancel", "cli", "flash:1"),
        ("flash.edit", "cli", "flash:1"),
        ("flash.create", "cli", "flash:1"),
    ]
    assert rows[2].after is not None and (rows[2].after["sku"], rows[2].after["price"]) == ("TEA-1", 990)
    assert rows[0].after is not None and rows[0].after["status"] == "cancelled"


async def test_flash_sales_from_chat_are_audited(shop: Any) -> None:
    from tests.conftest import ADMIN_ID

    await make_product(shop.db, "TEA-9", stock=5)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    await ada.send("/flash_create sku=TEA-9 price=5 stock=2 start=+1h end=+2h")
    await ada.send("/flash_cancel 1")
    rows = await audit.latest(shop.db, 10)
    assert [(e.action, e.actor_id, e.actor_role, e.target) for e in rows] == [
        ("flash.cancel", ADMIN_ID, "admin", "flash:1"),
        ("flash.create", ADMIN_ID, "admin", "flash:1"),
    ]
