"""Staff screens name people and places, not ids: the audit log shows who acted and whose role changed as
"Bob Baker (@bob_b)" (the id only for someone the bot never met), the refund screen names the buyer, the pickup
list CSV names the pickup point (its id kept in a column of its own), and "Leaders & group buys" has a Back button to
the admin menu. End to end through the emulator, en and zh; the CSV also on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.sandbox import Stack
from store import groupbuy, users
from store.db import Database
from tests.conftest import ADMIN_ID
from tests.delivery.helpers import paid_pickup_order, text_of
from tests.groupbuy import helpers as gb

UNKNOWN = 424242  # nobody the bot has met


async def test_audit_log_names_people_and_leaders_section_goes_back(shop: Stack) -> None:
    ada = await shop.client.user("Ada", id=ADMIN_ID, username="ada_admin")
    bob = await shop.client.user("Bob Baker", username="bob_b")
    for person in (ada, bob):
        await person.send("/start")
    for user_id in (bob.id, UNKNOWN):
        await ada.send(f"/leader_grant {user_id}")

    await ada.send("/admin")
    await ada.tap("Leaders & group buys")
    section = await ada.last_message()
    assert section is not None and "Leaders:" in text_of(section)
    assert [b.text for row in section.buttons for b in row] == ["⬅️ Back"]
    await ada.tap("⬅️ Back", message=section)
    menu = next(m for m in await ada.messages() if m.message_id == section.message_id)
    assert "Leaders:" not in text_of(menu) and any("Audit log" in b.text for row in menu.buttons for b in row)

    await ada.tap("📜 Audit log", message=menu)
    page = text_of(await ada.last_message())  # type: ignore[arg-type]
    assert "Ada (@ada_admin) (admin) · role.grant · user:Bob Baker (@bob_b)" in page, page
    assert f"user:{UNKNOWN}" in page  # never met: the id is all there is
    assert str(bob.id) not in page and str(ada.id) not in page


async def test_chinese_leaders_section_has_back(shop: Stack) -> None:
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang="zh-hans")
    await ada.send("/start")
    await ada.send("/admin")
    await ada.tap("团长与拼团")
    section = await ada.last_message()
    assert section is not None and [b.text for row in section.buttons for b in row] == ["⬅️ 返回"]
    await ada.tap("⬅️ 返回", message=section)
    menu = next(m for m in await ada.messages() if m.message_id == section.message_id)
    assert any("团长与拼团" in b.text for row in menu.buttons for b in row)


async def test_refund_screen_names_the_buyer(shop: Any) -> None:
    alice = await paid_pickup_order(shop)

    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/admin")
    await ada.tap("Orders")
    await ada.tap("Pickup orders")
    await ada.tap("#1")
    await ada.tap("Refund")
    await ada.tap("Yes, refund")
    await ada.send("/admin")
    await ada.tap("Orders")
    await ada.tap("Refunds to process (1)")
    await ada.tap("Payment")
    screen = text_of(await ada.last_message())  # type: ignore[arg-type]
    assert "Order #1, buyer Alice" in screen, screen
    assert str(alice.id) not in screen


async def test_pickup_csv_names_the_point(shop: Any) -> None:
    lena = await shop.client.user("Lena")
    alice = await shop.client.user("Alice")
    for person in (lena, alice):
        await person.send("/start")
    await users.grant_role(shop.db, lena.id, "leader")
    product = await gb.make_product(shop.db, stock=10)
    buy = await gb.publish(shop.db, product, leader_id=lena.id)
    await groupbuy.join(shop.db, buy.id, alice.id)

    await lena.send("/leader")
    await lena.tap(f"#{buy.id}")
    await lena.tap("Pickup list")
    document = await lena.last_message()
    assert document is not None and document.document is not None
    (row,) = list(csv.DictReader(io.StringIO(document.document.data.decode("utf-8-sig"))))
    assert (row["name"], row["receive"]) == ("Alice", "pickup")
    assert (row["pickup_point"], row["pickup_point_id"]) == ("Central Store", "central")


async def test_pickup_csv_store(any_db: Database) -> None:
    await gb.make_users(any_db, [1, 11, 12])
    product = await gb.make_product(any_db, stock=10)
    named = await gb.publish(any_db, product)  # the configured point "central"
    typed = await gb.publish(any_db, product, pickup="Lobby of block 7")  # typed by the leader: no id
    for buy in (named, typed):
        await groupbuy.join(any_db, buy.id, 11)

    def rows(content: bytes) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))

    _, content = await groupbuy.pickup_csv(any_db, named.id, 1, False, {"central": "中心门店"})
    assert [(r["pickup_point"], r["pickup_point_id"]) for r in rows(content)] == [("中心门店", "central")]
    _, content = await groupbuy.pickup_csv(any_db, typed.id, 1, False, {"central": "中心门店"})
    assert [(r["pickup_point"], r["pickup_point_id"]) for r in rows(content)] == [("Lobby of block 7", "")]
