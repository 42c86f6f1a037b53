"""Growth rules and 'no farming' under concurrency, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

import store.growth  # noqa: F401  (registers providers and hooks)
from store import checkout, order_hooks, orders, payments, pricing_hooks
from store.db import Database
from store.errors import DomainError
from store.growth import checkin, coupons, points, referrals, tiers
from store.models import Order, OutboxMessage, User, utcnow
from store.models.growth import CouponRedemption, Referral
from store.order_hooks import Transition
from store.pricing_hooks import PricedLine, PricingRequest
from tests.orders.helpers import POLICY, card_pickup, fill_cart, make_product


async def _users(db: Database, *ids: int, created: datetime | None = None) -> None:
    async with db.tx() as session:
        for uid in ids:
            session.add(User(id=uid, first_name=f"u{uid}", language="en", created_at=created or utcnow()))


def _request(user_id: int, subtotal: int = 10_000, **kw: object) -> PricingRequest:
    line = PricedLine(product_id=1, sku="SKU1", category_id=1, unit_price=subtotal, quantity=1)
    return PricingRequest(user_id=user_id, currency="CNY", lines=[line], subtotal=subtotal, delivery_fee=0, **kw)  # type: ignore[arg-type]


async def test_concurrent_checkins_award_once(any_db: Database) -> None:
    await _users(any_db, 1)
    results = await asyncio.gather(*(checkin.check_in(any_db, 1) for _ in range(200)))
    assert sum(1 for r in results if not r.already) == 1
    assert await points.balance(any_db, 1) == 10
    assert await points.ledger_sum(any_db, 1) == 10


async def test_streak_grows_resets_and_pays_bonus(db: Database) -> None:
    await _users(db, 2)
    start = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    streaks = []
    for day in range(7):
        streaks.append((await checkin.check_in(db, 2, start + timedelta(days=day))).streak)
    assert streaks == [1, 2, 3, 4, 5, 6, 7]
    assert await points.balance(db, 2) == 7 * 10 + 50  # day-7 bonus
    again = await checkin.check_in(db, 2, start + timedelta(days=6, hours=1))
    assert again.already and again.streak == 7
    after_gap = await checkin.check_in(db, 2, start + timedelta(days=9))
    assert after_gap.streak == 1


async def test_calendar_day_is_the_shops(db: Database) -> None:
    await _users(db, 3)
    # 23:30 and 00:30 UTC are 07:30 and 08:30 on the same day in Shanghai: one check-in.
    first = await checkin.check_in(db, 3, datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    second = await checkin.check_in(db, 3, datetime(2026, 3, 2, 0, 30, tzinfo=UTC))
    assert not first.already and second.already


async def test_concurrent_coupon_redemptions_respect_total_limit(any_db: Database) -> None:
    ids = list(range(1000, 1500))
    await _users(any_db, *ids)
    await coupons.create_coupon(any_db, coupons.CouponSpec(code="HUNDRED", kind="percent", value=10, total_limit=100))
    sem = asyncio.Semaphore(50)

    async def redeem(uid: int) -> bool:
        async with sem:
            try:
                await coupons.redeem_code(any_db, "hundred", uid, _request(uid))
                return True
            except DomainError as exc:
                assert exc.code in ("coupon_used_up", "coupon_user_limit")
                return False

    results = await asyncio.gather(*(redeem(uid) for uid in ids))
    assert sum(results) == 100
    async with any_db.read() as session:
        count = (await session.execute(select(func.count()).select_from(CouponRedemption))).scalar_one()
    assert count == 100


async def test_one_user_cannot_pass_per_user_limit_concurrently(any_db: Database) -> None:
    await _users(any_db, 7)
    await coupons.create_coupon(any_db, coupons.CouponSpec(code="ONCE", kind="fixed", value=500, currency="CNY"))

    async def attempt() -> bool:
        try:
            await coupons.redeem_code(any_db, "ONCE", 7, _request(7))
            return True
        except DomainError:
            return False

    assert sum(await asyncio.gather(*(attempt() for _ in range(50)))) == 1


async def test_points_never_go_negative_under_concurrent_spends(any_db: Database) -> None:
    await _users(any_db, 8)
    async with any_db.tx() as session:
        await points.award(session, 8, 100, "admin", "admin:8:1")

    async def spend(n: int) -> bool:
        try:
            async with any_db.tx() as session:
                return await points.spend(session, 8, 30, f"test-spend:{n}")
        except DomainError:
            return False

    assert sum(await asyncio.gather(*(spend(n) for n in range(40)))) == 3
    assert await points.balance(any_db, 8) == 10
    assert await points.ledger_sum(any_db, 8) == 10


async def test_award_is_idempotent_by_key(db: Database) -> None:
    await _users(db, 9)
    async with db.tx() as session:
        assert await points.award(session, 9, 50, "order", "order:77")
        assert not await points.award(session, 9, 50, "order", "order:77")
    assert await points.balance(db, 9) == 50


async def test_expiry_takes_oldest_first(db: Database) -> None:
    await _users(db, 10)
    async with db.tx() as session:
        await points.award(session, 10, 40, "admin", "old")
        await points.award(session, 10, 40, "admin", "new")
        await points.spend(session, 10, 30, "spend-1")
    from store.models.growth import PointsEntry

    async with db.tx() as session:
        await session.execute(
            update(PointsEntry).where(PointsEntry.idem_key == "old").values(expires_at=utcnow() - timedelta(days=1))
        )
        expired = await points.expire_due(session)
    # 30 of the oldest 40 were spent first, so only 10 expire; the newer 40 stay.
    assert expired == 10
    assert await points.balance(db, 10) == 40 == await points.ledger_sum(db, 10)


async def test_referral_rules(db: Database) -> None:
    await _users(db, 20, 21, 22)
    await _users(db, 23, created=utcnow() - timedelta(days=3))
    code20 = await referrals.code_for(db, 20)
    code21 = await referrals.code_for(db, 21)
    assert code20 != code21 and len(code20) == 8 and str(20) not in code20
    assert not await referrals.attribute(db, 20, code20), "self-referral"
    assert await referrals.attribute(db, 21, code20)
    assert not await referrals.attribute(db, 21, code20), "first touch only"
    assert not await referrals.attribute(db, 20, code21), "a loop"
    assert not await referrals.attribute(db, 23, code20), "not new to the shop"
    assert not await referrals.attribute(db, 22, "nosuchcd")
    async with db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Referral))).scalar_one() == 1
        welcome = await session.execute(select(OutboxMessage).where(OutboxMessage.template == "growth.welcome_coupon"))
        assert welcome.scalar_one().user_id == 21


async def _paid_order(db: Database, user_id: int, total: int, order_id: int | None = None) -> Order:
    async with db.tx() as session:
        order = Order(
            user_id=user_id,
            status="paid",
            currency="CNY",
            subtotal=total,
            total=total,
            payment_method="card",
            delivery_method="pickup",
            paid_at=utcnow(),
        )
        session.add(order)
        await session.flush()
        await order_hooks.run(session, Transition(order, "pending_payment", "paid", "test"))
        return order


async def test_referrer_rewarded_once_on_first_paid_order(db: Database) -> None:
    await _users(db, 30, 31)
    await referrals.attribute(db, 31, await referrals.code_for(db, 30))
    assert await points.balance(db, 30) == 0, "nothing at sign-up"
    await _paid_order(db, 31, 5_000)
    await _paid_order(db, 31, 5_000)
    stats = await referrals.stats(db, 30)
    assert (stats.invited, stats.bought, stats.points_earned) == (1, 1, 200)
    assert await points.balance(db, 30) == 200
    assert await points.balance(db, 31) == 100, "1 point per yuan on both orders"


async def test_refund_reverses_order_points(db: Database) -> None:
    await _users(db, 40)
    order = await _paid_order(db, 40, 12_345)
    assert await points.balance(db, 40) == 123
    async with db.tx() as session:
        row = await session.get(Order, order.id)
        assert row is not None
        row.status = "refunded"
        await order_hooks.run(session, Transition(row, "paid", "refunded", "test"))
        await order_hooks.run(session, Transition(row, "paid", "refunded", "test"))
    assert await points.balance(db, 40) == 0 == await points.ledger_sum(db, 40)


async def test_refunding_the_friends_first_order_takes_the_referral_reward_back(any_db: Database) -> None:
    # Outside tester: a friend's first order paid and refunded the same minute left the referrer +200 for good.
    await _users(any_db, 60, 61)
    await referrals.attribute(any_db, 61, await referrals.code_for(any_db, 60))
    first = await _paid_order(any_db, 61, 5_000)
    assert await points.balance(any_db, 60) == 200
    for _ in range(2):  # a retried hook takes it once
        async with any_db.tx() as session:
            row = await session.get(Order, first.id)
            assert row is not None
            row.status = "refunded"
            await order_hooks.run(session, Transition(row, "paid", "refunded", "test"))
    assert await points.balance(any_db, 60) == 0 == await points.ledger_sum(any_db, 60)
    await _paid_order(any_db, 61, 5_000)
    assert await points.balance(any_db, 60) == 0, "one reward per friend: buy-and-refund cannot farm it"


async def test_tier_follows_spend_and_is_announced_once(db: Database) -> None:
    await _users(db, 50)
    await _paid_order(db, 50, 30_000)
    assert (await tiers.status(db, 50)).tier.key == "member"
    await _paid_order(db, 50, 25_000)
    status = await tiers.status(db, 50)
    assert status.tier.key == "silver" and status.next_tier is not None and status.to_next == 145_000
    await _paid_order(db, 50, 100)
    async with db.read() as session:
        announced = await session.execute(
            select(func.count()).where(OutboxMessage.template == "growth.tier_changed", OutboxMessage.user_id == 50)
        )
        assert announced.scalar_one() == 1


async def test_checkout_pricing_applies_coupon_tier_and_capped_points(db: Database) -> None:
    await _users(db, 60)
    await _paid_order(db, 60, 60_000)  # silver: 3% off; earns 600 points
    await coupons.create_coupon(db, coupons.CouponSpec(code="TEN", kind="percent", value=10, min_spend=5_000))
    async with db.read() as session:
        preview = await pricing_hooks.adjust(session, _request(60, 10_000, coupon_code="ten", use_points=True))
    kinds = {a.kind: a.amount for a in preview}
    assert kinds["coupon"] == 1_000 and kinds["tier"] == 300
    # Points pay at most 30% of what is left (8,700 -> 2,610), and the user has 600 points = ¥6.00.
    assert kinds["points"] == 600


async def test_coupon_refusals_have_reasons(db: Database) -> None:
    await _users(db, 70)
    now = utcnow()
    await coupons.create_coupon(db, coupons.CouponSpec(code="BIG", kind="percent", value=10, min_spend=50_000))
    await coupons.create_coupon(
        db, coupons.CouponSpec(code="LATER", kind="percent", value=10, starts_at=now + timedelta(days=1))
    )
    await coupons.create_coupon(
        db,
        coupons.CouponSpec(
            code="GONE", kind="percent", value=10, ends_at=now - timedelta(seconds=1), starts_at=now - timedelta(days=1)
        ),
    )
    await coupons.create_coupon(
        db, coupons.CouponSpec(code="TEAONLY", kind="percent", value=10, scope="product", scope_ref="TEA")
    )
    for code, reason in [
        ("BIG", "coupon_min_spend"),
        ("LATER", "coupon_not_started"),
        ("GONE", "coupon_expired"),
        ("TEAONLY", "coupon_scope"),
        ("NOPE", "coupon_unknown"),
    ]:
        async with db.read() as session:
            with pytest.raises(DomainError) as caught:
                await pricing_hooks.adjust(session, _request(70, coupon_code=code))
        assert caught.value.code == reason


async def test_cancelled_order_gives_coupon_and_points_back(db: Database) -> None:
    await _users(db, 80)
    async with db.tx() as session:
        await points.award(session, 80, 500, "admin", "grant:80")
    await coupons.create_coupon(
        db, coupons.CouponSpec(code="ONE", kind="fixed", value=100, currency="CNY", total_limit=1)
    )
    async with db.tx() as session:
        order = Order(
            user_id=80,
            status="pending_payment",
            currency="CNY",
            subtotal=10_000,
            total=10_000,
            payment_method="card",
            delivery_method="pickup",
        )
        session.add(order)
        await session.flush()
        request = _request(80, 10_000, coupon_code="ONE", use_points=True, order_id=order.id, consume=True)
        applied = await pricing_hooks.adjust(session, request)
    assert {a.kind for a in applied} == {"coupon", "points"}
    assert await points.balance(db, 80) == 0
    async with db.tx() as session:
        row = await session.get(Order, order.id)
        assert row is not None
        await order_hooks.run(session, Transition(row, "pending_payment", "cancelled", "user"))
    assert await points.balance(db, 80) == 500
    await coupons.redeem_code(db, "ONE", 80, _request(80))  # the single use is available again


async def test_pay_on_pickup_earns_points_and_referral_once_when_collected(any_db: Database) -> None:
    await _users(any_db, 90, 91)
    await referrals.attribute(any_db, 91, await referrals.code_for(any_db, 90))
    tea = await make_product(any_db, "TEA-1", price=12_345, stock=5)
    await fill_cart(any_db, 91, {tea: 1})
    placed = await checkout.place_order(any_db, card_pickup(91, payment_method="pickup"), POLICY)
    assert placed.status == "confirmed"
    assert await points.balance(any_db, 91) == 0 == await points.balance(any_db, 90), "nothing before the counter"
    await orders.admin_transition(any_db, placed.order_id, orders.DELIVERED, 99)
    assert await points.balance(any_db, 91) == 123, "1 point per yuan, earned at the counter"
    assert await points.balance(any_db, 90) == 200, "the referrer's reward for the first paid order"
    assert (await tiers.status(any_db, 91)).spend == 12_345
    async with any_db.tx() as session:  # the hook run again (a retry) changes nothing: the ledger keys hold
        row = await session.get(Order, placed.order_id)
        assert row is not None
        await order_hooks.run(session, Transition(row, "confirmed", "delivered", "test"))
    assert (await points.balance(any_db, 91), await points.balance(any_db, 90)) == (123, 200)
    async with any_db.read() as session:
        told = await session.execute(
            select(func.count()).where(OutboxMessage.template == "growth.points_earned", OutboxMessage.user_id == 91)
        )
        assert told.scalar_one() == 1
    await payments.refund_order(any_db, placed.order_id, 99)
    assert await points.balance(any_db, 91) == 0 == await points.ledger_sum(any_db, 91), "a refund claws back"
