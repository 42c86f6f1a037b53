"""Outside tester: a Silver or Gold member's tier promises free delivery (config growth.tiers free_delivery_over:
Silver from ¥50 of goods, Gold always), yet a flash-sale unit and a group-buy order charged them the shop's
delivery fee. One rule now (store.growth.tiers.shopper_rule: the shop's DeliveryRule waived by the shopper's
tier) prices delivery for a flash winner's choice and for a group buy's orders at close. SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from store import flashsale, groupbuy, orders
from store.db import Database
from store.delivery_fee import DeliveryRule
from store.growth import tiers
from store.models import Order
from tests.flashsale.helpers import live_sale
from tests.flashsale.helpers import make_product as make_flash_product
from tests.groupbuy.helpers import POLICY, make_users, publish
from tests.groupbuy.helpers import make_product as make_gb_product
from tests.tier_delivery.helpers import GOLD_SPEND, SILVER_SPEND, spent

RULE = DeliveryRule(fee=800, free_over=9900)
PLAIN, SILVER, GOLD = 101, 102, 103


async def _members(db: Database) -> None:
    await make_users(db, [PLAIN, SILVER, GOLD])
    await spent(db, SILVER, SILVER_SPEND)
    await spent(db, GOLD, GOLD_SPEND)


async def _fee(db: Database, user_id: int, goods: int, method: str = "delivery") -> int:
    async with db.read() as session:
        return await tiers.shopper_delivery_fee(session, user_id, RULE, method, goods)


async def test_the_shoppers_fee_is_the_shop_fee_waived_by_their_tier(any_db: Database) -> None:
    await _members(any_db)
    assert await _fee(any_db, PLAIN, 1990) == 800, "no tier perk: the shop's fee"
    assert await _fee(any_db, PLAIN, 9900) == 0, "the shop's own threshold still holds"
    assert await _fee(any_db, GOLD, 1990) == 0, "Gold: delivery always free"
    assert await _fee(any_db, GOLD, 1) == 0
    assert await _fee(any_db, SILVER, 4999) == 800, "Silver under ¥50: the fee"
    assert await _fee(any_db, SILVER, 5000) == 0, "Silver from ¥50: free"
    assert await _fee(any_db, SILVER, 6000) == 0
    assert await _fee(any_db, PLAIN, 1990, "pickup") == 0


async def test_perks_of_many_shoppers_are_read_at_once(any_db: Database) -> None:
    await _members(any_db)
    async with any_db.read() as session:
        perks = await tiers.delivery_perks_in(session, [PLAIN, SILVER, GOLD, 999])
        rule = await tiers.shopper_rule(session, SILVER, RULE)
    assert perks == {PLAIN: None, SILVER: 5000, GOLD: 0, 999: None}
    assert rule.free_from == 5000 and RULE.free_from == 9900


async def _flash_order(db: Database, user_id: int, sku: str) -> int:
    await make_flash_product(db, sku, price=9900, stock=10)
    sale = await live_sale(db, sku, stock=2, price=1990)
    batch = await flashsale.commit_claims(
        db, sale.id, [flashsale.ClaimRequest(user_id, 1)], payment_window=timedelta(minutes=15)
    )
    order_id = batch.results[0].order_id
    assert order_id is not None
    return order_id


async def test_a_gold_flash_winner_choosing_delivery_pays_no_fee(any_db: Database) -> None:
    await _members(any_db)
    gold = await _flash_order(any_db, GOLD, "RICE-G")
    order = await flashsale.choose_receipt(any_db, gold, GOLD, None, ("central",), rule=RULE)
    assert (order.delivery_method, order.subtotal, order.delivery_fee, order.total) == ("delivery", 1990, 0, 1990)
    plain = await _flash_order(any_db, PLAIN, "RICE-P")
    order = await flashsale.choose_receipt(any_db, plain, PLAIN, None, ("central",), rule=RULE)
    assert (order.delivery_fee, order.total) == (800, 2790), "a plain member still pays the fee"
    silver = await _flash_order(any_db, SILVER, "RICE-S")
    order = await flashsale.choose_receipt(any_db, silver, SILVER, None, ("central",), rule=RULE)
    assert (order.delivery_fee, order.total) == (800, 2790), "Silver under ¥50 of goods pays the fee"


async def test_group_buy_orders_waive_delivery_for_tiers_that_give_it(any_db: Database) -> None:
    await _members(any_db)
    product = await make_gb_product(any_db, price=3000)
    await make_users(any_db, [1])
    buy = await publish(any_db, product, minimum=3, tiers=(groupbuy.Tier(3, 2000),))
    contact = orders.Contact("Li Lei", "+8613800000000", "88 Garden Road")
    policy = replace(POLICY, delivery=RULE)
    for user in (PLAIN, SILVER, GOLD):
        await groupbuy.join(any_db, buy.id, user)
        await groupbuy.set_delivery(any_db, buy.id, user, "delivery", contact, policy=policy)
    await groupbuy.set_quantity(any_db, buy.id, SILVER, 3)  # ¥60 of goods: over Silver's ¥50

    async with any_db.tx() as session:
        await groupbuy.close(session, buy.id, policy)
    async with any_db.read() as session:
        rows = {
            o.user_id: o for o in (await session.execute(select(Order).where(Order.source == "groupbuy"))).scalars()
        }
    assert (rows[PLAIN].subtotal, rows[PLAIN].delivery_fee, rows[PLAIN].total) == (2000, 800, 2800)
    assert (rows[GOLD].subtotal, rows[GOLD].delivery_fee, rows[GOLD].total) == (2000, 0, 2000)
    assert (rows[SILVER].subtotal, rows[SILVER].delivery_fee, rows[SILVER].total) == (6000, 0, 6000)

    panel = await groupbuy.participant(any_db, buy.id, GOLD)
    assert panel is not None and panel.member_free_over == 0 and panel.order_delivery_fee == 0
