"""Issue 14, counts read as words: "1 order", "2 orders", "1 person, 1 unit" in English, measure words in Chinese,
on the real bot against the emulator; and no English text puts a bare count before a countable noun."""

from __future__ import annotations

import re
from typing import Any

from bot import i18n
from bot.emulator.client import UserHandle
from store import groupbuy, users
from tests.groupbuy.helpers import make_product as make_gb_product
from tests.groupbuy.helpers import publish
from tests.orders.helpers import fill_cart, make_product

# Nouns that follow a count in our English texts; each needs a plural selector, never "{n} people".
COUNTED = (
    "orders?|people|persons?|units?|items?|pcs|days?|hours?|minutes?|points?|recipients?|reviews?|tiers?|"
    "characters?|stars?"
)
BARE_COUNT = re.compile(r"\{[a-z_]+\}\+? +(?:more +)?(?:" + COUNTED + r")\b", re.IGNORECASE)


async def started(shop: Any, name: str, lang: str = "en") -> UserHandle:
    user: UserHandle = await shop.client.user(name, lang=lang)
    await user.send("/start")
    return user


async def _order(shop: Any, user: UserHandle, sku: str, pickup_label: str, card_label: str) -> None:
    product = await make_product(shop.db, sku, price=2500, stock=5)
    await fill_cart(shop.db, user.id, {product: 1})
    await user.send("/checkout")
    await user.tap(pickup_label)
    await user.tap(card_label)


async def _export_caption(user: UserHandle) -> str:
    await user.send("/mydata")
    export = await user.last_message()
    assert export is not None and export.document is not None
    return export.caption or ""


async def test_mydata_counts_one_order_and_two_orders(shop: Any) -> None:
    alice = await started(shop, "Alice")
    await _order(shop, alice, "TEA-1", "Pick up: Central Store", "by card")
    assert "(1 order)" in await _export_caption(alice)
    await _order(shop, alice, "TEA-2", "Pick up: Central Store", "by card")
    assert "(2 orders)" in await _export_caption(alice)

    lilei = await started(shop, "李雷", "zh-hans")
    await _order(shop, lilei, "TEA-3", "自提", "银行卡")
    assert "（1 个订单）" in await _export_caption(lilei)


async def test_leader_desk_counts_one_person_and_one_unit(shop: Any) -> None:
    lena = await started(shop, "Lena")
    await users.grant_role(shop.db, lena.id, "leader")
    alice, bob = await started(shop, "Alice"), await started(shop, "Bob")
    product = await make_gb_product(shop.db, stock=20, price=10000)
    view = await publish(shop.db, product, leader_id=lena.id, minimum=3, tiers=(groupbuy.Tier(3, 9000),))
    await groupbuy.join(shop.db, view.id, alice.id)

    await lena.send("/leader")
    desk = await lena.last_message()
    assert desk is not None and "1 person, 1 unit ·" in (desk.text or "")
    await groupbuy.join(shop.db, view.id, bob.id)
    await groupbuy.set_quantity(shop.db, view.id, bob.id, 2)
    await lena.send("/leader")
    again = (await lena.last_message()) or desk
    assert "2 people, 3 units ·" in (again.text or "")


def test_no_english_text_puts_a_bare_count_before_a_countable_noun() -> None:
    bare = {key: text for key, text in i18n.catalogue("en").items() if BARE_COUNT.search(text)}
    assert bare == {}, "use {n:plural:# order|# orders}"
    assert (
        i18n.t(
            "en", "groupbuy.leader.line", id=1, title="T", status="open", joined=1, units=1, paid="0", commission="0"
        ).count("1 person, 1 unit")
        == 1
    )
    assert "2 人，3 份" in i18n.t(
        "zh", "groupbuy.leader.line", id=1, title="T", status="开放", joined=2, units=3, paid="0", commission="0"
    )
