"""Coupons: codes or automatic promotions; percentage or fixed; minimum spend; scope (all, category, product);
validity window; total and per-user limits; stacking rules. A use is a conditional update on the coupon and a
(coupon, user, n) row, so 500 concurrent redemptions of a 100-use coupon give exactly 100."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import Database, rowcount
from store.errors import DomainError
from store.models import Category, Order, Product, utcnow
from store.models.growth import Coupon, CouponRedemption
from store.money import Money
from store.orders import CONFIRMED, PAID_STATUSES
from store.pricing_hooks import PricedLine, PricingRequest

CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class CouponSpec:
    code: str
    kind: str  # percent | fixed
    value: int
    currency: str | None = None
    min_spend: int = 0
    scope: str = "all"
    scope_ref: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    total_limit: int | None = None
    per_user_limit: int = 1
    stacks_with_points: bool = True
    stacks_with_tier: bool = True
    automatic: bool = False
    points_cost: int | None = None


@dataclass(frozen=True)
class CouponView:
    code: str
    kind: str
    value: int
    currency: str | None
    min_spend: int
    scope: str
    scope_ref: str | None
    ends_at: datetime | None
    used_count: int
    total_limit: int | None
    points_cost: int | None


def _view(c: Coupon) -> CouponView:
    return CouponView(
        c.code,
        c.kind,
        c.value,
        c.currency,
        c.min_spend,
        c.scope,
        c.scope_ref,
        c.ends_at,
        c.used_count,
        c.total_limit,
        c.points_cost,
    )


def normalise(code: str) -> str:
    """The stored form of a typed code: a Chinese keyboard types full-width letters and digits ("ＳＡＶＥ１０"),
    which NFKC folds to the ASCII every code is made of; spaces around it and lower case do not matter."""
    return unicodedata.normalize("NFKC", code).strip().upper()


def validate_spec(spec: CouponSpec) -> None:
    # ASCII only: a code travels in the points shop's Buy button (callback data, 64 bytes) and is typed by shoppers
    if (
        not spec.code
        or len(spec.code) > 32
        or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in spec.code)
    ):
        raise DomainError("coupon_bad_code")
    if spec.kind not in ("percent", "fixed"):
        raise DomainError("coupon_bad_kind")
    if spec.kind == "percent" and not 1 <= spec.value <= 100:
        raise DomainError("coupon_bad_value")
    if spec.kind == "fixed" and (spec.value <= 0 or not spec.currency):
        raise DomainError("coupon_bad_value")
    if spec.scope not in ("all", "category", "product") or (spec.scope != "all" and not spec.scope_ref):
        raise DomainError("coupon_bad_scope")
    if (spec.total_limit is not None and spec.total_limit < 1) or spec.per_user_limit < 1:
        raise DomainError("coupon_bad_limit")
    if spec.starts_at and spec.ends_at and spec.ends_at <= spec.starts_at:
        raise DomainError("coupon_bad_window")


async def create_coupon(db: Database, spec: CouponSpec) -> CouponView:
    validate_spec(spec)
    try:
        async with db.tx() as session:
            coupon = Coupon(**{**spec.__dict__, "code": normalise(spec.code)})
            session.add(coupon)
            await session.flush()
            return _view(coupon)
    except IntegrityError as exc:
        raise DomainError("coupon_exists", code=normalise(spec.code)) from exc


async def create_personal_coupon(
    session: AsyncSession, owner_id: int, *, percent: float, key: str, first_order_only: bool = False
) -> Coupon:
    """A one-use coupon for one user (welcome gift, points shop); `key` makes it idempotent. `first_order_only`:
    it applies only while the user has no order that went through (the welcome gift's promise)."""
    code = "W" + secrets.token_hex(4).upper() if key.startswith("welcome") else "P" + secrets.token_hex(4).upper()
    coupon = Coupon(
        code=code,
        kind="percent",
        value=max(1, min(100, round(percent))),
        owner_id=owner_id,
        total_limit=1,
        per_user_limit=1,
        first_order_only=first_order_only,
    )
    session.add(coupon)
    await session.flush()
    return coupon


async def list_coupons(db: Database, *, active_only: bool = True) -> list[CouponView]:
    async with db.read() as session:
        query = select(Coupon).where(Coupon.owner_id.is_(None))
        if active_only:
            query = query.where(Coupon.active.is_(True))
        return [_view(c) for c in (await session.execute(query.order_by(Coupon.id))).scalars()]


async def my_coupons(db: Database, user_id: int) -> list[CouponView]:
    async with db.read() as session:
        rows = await session.execute(
            select(Coupon).where(Coupon.owner_id == user_id, Coupon.active.is_(True), Coupon.used_count == 0)
        )
        return [_view(c) for c in rows.scalars()]


async def deactivate(db: Database, code: str) -> bool:
    async with db.tx() as session:
        result = await session.execute(update(Coupon).where(Coupon.code == normalise(code)).values(active=False))
        return bool(rowcount(result))


async def _eligible_amount(session: AsyncSession, coupon: Coupon, lines: list[PricedLine]) -> int:
    if coupon.scope == "all":
        return sum(line.amount for line in lines)
    if coupon.scope == "product":
        return sum(line.amount for line in lines if line.sku == coupon.scope_ref)
    category = (
        await session.execute(select(Category.id).where(Category.slug == coupon.scope_ref))
    ).scalar_one_or_none()
    return sum(line.amount for line in lines if line.category_id == category)


async def _user_uses(session: AsyncSession, coupon_id: int, user_id: int) -> tuple[int, int]:
    """(uses still counting, all rows) for a user."""
    active = await session.execute(
        select(func.count()).where(
            CouponRedemption.coupon_id == coupon_id,
            CouponRedemption.user_id == user_id,
            CouponRedemption.released.is_(False),
        )
    )
    every = await session.execute(
        select(func.count()).where(CouponRedemption.coupon_id == coupon_id, CouponRedemption.user_id == user_id)
    )
    return int(active.scalar_one()), int(every.scalar_one())


async def discount_for(session: AsyncSession, coupon: Coupon, request: PricingRequest, now: datetime) -> int:
    """The discount this coupon gives on this order, or a DomainError saying why it does not apply."""
    if not coupon.active:
        raise DomainError("coupon_inactive", code=coupon.code)
    if coupon.owner_id is not None and coupon.owner_id != request.user_id:
        raise DomainError("coupon_unknown", code=coupon.code)
    if coupon.starts_at and now < coupon.starts_at:
        raise DomainError("coupon_not_started", code=coupon.code)
    if coupon.ends_at and now >= coupon.ends_at:
        raise DomainError("coupon_expired", code=coupon.code)
    if coupon.total_limit is not None and coupon.used_count >= coupon.total_limit:
        raise DomainError("coupon_used_up", code=coupon.code)
    used, _ = await _user_uses(session, coupon.id, request.user_id)
    if used >= coupon.per_user_limit:
        raise DomainError("coupon_user_limit", code=coupon.code)
    if coupon.first_order_only and await _has_ordered(session, request.user_id):
        raise DomainError("coupon_first_order_only", code=coupon.code)
    if request.subtotal < coupon.min_spend:
        raise DomainError(
            "coupon_min_spend", code=coupon.code, min_spend=Money(coupon.min_spend, request.currency).format()
        )
    if coupon.kind == "fixed" and coupon.currency != request.currency:
        raise DomainError("coupon_currency", code=coupon.code)
    eligible = await _eligible_amount(session, coupon, request.lines)
    if eligible <= 0:
        raise DomainError("coupon_scope", code=coupon.code)
    if coupon.kind == "percent":
        return (eligible * coupon.value + 50) // 100
    return min(coupon.value, eligible)


async def _has_ordered(session: AsyncSession, user_id: int) -> bool:
    """An order of the user's went through: paid (and on its way, or delivered), or placed to pay on pickup."""
    went_through = (*PAID_STATUSES, CONFIRMED)
    found = await session.execute(
        select(Order.id).where(Order.user_id == user_id, Order.status.in_(went_through)).limit(1)
    )
    return found.first() is not None


async def find(session: AsyncSession, code: str) -> Coupon:
    coupon = (await session.execute(select(Coupon).where(Coupon.code == normalise(code)))).scalar_one_or_none()
    if coupon is None:
        raise DomainError("coupon_unknown", code=normalise(code))
    return coupon


async def automatic_promotions(session: AsyncSession) -> list[Coupon]:
    rows = await session.execute(select(Coupon).where(Coupon.automatic.is_(True), Coupon.active.is_(True)))
    return list(rows.scalars())


async def redeem(session: AsyncSession, coupon: Coupon, user_id: int, order_id: int | None, amount: int) -> None:
    """Take one use: conditional on the total limit, unique on the user's n-th use."""
    result = await session.execute(
        update(Coupon)
        .where(
            Coupon.id == coupon.id,
            Coupon.active.is_(True),
            (Coupon.total_limit.is_(None)) | (Coupon.used_count < Coupon.total_limit),
        )
        .values(used_count=Coupon.used_count + 1)
    )
    if not rowcount(result):
        raise DomainError("coupon_used_up", code=coupon.code)
    used, every = await _user_uses(session, coupon.id, user_id)
    if used >= coupon.per_user_limit:
        raise DomainError("coupon_user_limit", code=coupon.code)
    try:
        async with session.begin_nested():
            session.add(
                CouponRedemption(coupon_id=coupon.id, user_id=user_id, seq=every + 1, order_id=order_id, amount=amount)
            )
    except IntegrityError as exc:
        raise DomainError("coupon_user_limit", code=coupon.code) from exc


async def release_for_order(session: AsyncSession, order_id: int) -> bool:
    """A cancelled or expired order gives its coupon use back."""
    redemption = (
        await session.execute(
            select(CouponRedemption).where(CouponRedemption.order_id == order_id, CouponRedemption.released.is_(False))
        )
    ).scalar_one_or_none()
    if redemption is None:
        return False
    redemption.released = True
    await session.execute(
        update(Coupon)
        .where(Coupon.id == redemption.coupon_id, Coupon.used_count > 0)
        .values(used_count=Coupon.used_count - 1)
    )
    return True


async def redeem_code(db: Database, code: str, user_id: int, request: PricingRequest) -> int:
    """Validate and take one use outside checkout (tests and admin tools); returns the discount."""
    async with db.tx() as session:
        coupon = await find(session, code)
        amount = await discount_for(session, coupon, request, utcnow())
        await redeem(session, coupon, user_id, request.order_id, amount)
        return amount


async def points_shop(db: Database) -> list[CouponView]:
    async with db.read() as session:
        rows = await session.execute(
            select(Coupon).where(Coupon.points_cost.is_not(None), Coupon.owner_id.is_(None), Coupon.active.is_(True))
        )
        return [_view(c) for c in rows.scalars()]


async def buy_with_points(db: Database, user_id: int, template_code: str, purchase_key: str) -> CouponView:
    """Exchange points for a personal copy of a points-shop coupon (one purchase per key)."""
    from store.growth import points

    async with db.tx() as session:
        template = await find(session, template_code)
        if template.points_cost is None or not template.active:
            raise DomainError("coupon_not_for_sale", code=template.code)
        if not await points.spend(
            session, user_id, template.points_cost, f"shop:{user_id}:{purchase_key}", kind="shop"
        ):
            raise DomainError("points_duplicate")
        personal = Coupon(
            code="P" + secrets.token_hex(4).upper(),
            kind=template.kind,
            value=template.value,
            currency=template.currency,
            min_spend=template.min_spend,
            scope=template.scope,
            scope_ref=template.scope_ref,
            owner_id=user_id,
            total_limit=1,
            per_user_limit=1,
            stacks_with_points=template.stacks_with_points,
            stacks_with_tier=template.stacks_with_tier,
        )
        session.add(personal)
        await session.flush()
        return _view(personal)


async def product_category(session: AsyncSession, product_id: int) -> int | None:
    return (await session.execute(select(Product.category_id).where(Product.id == product_id))).scalar_one_or_none()
