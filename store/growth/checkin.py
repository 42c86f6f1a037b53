"""Daily check-in: once per calendar day in the shop's timezone; a streak grows day by day and resets after
a missed day; bonus points on configured streak lengths."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from store.db import Database
from store.growth import points
from store.growth.policy import GrowthPolicy
from store.models import User, utcnow
from store.models.growth import Checkin
from store.rules import policy


@dataclass(frozen=True)
class CheckinResult:
    already: bool
    day: date
    streak: int
    points: int
    bonus: int
    balance: int


def shop_day(moment: datetime, rules: GrowthPolicy) -> date:
    return moment.astimezone(ZoneInfo(rules.timezone)).date()


async def check_in(db: Database, user_id: int, now: datetime | None = None) -> CheckinResult:
    moment = now or utcnow()
    rules = policy(db)
    today = shop_day(moment, rules)
    try:
        async with db.tx() as session:
            existing = await session.get(Checkin, (user_id, today))
            if existing is not None:
                return CheckinResult(True, today, existing.streak, 0, 0, await points.balance_in(session, user_id))
            yesterday = await session.get(Checkin, (user_id, today - timedelta(days=1)))
            streak = yesterday.streak + 1 if yesterday is not None else 1
            bonus = rules.streak_bonuses.get(streak, 0)
            session.add(Checkin(user_id=user_id, day=today, streak=streak, points=rules.checkin_points + bonus))
            await session.flush()
            await points.award(session, user_id, rules.checkin_points, "checkin", f"checkin:{user_id}:{today}")
            if bonus:
                await points.award(session, user_id, bonus, "streak", f"streak:{user_id}:{today}", note=str(streak))
            return CheckinResult(
                False, today, streak, rules.checkin_points, bonus, await points.balance_in(session, user_id)
            )
    except IntegrityError:
        # A concurrent tap checked in first (PostgreSQL): that one counts, this one is a repeat.
        async with db.read() as session:
            row = await session.get(Checkin, (user_id, today))
            return CheckinResult(True, today, row.streak if row else 1, 0, 0, await points.balance_in(session, user_id))


async def current_streak(db: Database, user_id: int, now: datetime | None = None) -> int:
    return (await streak_status(db, user_id, now))[0]


async def streak_status(db: Database, user_id: int, now: datetime | None = None) -> tuple[int, bool]:
    """(the streak still alive, whether today's check-in is done): "check in today to keep it going" is only
    true while today's is not."""
    today = shop_day(now or utcnow(), policy(db))
    async with db.read() as session:
        for day in (today, today - timedelta(days=1)):
            row = await session.get(Checkin, (user_id, day))
            if row is not None:
                return row.streak, day == today
    return 0, False


async def users_to_remind(db: Database, now: datetime | None = None) -> list[int]:
    """Opted-in, reachable users who have not checked in today."""
    today = shop_day(now or utcnow(), policy(db))
    async with db.read() as session:
        checked = select(Checkin.user_id).where(Checkin.day == today)
        rows = await session.execute(
            select(User.id).where(User.checkin_reminder.is_(True), User.unreachable.is_(False), User.id.not_in(checked))
        )
        return list(rows.scalars())


async def set_reminder(db: Database, user_id: int, enabled: bool) -> None:
    async with db.tx() as session:
        user = await session.get(User, user_id)
        if user is not None:
            user.checkin_reminder = enabled


async def checkins_count(db: Database, user_id: int) -> int:
    async with db.read() as session:
        return int((await session.execute(select(func.count()).where(Checkin.user_id == user_id))).scalar_one())
