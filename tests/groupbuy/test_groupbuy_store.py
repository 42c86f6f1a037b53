"""Group-buy rules and use cases against the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.groupbuy_cards import policy
from store import groupbuy, orders, scheduling
from store.db import Database
from store.errors import Conflict, DomainError, Forbidden
from store.models import Order, OutboxMessage, ScheduledJob, utcnow
from tests.conftest import make_test_settings
from tests.groupbuy.helpers import POLICY, make_product, make_users, publish, stock_of

# ---------------------------------------------------------------------------------------------- pure rules


def test_tiers_parse_percentages_prices_and_a_single_group_price() -> None:
    assert groupbuy.parse_tiers("3+ 10%, 10+ 20%", 10000, "CNY") == [
        groupbuy.Tier(3, 9000),
        groupbuy.Tier(10, 8000),
    ]
    assert groupbuy.parse_tiers("3: 89.50; 10: 79", 10000, "CNY") == [
        groupbuy.Tier(3, 8950),
        groupbuy.Tier(10, 7900),
    ]
    assert groupbuy.parse_tiers("5人 85", 10000, "CNY") == [groupbuy.Tier(5, 8500)]
    assert groupbuy.parse_tiers("89", 10000, "CNY") == [groupbuy.Tier(1, 8900)]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "gb_bad_tiers"),
        ("cheap", "gb_bad_tiers"),
        ("3+ 120%", "gb_bad_percent"),
        ("3+ 0%", "gb_bad_percent"),
        ("100.00", "gb_tier_not_cheaper"),
        ("3+ 20%, 10+ 10%", "gb_tiers_order"),
        ("3+ 10%, 3+ 20%", "gb_tiers_order"),
        ("1+1%,2+2%,3+3%,4+4%,5+5%,6+6%", "gb_too_many_tiers"),
        ("3: 89.123", "gb_bad_tiers"),
    ],
)
def test_bad_tiers_are_refused_with_a_reason(text: str, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        groupbuy.parse_tiers(text, 10000, "CNY")
    assert refused.value.code == code


def test_the_price_is_the_tier_reached() -> None:
    tiers = [groupbuy.Tier(3, 9000), groupbuy.Tier(10, 8000)]
    assert groupbuy.price_for(tiers, 10000, 2) == 10000
    assert groupbuy.price_for(tiers, 10000, 3) == 9000
    assert groupbuy.price_for(tiers, 10000, 9) == 9000
    assert groupbuy.price_for(tiers, 10000, 12) == 8000
    assert groupbuy.next_tier(tiers, 4) == groupbuy.Tier(10, 8000)


def test_deadlines_as_durations_or_shop_time() -> None:
    now = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert groupbuy.parse_deadline("24h", now, "Asia/Shanghai", 14) == now + timedelta(hours=24)
    assert groupbuy.parse_deadline("1d 12h", now, "Asia/Shanghai", 14) == now + timedelta(hours=36)
    assert groupbuy.parse_deadline("3天", now, "Asia/Shanghai", 14) == now + timedelta(days=3)
    # 18:00 in Shanghai is 10:00 UTC.
    assert groupbuy.parse_deadline("2026-12-01 18:00", now, "Asia/Shanghai", 14) == datetime(
        2026, 12, 1, 10, 0, tzinfo=UTC
    )
    for text, code in (
        ("tomorrow", "gb_bad_deadline"),
        ("2026-11-30 17:00", "gb_deadline_past"),
        ("30d", "gb_deadline_too_far"),
        ("0h", "gb_bad_deadline"),
    ):
        with pytest.raises(DomainError) as refused:
            groupbuy.parse_deadline(text, now, "Asia/Shanghai", 14)
        assert refused.value.code == code, text


def test_limits_must_fit_each_other_and_the_stock() -> None:
    tiers = [groupbuy.Tier(3, 9000)]
    groupbuy.check_participants(tiers, 2, 10, 2, 20)
    for args, code in (
        ((30, None, 1, 20), "gb_min_above_stock"),
        ((2, 30, 1, 20), "gb_max_above_stock"),
        ((5, 4, 1, 20), "gb_max_below_min"),
        ((1, 2, 1, 20), "gb_tier_unreachable"),
        ((2, 10, 0, 20), "gb_number_range"),
    ):
        with pytest.raises(DomainError) as refused:
            groupbuy.check_participants(tiers, *args)
        assert refused.value.code == code


def test_contact_and_pickup_text() -> None:
    contact = groupbuy.parse_contact("Li Lei, +86 138 0000 0000, 1 Market Street, Gate B", "CN")
    assert contact == orders.Contact("Li Lei", "+8613800000000", "1 Market Street, Gate B")
    with pytest.raises(DomainError):
        groupbuy.parse_contact("Li Lei", "CN")
    with pytest.raises(DomainError):
        groupbuy.clean_pickup_text("x")


# ---------------------------------------------------------------------------------------------- use cases


async def _setup(db: Database, *, stock: int = 20, **kwargs: object) -> tuple[int, groupbuy.GroupBuyView]:
    await make_users(db, [1, 2, 11, 12, 13, 14])
    product_id = await make_product(db, stock=stock)
    buy = await publish(db, product_id, **kwargs)  # type: ignore[arg-type]
    return product_id, buy


async def _close(db: Database, buy_id: int) -> groupbuy.CloseOutcome:
    async with db.tx() as session:
        return await groupbuy.close(session, buy_id, POLICY)


async def test_success_orders_everybody_at_the_tier_reached(any_db: Database) -> None:
    product_id, buy = await _setup(any_db, minimum=2)
    for uid in (11, 12, 13):
        assert (await groupbuy.join(any_db, buy.id, uid)).status == "joined"
    await groupbuy.set_quantity(any_db, buy.id, 12, 3)
    assert await stock_of(any_db, product_id) == 20 - 5

    outcome = await _close(any_db, buy.id)

    assert outcome.status == "succeeded"
    assert outcome.group_buy.final_price == 9000  # 3 joined: the 3+ tier
    async with any_db.read() as session:
        rows = (await session.execute(select(Order).order_by(Order.id))).scalars().all()
        notices = (
            (await session.execute(select(OutboxMessage).where(OutboxMessage.template == "groupbuy.success")))
            .scalars()
            .all()
        )
    assert [(o.user_id, o.subtotal, o.source, o.source_ref, o.status) for o in rows] == [
        (11, 9000, "groupbuy", buy.id, "pending_payment"),
        (12, 27000, "groupbuy", buy.id, "pending_payment"),
        (13, 9000, "groupbuy", buy.id, "pending_payment"),
    ]
    assert all(o.expires_at is not None and o.expires_at > utcnow() + timedelta(minutes=55) for o in rows)
    assert sorted(n.chat_id for n in notices) == [11, 12, 13]
    # Each notice carries its order's deadline, so it can say how long is left when it is read.
    deadlines = {o.user_id: o.expires_at for o in rows}
    assert all(n.params["expires_at"] == deadlines[n.chat_id].isoformat() for n in notices)  # type: ignore[union-attr]
    # The reserved units became the orders' units: nothing released, nothing reserved twice.
    assert await stock_of(any_db, product_id) == 15
    # It happens once: a second deadline event changes nothing.
    assert (await _close(any_db, buy.id)).status == "noop"
    with pytest.raises(Conflict):
        await groupbuy.leave(any_db, buy.id, 11)


async def test_failure_releases_every_unit_and_tells_everybody(any_db: Database) -> None:
    product_id, buy = await _setup(any_db, minimum=3)
    await groupbuy.join(any_db, buy.id, 11)
    await groupbuy.join(any_db, buy.id, 12)
    await groupbuy.set_quantity(any_db, buy.id, 11, 2)
    assert await stock_of(any_db, product_id) == 17

    outcome = await _close(any_db, buy.id)

    assert outcome.status == "failed"
    assert await stock_of(any_db, product_id) == 20
    async with any_db.read() as session:
        notices = (
            (await session.execute(select(OutboxMessage).where(OutboxMessage.template == "groupbuy.closed_notice")))
            .scalars()
            .all()
        )
        order_count = len((await session.execute(select(Order.id))).all())
    assert sorted(n.chat_id for n in notices) == [11, 12]
    assert order_count == 0
    assert (await groupbuy.join(any_db, buy.id, 13)).status == "closed"


async def test_leave_and_quantity_move_stock_both_ways(any_db: Database) -> None:
    product_id, buy = await _setup(any_db, stock=5, per_person=3, tiers=(groupbuy.Tier(3, 9000),))
    await groupbuy.join(any_db, buy.id, 11)
    await groupbuy.set_quantity(any_db, buy.id, 11, 3)
    assert await stock_of(any_db, product_id) == 2
    with pytest.raises(DomainError) as refused:
        await groupbuy.set_quantity(any_db, buy.id, 11, 4)
    assert refused.value.code == "gb_quantity_limit"
    await groupbuy.join(any_db, buy.id, 12)
    with pytest.raises(Conflict):
        await groupbuy.set_quantity(any_db, buy.id, 12, 3)  # only one unit left
    assert await stock_of(any_db, product_id) == 1
    await groupbuy.set_quantity(any_db, buy.id, 11, 1)
    assert await stock_of(any_db, product_id) == 3

    view = await groupbuy.leave(any_db, buy.id, 11)

    assert view.joined == 1
    assert await stock_of(any_db, product_id) == 4
    with pytest.raises(Conflict):
        await groupbuy.leave(any_db, buy.id, 11)
    assert (await groupbuy.join(any_db, buy.id, 11)).status == "joined"  # may come back while open


async def test_reaching_the_maximum_moves_the_deadline_to_now(any_db: Database) -> None:
    _, buy = await _setup(any_db, minimum=2, maximum=3)
    for uid in (11, 12, 13):
        await groupbuy.join(any_db, buy.id, uid)
    assert (await groupbuy.join(any_db, buy.id, 14)).status == "full"
    async with any_db.read() as session:
        job = (
            await session.execute(select(ScheduledJob).where(ScheduledJob.key == f"groupbuy_deadline:{buy.id}"))
        ).scalar_one()
    assert job.run_at <= utcnow()
    assert job.status == "pending"


async def test_only_its_leader_or_an_admin_manages_a_buy(any_db: Database) -> None:
    product_id, buy = await _setup(any_db, leader_id=1)
    await groupbuy.join(any_db, buy.id, 11)
    with pytest.raises(Forbidden):
        await groupbuy.cancel(any_db, buy.id, actor_id=2, is_admin=False)
    with pytest.raises(Forbidden):
        await groupbuy.pickup_csv(any_db, buy.id, actor_id=2, is_admin=False)
    later = buy.deadline + timedelta(days=1)
    with pytest.raises(Forbidden):
        await groupbuy.extend(any_db, buy.id, 2, False, later, POLICY)

    extended = await groupbuy.extend(any_db, buy.id, 1, False, later, POLICY)
    assert extended.deadline == later
    with pytest.raises(DomainError):
        await groupbuy.extend(any_db, buy.id, 1, False, buy.deadline, POLICY)

    cancelled = await groupbuy.cancel(any_db, buy.id, actor_id=2, is_admin=True)
    assert cancelled.status == "cancelled"
    assert await stock_of(any_db, product_id) == 20
    async with any_db.read() as session:
        job = (
            await session.execute(select(ScheduledJob).where(ScheduledJob.key == f"groupbuy_deadline:{buy.id}"))
        ).scalar_one()
    assert job.status == "cancelled"
    with pytest.raises(Conflict):
        await groupbuy.cancel(any_db, buy.id, actor_id=1, is_admin=False)


async def test_commission_credited_on_payment_once_and_reversed_on_refund(any_db: Database) -> None:
    product_id, buy = await _setup(any_db, minimum=2)
    for uid in (11, 12, 13):
        await groupbuy.join(any_db, buy.id, uid)
    outcome = await _close(any_db, buy.id)
    first, second, third = outcome.order_ids

    async with any_db.tx() as session:
        await orders.transition(session, first, orders.PAID, "test")
    assert await groupbuy.commission_balance(any_db, 1) == 450  # 5% of 90.00

    async with any_db.tx() as session:
        await orders.transition(session, first, orders.REFUNDED, "admin:1")
    assert await groupbuy.commission_balance(any_db, 1) == 0
    # Refunded before it was collected: its unit is back on the shelf (hooks.give_back_refunded).
    assert await stock_of(any_db, product_id) == 20 - 3 + 1

    # An unpaid order that expires gives its unit back (group buys hold their own reservation).
    async with any_db.tx() as session:
        await orders.transition(session, second, orders.EXPIRED, "system")
    assert await stock_of(any_db, product_id) == 20 - 3 + 2

    async with any_db.tx() as session:
        await orders.transition(session, third, orders.PAID, "test")
    overview = await groupbuy.leader_overview(any_db, 1)
    assert overview.commission_total == 450
    assert overview.past[0].paid_total == 9000
    name, content = await groupbuy.pickup_csv(any_db, buy.id, actor_id=1, is_admin=False)
    text = content.decode("utf-8-sig")
    assert name == f"groupbuy-{buy.id}-pickup.csv"
    assert text.splitlines()[0].startswith("user_id,name")
    assert len(text.splitlines()) == 4


async def test_pay_on_pickup_and_delivery_choices_shape_the_orders(any_db: Database) -> None:
    _, buy = await _setup(any_db, minimum=2)
    await groupbuy.join(any_db, buy.id, 11)
    await groupbuy.join(any_db, buy.id, 12)
    await groupbuy.set_delivery(any_db, buy.id, 11, "pickup_pay", policy=POLICY)
    with pytest.raises(DomainError) as refused:
        await groupbuy.set_delivery(any_db, buy.id, 12, "delivery")
    assert refused.value.code == "gb_contact_needed"
    contact = orders.Contact("Li Lei", "+8613800000000", "88 Garden Road")
    await groupbuy.set_delivery(any_db, buy.id, 12, "delivery", contact)

    outcome = await _close(any_db, buy.id)

    async with any_db.read() as session:
        rows = {o.user_id: o for o in (await session.execute(select(Order))).scalars()}
    assert rows[11].status == "confirmed" and rows[11].payment_method == "pickup"
    assert rows[11].pickup_point == "central"
    assert rows[12].delivery_method == "delivery" and rows[12].address == "88 Garden Road"
    # Below the tiers: the regular price; delivery is free from 99.00 (the shop rule).
    assert (rows[12].subtotal, rows[12].delivery_fee) == (10000, 0)
    assert outcome.group_buy.final_price == 10000

    async with any_db.tx() as session:
        await orders.transition(session, rows[11].id, orders.DELIVERED, "admin:1")
    assert await groupbuy.commission_balance(any_db, 1) == 500


async def test_a_deadline_event_closes_the_buy_exactly_once(any_db: Database) -> None:
    _, buy = await _setup(any_db, minimum=1)
    await groupbuy.join(any_db, buy.id, 11)
    async with any_db.read() as session:
        pending = await scheduling.pending_jobs(session)
    assert {j.key for j in pending} == {f"groupbuy_deadline:{buy.id}", f"groupbuy_tick:{buy.id}:0"}
    outcomes = []
    for _ in range(2):
        outcomes.append((await _close(any_db, buy.id)).status)
    assert outcomes == ["succeeded", "noop"]


async def test_countdown_ticks_alternate_two_rows_and_stop_when_closed(any_db: Database) -> None:
    _, buy = await _setup(any_db, minimum=1)
    async with any_db.tx() as session:
        view = await groupbuy.tick(session, f"{buy.id}:0", timedelta(minutes=5))
    assert view is not None and view.id == buy.id
    async with any_db.read() as session:
        keys = {j.key for j in await scheduling.pending_jobs(session)}
    assert f"groupbuy_tick:{buy.id}:1" in keys
    await _close(any_db, buy.id)
    async with any_db.read() as session:
        keys = {j.key for j in await scheduling.pending_jobs(session)}
    assert not any(key.startswith("groupbuy_tick") for key in keys)
    async with any_db.tx() as session:
        assert await groupbuy.tick(session, f"{buy.id}:1", timedelta(minutes=5)) is None


@pytest.mark.parametrize(("hold_minutes", "held"), [(90, timedelta(minutes=90)), (0, None)])
async def test_a_pay_on_pickup_order_is_held_as_the_shop_configured(
    any_db: Database, hold_minutes: int, held: timedelta | None
) -> None:
    """orders.pickup_hold_minutes holds a group buy's pay-on-pickup order as it holds a cart's (the bot passed
    none, so every such order held 48 h; and 0, "until cancelled", would have expired it at once)."""
    _, buy = await _setup(any_db, minimum=1)
    await groupbuy.join(any_db, buy.id, 11)
    await groupbuy.set_delivery(any_db, buy.id, 11, "pickup_pay", policy=POLICY)
    async with any_db.tx() as session:
        await groupbuy.close(session, buy.id, replace(POLICY, pickup_hold_minutes=hold_minutes))
    async with any_db.read() as session:
        order = (await session.execute(select(Order).where(Order.user_id == 11))).scalar_one()
    assert order.status == orders.CONFIRMED
    if held is None:
        assert order.expires_at is None
    else:
        assert order.expires_at is not None
        assert abs(order.expires_at - order.created_at - held) < timedelta(seconds=5)


def test_the_bot_passes_the_configured_pickup_hold() -> None:
    settings = make_test_settings(orders={"pickup_hold_minutes": 90})
    assert policy(settings).pickup_hold_minutes == 90
