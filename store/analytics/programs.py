"""Figures of the shop's programs over a period: group buys (success rate, average participants), flash sales
(sell-through, time to sell out), referrals (invites -> first paid order) and check-in retention (of those
whose first check-in fell in the period, how many checked in again 1, 7 and 30 days later). A cohort member
whose day N has not come yet is left out of day-N retention: a fresh cohort is not "lost" by day 30."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models.flashsale import FlashSale
from store.models.groupbuy import GroupBuy
from store.models.growth import Checkin, Referral
from store.models.support import SupportTicket


@dataclass(frozen=True)
class Programs:
    groupbuys_closed: int = 0
    groupbuys_succeeded: int = 0
    groupbuy_avg_participants: float = 0.0
    flash_units: int = 0
    flash_paid: int = 0
    flash_sold_out: int = 0
    flash_avg_sellout_seconds: float | None = None
    invites: int = 0
    invites_converted: int = 0
    checkin_cohort: int = 0
    checkin_day1: int = 0
    checkin_day7: int = 0
    checkin_day30: int = 0
    # Cohort members whose day 1 / 7 / 30 has come (all of them when the period is long past).
    checkin_due: tuple[int, ...] | None = None
    tickets: int = 0
    first_response_seconds: float | None = None  # mean over tickets answered
    resolution_seconds: float | None = None  # mean over tickets closed
    ratings: int = 0
    csat: float | None = None  # mean rating (1-5)

    @property
    def groupbuy_success_rate(self) -> float:
        return self.groupbuys_succeeded / self.groupbuys_closed if self.groupbuys_closed else 0.0

    @property
    def flash_sell_through(self) -> float:
        return self.flash_paid / self.flash_units if self.flash_units else 0.0

    @property
    def referral_conversion(self) -> float:
        return self.invites_converted / self.invites if self.invites else 0.0

    def retention(self, day: int) -> float:
        kept = {1: self.checkin_day1, 7: self.checkin_day7, 30: self.checkin_day30}[day]
        due = self.due(day)
        return kept / due if due else 0.0

    def due(self, day: int) -> int:
        """How many of the cohort have reached day N (the retention's denominator)."""
        if self.checkin_due is None:
            return self.checkin_cohort
        return self.checkin_due[RETENTION_DAYS.index(day)]


RETENTION_DAYS = (1, 7, 30)


async def programs(
    session: AsyncSession, lo: datetime, hi: datetime, first_day: str, last_day: str, today: date | None = None
) -> Programs:
    buys = (
        await session.execute(
            select(GroupBuy.status, GroupBuy.joined).where(
                GroupBuy.status.in_(("succeeded", "failed")), GroupBuy.closed_at >= lo, GroupBuy.closed_at < hi
            )
        )
    ).all()
    sales = (
        await session.execute(
            select(
                FlashSale.stock, FlashSale.paid, FlashSale.end_reason, FlashSale.started_at, FlashSale.ended_at
            ).where(FlashSale.status == "ended", FlashSale.ended_at >= lo, FlashSale.ended_at < hi)
        )
    ).all()
    invites = (
        await session.execute(
            select(func.count(), func.count(Referral.rewarded_order_id)).where(
                Referral.created_at >= lo, Referral.created_at < hi
            )
        )
    ).one()
    firsts = (await session.execute(select(Checkin.user_id, func.min(Checkin.day)).group_by(Checkin.user_id))).all()
    cohort = {int(user): day for user, day in firsts if first_day <= day.isoformat() <= last_day}
    kept = {n: 0 for n in RETENTION_DAYS}
    due = (
        None
        if today is None
        else tuple(sum(1 for f in cohort.values() if f + timedelta(days=n) <= today) for n in RETENTION_DAYS)
    )
    if cohort:
        seen = {
            (int(user), day)
            for user, day in (
                await session.execute(select(Checkin.user_id, Checkin.day).where(Checkin.user_id.in_(list(cohort))))
            ).all()
        }
        for n in RETENTION_DAYS:
            kept[n] = sum(1 for user, first in cohort.items() if (user, first + timedelta(days=n)) in seen)
    tickets = (
        await session.execute(
            select(
                SupportTicket.opened_at, SupportTicket.first_response_at, SupportTicket.closed_at, SupportTicket.rating
            ).where(SupportTicket.opened_at >= lo, SupportTicket.opened_at < hi)
        )
    ).all()
    responses = [(r - o).total_seconds() for o, r, _c, _x in tickets if r is not None]
    resolutions = [(c - o).total_seconds() for o, _r, c, _x in tickets if c is not None]
    ratings = [int(x) for *_rest, x in tickets if x is not None]
    sellouts = [
        (ended - started).total_seconds()
        for _stock, _paid, reason, started, ended in sales
        if reason == "sold_out" and started is not None and ended is not None
    ]
    return Programs(
        groupbuys_closed=len(buys),
        groupbuys_succeeded=sum(1 for status, _ in buys if status == "succeeded"),
        groupbuy_avg_participants=round(sum(int(j) for _, j in buys) / len(buys), 2) if buys else 0.0,
        flash_units=sum(int(s[0]) for s in sales),
        flash_paid=sum(int(s[1]) for s in sales),
        flash_sold_out=len(sellouts),
        flash_avg_sellout_seconds=round(sum(sellouts) / len(sellouts), 1) if sellouts else None,
        invites=int(invites[0]),
        invites_converted=int(invites[1]),
        checkin_cohort=len(cohort),
        checkin_day1=kept[1],
        checkin_day7=kept[7],
        checkin_day30=kept[30],
        checkin_due=due,
        tickets=len(tickets),
        first_response_seconds=_mean(responses),
        resolution_seconds=_mean(resolutions),
        ratings=len(ratings),
        csat=_mean([float(x) for x in ratings], 2),
    )


def _mean(values: list[float], digits: int = 1) -> float | None:
    return round(sum(values) / len(values), digits) if values else None
