"""Membership tiers by spend over a rolling 12 months; a change is announced to the user once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store import notify
from store.db import Database
from store.delivery_fee import DeliveryRule
from store.growth.policy import GrowthPolicy, TierRule
from store.models import Order, utcnow
from store.models.growth import MemberTier
from store.rules import policy

NOT_SPENT = ("refunded", "cancelled", "expired")


@dataclass(frozen=True)
class TierStatus:
    tier: TierRule
    spend: int
    next_tier: TierRule | None
    to_next: int


def tier_for(spend: int, rules: GrowthPolicy) -> TierRule:
    best = rules.tiers[0]
    for rule in rules.tiers:
        if spend >= rule.min_spend and rule.min_spend >= best.min_spend:
            best = rule
    return best


def _spent() -> list[Any]:
    """The orders that count towards a tier: paid in the last 12 months, not given back, not in Stars."""
    return [
        Order.paid_at.is_not(None),
        Order.paid_at >= utcnow() - timedelta(days=365),
        Order.status.not_in(NOT_SPENT),
        Order.currency != "XTR",
    ]


async def spend_in(session: AsyncSession, user_id: int) -> int:
    total = await session.execute(
        select(func.coalesce(func.sum(Order.total), 0)).where(Order.user_id == user_id, *_spent())
    )
    return int(total.scalar_one())


async def spends_in(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, int]:
    """spend_in for many users in one query (0 for those without a counted order)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Order.user_id, func.sum(Order.total)).where(Order.user_id.in_(wanted), *_spent()).group_by(Order.user_id)
    )
    spent = {int(user): int(total or 0) for user, total in rows.all()}
    return {user: spent.get(user, 0) for user in wanted}


async def status_in(session: AsyncSession, user_id: int) -> TierStatus:
    spend = await spend_in(session, user_id)
    current = tier_for(spend, policy(session))
    higher = sorted((t for t in policy(session).tiers if t.min_spend > current.min_spend), key=lambda t: t.min_spend)
    nxt = higher[0] if higher else None
    return TierStatus(current, spend, nxt, (nxt.min_spend - spend) if nxt else 0)


async def status(db: Database, user_id: int) -> TierStatus:
    async with db.read() as session:
        return await status_in(session, user_id)


async def refresh(session: AsyncSession, user_id: int) -> TierRule:
    """Recompute after a payment or refund; announce a change (up or down) once."""
    current = (await status_in(session, user_id)).tier
    row = await session.get(MemberTier, user_id)
    if row is None:
        session.add(MemberTier(user_id=user_id, tier=current.key))
        changed = current.key != policy(session).tiers[0].key
    else:
        changed = row.tier != current.key
        row.tier = current.key
        row.updated_at = utcnow()
    if changed:
        await notify.notify_user(
            session,
            user_id,
            "growth.tier_changed",
            tier_en=current.name_en,
            tier_zh=current.name_zh,
            discount=f"{current.discount_percent:g}",
        )
    return current


# ---------------------------------------------------------------------------------------------- free delivery


async def delivery_perks_in(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, int | None]:
    """Each user's free-delivery perk from their tier (TierRule.free_delivery_over: None no perk, 0 always, N from
    goods of N), in one query for them all; none asked when no tier has the perk."""
    rules = policy(session)
    wanted = set(user_ids)
    if not any(t.free_delivery_over is not None for t in rules.tiers):
        return dict.fromkeys(wanted)
    spends = await spends_in(session, wanted)
    return {user: tier_for(spend, rules).free_delivery_over for user, spend in spends.items()}


async def shopper_rule(session: AsyncSession, user_id: int, rule: DeliveryRule) -> DeliveryRule:
    """The shop's delivery rule for this shopper: waived as their tier's free delivery says. What a group buy's
    or a flash sale's order charges them for delivery, and what the messages offering it say."""
    return rule.for_member((await delivery_perks_in(session, [user_id]))[user_id])


async def shopper_delivery_fee(
    session: AsyncSession, user_id: int, rule: DeliveryRule, delivery_method: str, goods: int
) -> int:
    """What delivery adds for this shopper to goods costing `goods`: the shop's fee unless their tier waives it."""
    if delivery_method != "delivery":
        return 0
    return (await shopper_rule(session, user_id, rule)).fee_for(delivery_method, goods)


async def delivery_perk(db: Database, user_id: int) -> int | None:
    """The user's free-delivery perk (delivery_perks_in), read on its own (for a message offering delivery)."""
    async with db.read() as session:
        return (await delivery_perks_in(session, [user_id]))[user_id]


def max_early_access(rules: GrowthPolicy) -> timedelta:
    """How long before a flash sale's public start its earliest buyers may tap (the best tier's benefit)."""
    return timedelta(minutes=max((t.early_access_minutes for t in rules.tiers), default=0))


async def early_access_in(session: AsyncSession, user_id: int) -> timedelta:
    """This user's head start on flash sales, from their tier."""
    return timedelta(minutes=(await status_in(session, user_id)).tier.early_access_minutes)
