"""Referral links: an unguessable personal code, first-touch attribution for users new to the shop (who get
the welcome coupon right then, on opening the link), and the referrer's reward when the invitee's first order
is paid (not at sign-up)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store import notify
from store.db import Database
from store.growth import coupons, points
from store.models import Order, User, utcnow
from store.models.growth import PointsEntry, Referral
from store.rules import policy

_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no look-alikes (l/1, o/0)
CODE_LENGTH = 8  # 32^8 ≈ 10^12 codes: not guessable by trying


def _new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))


@dataclass(frozen=True)
class ReferralStats:
    code: str
    invited: int
    bought: int
    points_earned: int


async def code_for(db: Database, user_id: int) -> str:
    """The user's personal code, created on first use."""
    for _ in range(5):
        try:
            async with db.tx() as session:
                user = await session.get(User, user_id)
                if user is None:
                    raise LookupError(user_id)
                if user.referral_code:
                    return user.referral_code
                user.referral_code = _new_code()
                return user.referral_code
        except IntegrityError:
            continue  # code collision or concurrent creation: try again
    raise RuntimeError("could not allocate a referral code")


async def attribute(db: Database, invitee_id: int, code: str) -> bool:
    """Record who brought a new user. Refused silently (False) for self-referral, loops, unknown codes,
    users who are not new, and anyone already attributed."""
    rules = policy(db)
    try:
        async with db.tx() as session:
            referrer = (await session.execute(select(User).where(User.referral_code == code))).scalar_one_or_none()
            invitee = await session.get(User, invitee_id)
            if referrer is None or invitee is None or referrer.id == invitee_id:
                return False
            if await session.get(Referral, invitee_id) is not None or invitee.referred_by is not None:
                return False
            if utcnow() - invitee.created_at > timedelta(seconds=rules.new_user_window_seconds):
                return False
            has_orders = (await session.execute(select(Order.id).where(Order.user_id == invitee_id).limit(1))).first()
            if has_orders is not None:
                return False
            if await _in_chain_above(session, referrer.id, invitee_id):
                return False  # a loop: the invitee brought the referrer (directly or further up)
            session.add(Referral(invitee_id=invitee_id, referrer_id=referrer.id))
            invitee.referred_by = referrer.id
            await session.flush()
            if rules.welcome_coupon_percent > 0:
                coupon = await coupons.create_personal_coupon(
                    session,
                    invitee_id,
                    percent=rules.welcome_coupon_percent,
                    key=f"welcome:{invitee_id}",
                    first_order_only=True,
                )
                await notify.notify_user(
                    session,
                    invitee_id,
                    "growth.welcome_coupon",
                    code=coupon.code,
                    percent=int(rules.welcome_coupon_percent),
                )
            return True
    except IntegrityError:
        return False


async def _in_chain_above(session: AsyncSession, start: int, target: int) -> bool:
    seen: set[int] = set()
    current: int | None = start
    while current is not None and current not in seen:
        if current == target:
            return True
        seen.add(current)
        row = await session.get(Referral, current)
        current = row.referrer_id if row else None
    return False


async def reward_for_paid_order(session: AsyncSession, invitee_id: int, order_id: int) -> bool:
    """Called inside the payment transaction. The referrer earns points for the invitee's first paid order."""
    referral = await session.get(Referral, invitee_id)
    if referral is None or referral.rewarded_at is not None:
        return False
    awarded = await points.award(
        session,
        referral.referrer_id,
        policy(session).referral_points,
        "referral",
        f"referral:{invitee_id}",
        note=str(invitee_id),
    )
    referral.rewarded_order_id = order_id
    referral.rewarded_at = utcnow()
    if awarded:
        await notify.notify_user(
            session, referral.referrer_id, "growth.referral_rewarded", points=policy(session).referral_points
        )
    return awarded


async def take_back_for_refund(session: AsyncSession, order_id: int) -> int:
    """The friend's first paid order was refunded: the referrer's reward for it goes (what is left of it; spent points
    are not clawed below zero). It was the one reward for this friend: a later order does not earn it again, or
    buying and refunding would farm it."""
    referral = (
        await session.execute(select(Referral).where(Referral.rewarded_order_id == order_id))
    ).scalar_one_or_none()
    if referral is None:
        return 0
    return await points.reverse(
        session, f"referral:{referral.invitee_id}", f"referral_refund:{referral.invitee_id}", kind="refund"
    )


async def stats(db: Database, user_id: int) -> ReferralStats:
    code = await code_for(db, user_id)
    async with db.read() as session:
        invited = (await session.execute(select(func.count()).where(Referral.referrer_id == user_id))).scalar_one()
        bought = (
            await session.execute(
                select(func.count()).where(Referral.referrer_id == user_id, Referral.rewarded_at.is_not(None))
            )
        ).scalar_one()
        earned = (
            await session.execute(
                select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
                    PointsEntry.user_id == user_id, PointsEntry.kind == "referral"
                )
            )
        ).scalar_one()
    return ReferralStats(code, int(invited), int(bought), int(earned))
