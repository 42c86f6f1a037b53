"""A refund of a group-buy or flash-sale order puts its unit(s) back only while the goods never left the shop
(SQLite and PostgreSQL), as for a cart order (test_refund_restocks.py). A group-buy order gives its reserved units
back to the product. A flash order's unit goes back to the sale's pool while the sale is live (another shopper can win
it, never beyond the sale's stock), or to the product once the sale is over, whichever of the refund and the end comes
first; the sale's paid count and revenue are taken back. After shipping or a hand-over nothing comes back. Refunded is
terminal: a second refund is refused and gives nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from store import flashsale, groupbuy, orders, payments
from store.db import Database
from store.errors import DomainError
from store.models import OutboxMessage
from tests.flashsale.helpers import live_sale
from tests.groupbuy import helpers as gb
from tests.orders.helpers import CONTACT, make_product, make_users, stock_of

ADMIN = 7
WINDOW = timedelta(minutes=15)


async def _pay(db: Database, order_id: int, charge: str) -> None:
    order = await orders.get_order(db, order_id)
    incoming = payments.IncomingPayment(
        order.user_id, payments.invoice_payload(order_id), order.currency, order.total, charge
    )
    assert (await payments.record_payment(db, incoming)).kind == "paid"


async def _refund_again_gives_nothing(db: Database, order_id: int, charge: str) -> None:
    """Refunded is terminal: the admin's second refund is refused, and Telegram's report of the refund (the payment
    was waiting to be refunded) moves nothing."""
    with pytest.raises(DomainError) as refused:
        await payments.refund_order(db, order_id, ADMIN)
    assert refused.value.code == "illegal_transition"
    assert (await payments.record_refund(db, charge)).kind == "refunded"
    assert (await payments.record_refund(db, charge)).kind == "already"


# ---------------------------------------------------------------------------------------------- group buys


async def test_group_buy_order_refunded_while_paid_restocks_once_not_after_hand_over(any_db: Database) -> None:
    await make_users(any_db, [1, 11, 12, 13])
    tea = await gb.make_product(any_db, stock=20)
    buy = await gb.publish(any_db, tea, minimum=2)
    for uid in (11, 12, 13):
        await groupbuy.join(any_db, buy.id, uid)
    await groupbuy.set_quantity(any_db, buy.id, 11, 2)
    await groupbuy.set_delivery(any_db, buy.id, 13, "delivery", CONTACT)
    async with any_db.tx() as session:
        outcome = await groupbuy.close(session, buy.id, gb.POLICY)
    assert outcome.status == "succeeded"
    waiting, collected, parcel = outcome.order_ids
    for order_id, charge in ((waiting, "g-1"), (collected, "g-2"), (parcel, "g-3")):
        await _pay(any_db, order_id, charge)
    assert await stock_of(any_db, tea) == 16

    # Paid and waiting at the pickup point: both units go back, once.
    await payments.refund_order(any_db, waiting, ADMIN)
    assert (await orders.get_order(any_db, waiting)).status == "refunded"
    assert await stock_of(any_db, tea) == 18
    await _refund_again_gives_nothing(any_db, waiting, "g-1")
    assert await stock_of(any_db, tea) == 18

    # Collected, or shipped: the goods are with the buyer.
    await orders.admin_transition(any_db, collected, orders.DELIVERED, ADMIN)
    await payments.refund_order(any_db, collected, ADMIN)
    await orders.admin_transition(any_db, parcel, orders.SHIPPED, ADMIN)
    await payments.refund_order(any_db, parcel, ADMIN)
    assert await stock_of(any_db, tea) == 18

    # The buy stays as it closed: succeeded at the tier its three people reached; the leader earns nothing.
    after = await groupbuy.get(any_db, buy.id)
    assert (after.status, after.joined, after.final_price) == ("succeeded", 3, 9000)
    assert await groupbuy.commission_balance(any_db, 1) == 0


# ---------------------------------------------------------------------------------------------- flash sales


async def _won(db: Database, sale_id: int, *user_ids: int) -> list[int]:
    """Each user taps once (their first unit); the won units' order ids (asserts every tap won)."""
    batch = await flashsale.commit_claims(
        db, sale_id, [flashsale.ClaimRequest(uid, 1) for uid in user_ids], payment_window=WINDOW
    )
    assert [r.outcome for r in batch.results] == [flashsale.WON] * len(user_ids)
    return [r.order_id for r in batch.results if r.order_id is not None]


async def _end(db: Database, sale_id: int) -> bool:
    async with db.tx() as session:
        return await flashsale.end_sale(session, sale_id)


async def _counts(db: Database, sale_id: int) -> tuple[int, int, int]:
    sale = await flashsale.get_sale(db, sale_id)
    return sale.sold, sale.paid, sale.revenue


async def _claim_statuses(db: Database, sale_id: int) -> dict[int, str]:
    return {order_id: status for _, _, status, order_id in await flashsale.claims_of(db, sale_id) if order_id}


async def test_flash_refund_while_live_puts_the_unit_back_in_the_pool(any_db: Database) -> None:
    tea = await make_product(any_db, "FLASH-TEA", price=2500, stock=10)
    await make_users(any_db, [1, 2, 3, 4])
    sale = await live_sale(any_db, "FLASH-TEA", stock=2, price=1990)
    first, second = await _won(any_db, sale.id, 1, 2)
    await _pay(any_db, first, "f-1")
    await _pay(any_db, second, "f-2")
    assert await _counts(any_db, sale.id) == (2, 2, 3980)

    await payments.refund_order(any_db, first, ADMIN)
    assert await _counts(any_db, sale.id) == (1, 1, 1990)
    assert (await _claim_statuses(any_db, sale.id))[first] == "refunded"
    assert await stock_of(any_db, tea) == 8, "the unit is in the sale's pool, not on the shelf"
    await _refund_again_gives_nothing(any_db, first, "f-1")
    assert await _counts(any_db, sale.id) == (1, 1, 1990)

    # Another shopper wins the unit; the refunded buyer is at the per-person limit (units won); nobody oversells.
    (third,) = await _won(any_db, sale.id, 3)
    later = await flashsale.commit_claims(
        any_db, sale.id, [flashsale.ClaimRequest(1, 2), flashsale.ClaimRequest(4, 1)], payment_window=WINDOW
    )
    assert [r.outcome for r in later.results] == [flashsale.SOLD_OUT, flashsale.SOLD_OUT]
    await _pay(any_db, third, "f-3")
    statuses = await _claim_statuses(any_db, sale.id)
    assert list(statuses.values()).count("paid") == 2 <= sale.stock
    assert await _counts(any_db, sale.id) == (2, 2, 3980)
    assert await _end(any_db, sale.id)
    assert await stock_of(any_db, tea) == 8, "both units are with paying buyers, none unsold"


async def test_flash_group_card_shows_a_refunded_unit_and_the_next_sell_out(any_db: Database) -> None:
    """The sold-out group card says "live" again when a refunded unit comes back, and "sold out" again when it is won:
    every card edit is drawn once per tag, and neither may reuse the first sell-out's."""
    await make_product(any_db, "FLASH-TEA", price=2500, stock=10)
    await make_users(any_db, [1, 2, 3])
    sale = await live_sale(any_db, "FLASH-TEA", stock=2, price=1990)
    async with any_db.tx() as session:
        session.add(
            OutboxMessage(
                chat_id=-100,
                template=flashsale.CARD_TEMPLATE,
                dedupe_key=flashsale.announce_key(sale.id, -100),
                params={},
                status="sent",
                message_id=50,
            )
        )
    first, second = await _won(any_db, sale.id, 1, 2)
    await _pay(any_db, first, "f-1")
    await _pay(any_db, second, "f-2")
    await payments.refund_order(any_db, first, ADMIN)
    await _won(any_db, sale.id, 3)
    async with any_db.read() as session:
        edits = await session.execute(
            select(OutboxMessage.params)
            .where(OutboxMessage.chat_id == -100, OutboxMessage.dedupe_key.like(f"flashcard:{sale.id}:%"))
            .order_by(OutboxMessage.id)
        )
        states = [(params["state"], params["left"], params["edit_message_id"]) for params in edits.scalars()]
    assert states == [(flashsale.SOLD_OUT, 0, 50), (flashsale.LIVE, 1, 50), (flashsale.SOLD_OUT, 0, 50)]


async def test_flash_refund_after_the_sale_ended_gives_the_unit_to_the_product(any_db: Database) -> None:
    tea = await make_product(any_db, "FLASH-TEA", price=2500, stock=10)
    await make_users(any_db, [1])
    sale = await live_sale(any_db, "FLASH-TEA", stock=2, price=1990)
    (order_id,) = await _won(any_db, sale.id, 1)
    await _pay(any_db, order_id, "f-1")
    assert await _end(any_db, sale.id)
    assert await stock_of(any_db, tea) == 9, "the unsold unit came back at the end"

    await payments.refund_order(any_db, order_id, ADMIN)
    assert await stock_of(any_db, tea) == 10
    ended = await flashsale.get_sale(any_db, sale.id)
    assert (ended.status, ended.sold, ended.paid, ended.revenue) == ("ended", 0, 0, 0)
    await _refund_again_gives_nothing(any_db, order_id, "f-1")
    assert await stock_of(any_db, tea) == 10


@pytest.mark.parametrize("order_of_events", ["refund_first", "end_first", "at_once"])
async def test_flash_refund_and_end_in_any_order_keep_every_unit(any_db: Database, order_of_events: str) -> None:
    """Every unit paid schedules the end at once (on_paid); a refund may come before it, after it, or with it. The
    product's stock plus the pool never gains or loses a unit: the refunded one is back on the shelf either way."""
    tea = await make_product(any_db, "FLASH-TEA", price=2500, stock=10)
    await make_users(any_db, [1, 2])
    sale = await live_sale(any_db, "FLASH-TEA", stock=2, price=1990)
    first, second = await _won(any_db, sale.id, 1, 2)
    await _pay(any_db, first, "f-1")
    await _pay(any_db, second, "f-2")

    if order_of_events == "refund_first":
        await payments.refund_order(any_db, first, ADMIN)
        assert await _end(any_db, sale.id)
    elif order_of_events == "end_first":
        assert await _end(any_db, sale.id)
        await payments.refund_order(any_db, first, ADMIN)
    else:
        await asyncio.gather(payments.refund_order(any_db, first, ADMIN), _end(any_db, sale.id))

    ended = await flashsale.get_sale(any_db, sale.id)
    assert ended.status == "ended"
    assert await stock_of(any_db, tea) == 9, "8 left after the sale took 2, and the refunded unit"
    assert (ended.sold, ended.paid, ended.revenue) == (1, 1, 1990)


async def test_flash_refund_after_shipping_brings_nothing_back(any_db: Database) -> None:
    tea = await make_product(any_db, "FLASH-TEA", price=2500, stock=10)
    await make_users(any_db, [1, 2])
    sale = await live_sale(any_db, "FLASH-TEA", stock=2, price=1990)
    (order_id,) = await _won(any_db, sale.id, 1)
    await _pay(any_db, order_id, "f-1")
    await orders.admin_transition(any_db, order_id, orders.SHIPPED, ADMIN)

    await payments.refund_order(any_db, order_id, ADMIN)
    # The unit stays sold (the parcel is with the buyer) and counted as paid; the money went back.
    assert await _counts(any_db, sale.id) == (1, 1, 0)
    assert (await _claim_statuses(any_db, sale.id))[order_id] == "refunded"
    await _refund_again_gives_nothing(any_db, order_id, "f-1")
    (other,) = await _won(any_db, sale.id, 2)
    later = await flashsale.commit_claims(any_db, sale.id, [flashsale.ClaimRequest(2, 2)], payment_window=WINDOW)
    assert [r.outcome for r in later.results] == [flashsale.SOLD_OUT], "no extra unit appeared in the pool"
    await _pay(any_db, other, "f-2")
    assert await _end(any_db, sale.id)
    assert await stock_of(any_db, tea) == 8


async def test_flash_stars_refund_takes_back_the_flash_price_and_keeps_digital_goods_out(any_db: Database) -> None:
    """A digital unit went to the buyer with the payment: it never comes back. A Stars payment counted in the sale's
    revenue at its flash price, and that is what the refund takes back."""
    gift = await make_product(any_db, "GIFT", price=5000, stock=10, digital=True, stars=350)
    await make_users(any_db, [1])
    sale = await live_sale(any_db, "GIFT", stock=2, price=4000)
    (order_id,) = await _won(any_db, sale.id, 1)
    assert await flashsale.pay_in_stars(any_db, order_id, 1) is not None
    await _pay(any_db, order_id, "s-1")
    assert await _counts(any_db, sale.id) == (1, 1, 4000)
    await payments.refund_order(any_db, order_id, ADMIN)
    assert await _counts(any_db, sale.id) == (1, 1, 0)
    assert await _end(any_db, sale.id)
    assert await stock_of(any_db, gift) == 9
