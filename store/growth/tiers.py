"""Membership tiers by spend over a rolling 12 months; a change is announced to the user once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store import notify
from store.db import Database
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


async def spend_in(session: AsyncSession, user_id: int) -> int:
    since = utcnow() - timedelta(days=365)
    total = await session.execute(
        select(func.coalesce(func.sum(Order.total), 0)).where(
            Order.user_id == user_id,
            Order.paid_at.is_not(None),
            Order.paid_at >= since,
            Order.status.not_in(NOT_SPENT),
            Order.currency != "XTR",
        )
    )
    return int(total.scalar_one())


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


def max_early_access(rules: GrowthPolicy) -> timedelta:
    """How long before a flash sale's public start its earliest buyers may tap (the best tier's benefit)."""
    return timedelta(minutes=max((t.early_access_minutes for t in rules.tiers), default=0))


async def early_access_in(session: AsyncSession, user_id: int) -> timedelta:
    """This user's head start on flash sales, from their tier."""
    return timedelta(minutes=(await status_in(session, user_id)).tier.early_access_minutes)
