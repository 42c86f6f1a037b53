"""How growth hooks into checkout (discount providers) and into order transitions (rewards, reversals)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from store.errors import DomainError
from store.growth import coupons, points, referrals, tiers
from store.models import utcnow
from store.money import STARS, major_units
from store.order_hooks import Transition
from store.pricing_hooks import Adjustment, PricingRequest
from store.rules import policy


async def coupon_discount(session: AsyncSession, request: PricingRequest) -> list[Adjustment]:
    if request.currency == STARS:
        return []
    now = utcnow()
    if request.coupon_code:
        coupon = await coupons.find(session, request.coupon_code)
        amount = await coupons.discount_for(session, coupon, request, now)
        if request.use_points and not coupon.stacks_with_points:
            raise DomainError("coupon_no_stack_points", code=coupon.code)
        if request.consume:
            await coupons.redeem(session, coupon, request.user_id, request.order_id, amount)
        return [_coupon_adjustment(coupon, amount)]
    best: tuple[int, coupons.Coupon] | None = None
    for promo in await coupons.automatic_promotions(session):
        try:
            amount = await coupons.discount_for(session, promo, request, now)
        except DomainError:
            continue
        if best is None or amount > best[0]:
            best = (amount, promo)
    if best is None:
        return []
    if request.consume:
        await coupons.redeem(session, best[1], request.user_id, request.order_id, best[0])
    return [_coupon_adjustment(best[1], best[0])]


def _coupon_adjustment(coupon: coupons.Coupon, amount: int) -> Adjustment:
    return Adjustment(
        "coupon",
        amount,
        "growth.adj_coupon",
        {"code": coupon.code},
        coupon_code=coupon.code,
        stacks_with_tier=coupon.stacks_with_tier,
        stacks_with_points=coupon.stacks_with_points,
    )


async def tier_discount(session: AsyncSession, request: PricingRequest) -> list[Adjustment]:
    if request.currency == STARS:
        return []
    if any(a.kind == "coupon" and not a.stacks_with_tier for a in request.applied):
        return []
    tier = (await tiers.status_in(session, request.user_id)).tier
    result = []
    if tier.discount_percent > 0:
        amount = (request.subtotal * round(tier.discount_percent * 100) + 5000) // 10000
        params: dict[str, str | int] = {
            "percent": f"{tier.discount_percent:g}",
            "tier_en": tier.name_en,
            "tier_zh": tier.name_zh,
        }
        result.append(Adjustment("tier", amount, "growth.adj_tier", params))
    if tier.free_delivery_over is not None and request.delivery_fee and request.subtotal >= tier.free_delivery_over:
        result.append(Adjustment("free_delivery", request.delivery_fee, "growth.adj_free_delivery", {}))
    return result


async def points_discount(session: AsyncSession, request: PricingRequest) -> list[Adjustment]:
    if not request.use_points or request.currency == STARS:
        return []
    if any(a.kind == "coupon" and not a.stacks_with_points for a in request.applied):
        raise DomainError("coupon_no_stack_points", code=request.coupon_code or "")
    rules = policy(session)
    if rules.point_value_minor <= 0:
        return []
    cap_minor = request.running_total * rules.max_points_share_percent // 100
    balance = await points.balance_in(session, request.user_id)
    cap_points = int(cap_minor // rules.point_value_minor)
    usable = min(balance, cap_points)
    if usable <= 0:
        return []
    if request.consume:
        if request.order_id is None:
            raise ValueError("consuming points needs the order id")
        await points.spend(session, request.user_id, usable, f"order_points:{request.order_id}", kind="spend")
    # The summary says why fewer points were used than the shopper has: the share of an order points may pay.
    params: dict[str, str | int] = {
        "points": usable,
        "balance": balance,
        "capped": int(balance > usable),
        "max_share_percent": f"{rules.max_points_share_percent:g}",
    }
    return [Adjustment("points", usable * rules.point_value_minor, "growth.adj_points", params, points_spent=usable)]


async def reward_paid_order(session: AsyncSession, transition: Transition) -> None:
    order = transition.order
    earned = int(major_units(order.total, order.currency) * policy(session).points_per_currency_unit)
    if (
        order.currency != STARS
        and earned > 0
        and await points.award(session, order.user_id, earned, "order", f"order:{order.id}", note=str(order.id))
    ):
        await _notify_points(session, order.user_id, earned)
    await referrals.reward_for_paid_order(session, order.user_id, order.id)
    await tiers.refresh(session, order.user_id)


async def reward_collected_order(session: AsyncSession, transition: Transition) -> None:
    """Pay on pickup: the money is taken at the counter, so the order earns its points (and the referrer's
    reward) when it is collected, as a card order does when it is paid. The ledger keys are the same, so a
    refund claws them back the same way."""
    if transition.from_status == "confirmed":
        await reward_paid_order(session, transition)


async def _notify_points(session: AsyncSession, user_id: int, earned: int) -> None:
    from store import notify

    await notify.notify_user(
        session, user_id, "growth.points_earned", points=earned, balance=await points.balance_in(session, user_id)
    )


async def reverse_refunded_order(session: AsyncSession, transition: Transition) -> None:
    order = transition.order
    await points.reverse(session, f"order:{order.id}", f"order_refund:{order.id}")
    await points.reverse(session, f"order_points:{order.id}", f"order_points_back:{order.id}", kind="refund")
    await referrals.take_back_for_refund(session, order.id)
    await tiers.refresh(session, order.user_id)


async def give_back(session: AsyncSession, transition: Transition) -> None:
    order = transition.order
    await coupons.release_for_order(session, order.id)
    await points.reverse(session, f"order_points:{order.id}", f"order_points_back:{order.id}", kind="refund")
