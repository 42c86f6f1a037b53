"""The points ledger: append-only, keyed awards, oldest-first spending and expiry, never negative."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import Database, rowcount
from store.errors import DomainError
from store.models import utcnow
from store.models.growth import PointsAccount, PointsEntry
from store.rules import policy


@dataclass(frozen=True)
class Movement:
    delta: int
    kind: str
    note: str | None
    at: datetime


async def _account(session: AsyncSession, user_id: int) -> None:
    if await session.get(PointsAccount, user_id) is None:
        try:
            async with session.begin_nested():
                session.add(PointsAccount(user_id=user_id, balance=0))
        except IntegrityError:
            pass  # created by a concurrent transaction


async def _key_used(session: AsyncSession, key: str) -> bool:
    return (await session.execute(select(PointsEntry.id).where(PointsEntry.idem_key == key))).first() is not None


async def award(session: AsyncSession, user_id: int, points: int, kind: str, key: str, note: str | None = None) -> bool:
    """Credit points once per key; False when the key was already used (a repeat)."""
    if points <= 0:
        return False
    if await _key_used(session, key):
        return False
    await _account(session, user_id)
    try:
        async with session.begin_nested():
            session.add(
                PointsEntry(
                    user_id=user_id,
                    delta=points,
                    kind=kind,
                    idem_key=key,
                    remaining=points,
                    expires_at=utcnow() + timedelta(days=policy(session).points_expiry_days),
                    note=note,
                )
            )
    except IntegrityError:
        return False  # the same award committed concurrently
    await session.execute(
        update(PointsAccount).where(PointsAccount.user_id == user_id).values(balance=PointsAccount.balance + points)
    )
    return True


async def _consume_oldest(session: AsyncSession, user_id: int, points: int) -> None:
    left = points
    rows = await session.execute(
        select(PointsEntry)
        .where(PointsEntry.user_id == user_id, PointsEntry.remaining > 0)
        .order_by(PointsEntry.expires_at, PointsEntry.id)
    )
    for entry in rows.scalars():
        if left == 0:
            break
        take = min(entry.remaining, left)
        entry.remaining -= take
        left -= take


async def spend(session: AsyncSession, user_id: int, points: int, key: str, kind: str = "spend") -> bool:
    """Debit points once per key, oldest first. Raises `points_insufficient` when the balance is short."""
    if points <= 0:
        return False
    if await _key_used(session, key):
        return False
    await _account(session, user_id)
    result = await session.execute(
        update(PointsAccount)
        .where(PointsAccount.user_id == user_id, PointsAccount.balance >= points)
        .values(balance=PointsAccount.balance - points)
    )
    if not rowcount(result):
        raise DomainError("points_insufficient", needed=points)
    try:
        async with session.begin_nested():
            session.add(PointsEntry(user_id=user_id, delta=-points, kind=kind, idem_key=key, remaining=0))
    except IntegrityError as exc:
        # The same spend committed concurrently; the caller's transaction (and this debit) rolls back.
        raise DomainError("points_duplicate") from exc
    await _consume_oldest(session, user_id, points)
    return True


async def reverse(session: AsyncSession, original_key: str, key: str, kind: str = "reversal") -> int:
    """Undo an award or a spend once (refunds, cancellations). Returns the points moved (signed)."""
    original = (
        await session.execute(select(PointsEntry).where(PointsEntry.idem_key == original_key))
    ).scalar_one_or_none()
    if original is None or await _key_used(session, key):
        return 0
    if original.delta < 0:
        refund = -original.delta
        await award(session, original.user_id, refund, kind, key)
        return refund
    # Taking back an award: only what is still there (spent points are not clawed below zero).
    account = await session.get(PointsAccount, original.user_id)
    take = min(original.delta, account.balance if account else 0)
    session.add(PointsEntry(user_id=original.user_id, delta=-take, kind=kind, idem_key=key, remaining=0))
    if take:
        await session.execute(
            update(PointsAccount)
            .where(PointsAccount.user_id == original.user_id, PointsAccount.balance >= take)
            .values(balance=PointsAccount.balance - take)
        )
        if original.remaining >= take:
            original.remaining -= take
        else:
            rest = take - original.remaining
            original.remaining = 0
            await _consume_oldest(session, original.user_id, rest)
    return -take


async def expire_due(session: AsyncSession, now: datetime | None = None) -> int:
    """Turn the unspent rest of expired awards into expiry entries. Returns points expired."""
    moment = now or utcnow()
    rows = await session.execute(
        select(PointsEntry).where(PointsEntry.remaining > 0, PointsEntry.expires_at <= moment).order_by(PointsEntry.id)
    )
    total = 0
    for entry in rows.scalars().all():
        amount = entry.remaining
        key = f"expire:{entry.id}"
        if await _key_used(session, key):
            continue
        result = await session.execute(
            update(PointsAccount)
            .where(PointsAccount.user_id == entry.user_id, PointsAccount.balance >= amount)
            .values(balance=PointsAccount.balance - amount)
        )
        if not rowcount(result):
            continue
        entry.remaining = 0
        session.add(PointsEntry(user_id=entry.user_id, delta=-amount, kind="expire", idem_key=key, remaining=0))
        total += amount
    return total


async def balance_in(session: AsyncSession, user_id: int) -> int:
    account = await session.get(PointsAccount, user_id)
    return account.balance if account else 0


async def balance(db: Database, user_id: int) -> int:
    async with db.read() as session:
        return await balance_in(session, user_id)


async def ledger_sum(db: Database, user_id: int) -> int:
    """The balance derived from the ledger (tests check it equals the account)."""
    async with db.read() as session:
        total = await session.execute(
            select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(PointsEntry.user_id == user_id)
        )
        return int(total.scalar_one())


async def movements(db: Database, user_id: int, limit: int = 10) -> list[Movement]:
    async with db.read() as session:
        rows = await session.execute(
            select(PointsEntry).where(PointsEntry.user_id == user_id).order_by(PointsEntry.id.desc()).limit(limit)
        )
        return [Movement(r.delta, r.kind, r.note, r.created_at) for r in rows.scalars()]
