"""What the buy's own leader (or an admin) may do to an open buy: cancel it, extend its deadline, change its
maximum, change its prices until the first join, close it early once the minimum is reached. Participants are
told of every change (outbox), and each change leaves an audit row (store.audit) in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import audit, notify, scheduling
from store.db import Database, rowcount
from store.errors import Conflict, DomainError, Forbidden
from store.groupbuy.counts import stock_fit, stock_limits
from store.groupbuy.lifecycle import CloseOutcome, cancel_ticks, close, release_all
from store.groupbuy.rules import (
    CANCELLED,
    DEADLINE_JOB,
    MAX_PARTICIPANTS,
    OPEN,
    GroupBuyPolicy,
    Tier,
    check_setup,
    check_units,
)
from store.groupbuy.views import GroupBuyView, load
from store.models import utcnow
from store.models.groupbuy import GroupBuy, GroupBuyParticipant
from store.money import Money


async def managed(session: AsyncSession, group_buy_id: int, actor_id: int, is_admin: bool) -> GroupBuyView:
    """Only the buy's own leader, or an admin, manages it (callback data is never trusted)."""
    view = await load(session, group_buy_id)
    if view.leader_id != actor_id and not is_admin:
        raise Forbidden("gb_not_yours")
    return view


async def manage_view(db: Database, group_buy_id: int, actor_id: int, is_admin: bool) -> GroupBuyView:
    async with db.read() as session:
        return await managed(session, group_buy_id, actor_id, is_admin)


async def _audit(
    session: AsyncSession,
    actor_id: int,
    is_admin: bool,
    action: str,
    group_buy_id: int,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    await audit.record(
        session,
        actor_id=actor_id,
        actor_role="admin" if is_admin else "leader",
        action=action,
        target=f"groupbuy:{group_buy_id}",
        before=before,
        after=after,
    )


async def cancel(db: Database, group_buy_id: int, actor_id: int, is_admin: bool) -> GroupBuyView:
    """Cancel an open buy: units go back and participants are told, exactly like a failed one."""
    async with db.tx() as session:
        await managed(session, group_buy_id, actor_id, is_admin)
        result = await session.execute(
            update(GroupBuy)
            .where(GroupBuy.id == group_buy_id, GroupBuy.status == OPEN)
            .values(status=CANCELLED, closed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            raise Conflict("gb_closed")
        view = await load(session, group_buy_id)
        await scheduling.cancel(session, f"{DEADLINE_JOB}:{group_buy_id}")
        await cancel_ticks(session, group_buy_id)
        await release_all(session, view, CANCELLED)
        await _audit(
            session, actor_id, is_admin, "groupbuy.cancel", group_buy_id, {"status": OPEN}, {"status": CANCELLED}
        )
        return view


async def extend(
    db: Database, group_buy_id: int, actor_id: int, is_admin: bool, new_deadline: datetime, policy: GroupBuyPolicy
) -> GroupBuyView:
    """Move the deadline later (never earlier: people joined expecting the time shown)."""
    async with db.tx() as session:
        view = await managed(session, group_buy_id, actor_id, is_admin)
        if new_deadline <= view.deadline:
            raise DomainError("gb_extend_earlier")
        if new_deadline > view.created_at + timedelta(days=policy.max_duration_days):
            raise DomainError("gb_deadline_too_far", days=policy.max_duration_days)
        result = await session.execute(
            update(GroupBuy)
            .where(GroupBuy.id == group_buy_id, GroupBuy.status == OPEN)
            .values(deadline=new_deadline)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            raise Conflict("gb_closed")
        await scheduling.schedule(session, DEADLINE_JOB, group_buy_id, new_deadline)
        changed = await load(session, group_buy_id)
        await _tell_participants(session, changed, "deadline", deadline=new_deadline.isoformat())
        await _audit(
            session,
            actor_id,
            is_admin,
            "groupbuy.extend",
            group_buy_id,
            {"deadline": view.deadline.isoformat()},
            {"deadline": new_deadline.isoformat()},
        )
        return changed


async def _tell_participants(session: AsyncSession, view: GroupBuyView, change: str, **params: Any) -> None:
    """A published buy changed under the people who joined it: each is told (outbox, once per change)."""
    people = (
        await session.execute(select(GroupBuyParticipant.user_id).where(GroupBuyParticipant.group_buy_id == view.id))
    ).scalars()
    stamp = utcnow().strftime("%Y%m%d%H%M%S%f")
    for user_id in people:
        await notify.enqueue(
            session,
            user_id,
            "groupbuy.changed",
            dedupe_key=f"gb:{view.id}:{change}:{stamp}:{user_id}",
            group_buy_id=view.id,
            change=change,
            title_en=view.product.title_en,
            title_zh=view.product.title_zh,
            **params,
        )


class Participation(NamedTuple):
    people: int  # who joined
    units: int  # the units they hold: with what is left, the units this buy can still hand out


async def participation(session: AsyncSession, group_buy_id: int) -> Participation:
    """Who joined the buy and the units they hold, in one query (the leader's checks and desk both read it)."""
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(GroupBuyParticipant.quantity), 0)).where(
                GroupBuyParticipant.group_buy_id == group_buy_id
            )
        )
    ).one()
    return Participation(int(row[0]), int(row[1]))


# How far one press of the leader's maximum buttons moves it.
MAXIMUM_STEP = 5


@dataclass(frozen=True)
class MaximumChoices:
    """What the leader's screen offers for the maximum: values that set_maximum accepts right now."""

    values: tuple[int, ...]
    no_maximum: bool


def lowest_maximum(view: GroupBuyView) -> int:
    """A maximum below who joined, the minimum or the people the best tier needs would make a promise the card
    cannot keep (its best price out of reach); the set-up wizard refuses the same (check_participants)."""
    top = max((tier.min_participants for tier in view.tiers), default=1)
    return max(view.joined, view.min_participants, top, 1)


def maximum_choices(view: GroupBuyView, held: int) -> MaximumChoices:
    """A step down and a step up from the maximum (from "no maximum": a step above who must be able to join),
    kept between who already joined (and the minimum) and what the stock serves at the per-person limit;
    "no maximum" only when the stock does not cap the group (`held`: the units participants hold)."""
    available = view.product.stock + held
    low = lowest_maximum(view)
    high = stock_fit(available, view.per_person_limit)
    current = view.max_participants
    values: list[int] = []
    if low <= high:
        around = [low + MAXIMUM_STEP] if current is None else [current - MAXIMUM_STEP, current + MAXIMUM_STEP]
        for candidate in around:
            value = min(max(candidate, low), high)
            if value != current and value not in values:
                values.append(value)
    limited = stock_limits(view.tiers, view.min_participants, view.per_person_limit, available)
    return MaximumChoices(tuple(sorted(values)), current is not None and not limited)


async def set_maximum(
    db: Database, group_buy_id: int, actor_id: int, is_admin: bool, maximum: int | None
) -> GroupBuyView:
    """The leader changes how many may join an open buy: never below who already joined or the minimum. The
    value it already has is refused as `gb_max_unchanged` (nothing written, nobody told): a repeated tap must
    not tell every participant the same news twice."""
    async with db.tx() as session:
        view = await managed(session, group_buy_id, actor_id, is_admin)
        if view.is_open and maximum == view.max_participants:
            raise Conflict("gb_max_unchanged", max=maximum)
        low = max(view.joined, view.min_participants, 1)
        if maximum is not None and not low <= maximum <= MAX_PARTICIPANTS:
            raise DomainError("gb_number_range", low=low, high=MAX_PARTICIPANTS)
        if maximum is not None and maximum < lowest_maximum(view):
            top = max(tier.min_participants for tier in view.tiers)
            raise DomainError("gb_tier_unreachable", tier=top, max=maximum)
        available = view.product.stock + (await participation(session, group_buy_id)).units
        if maximum is not None:
            check_units(maximum, view.per_person_limit, available)
        elif stock_limits(view.tiers, view.min_participants, view.per_person_limit, available):
            raise DomainError(
                "gb_no_max_stock_limits", stock=available, fit=stock_fit(available, view.per_person_limit)
            )
        # Changed only from another value: of two taps racing to the same maximum, one changes it.
        query = update(GroupBuy).where(
            GroupBuy.id == group_buy_id,
            GroupBuy.status == OPEN,
            GroupBuy.max_participants.is_distinct_from(maximum),
        )
        if maximum is not None:
            query = query.where(GroupBuy.joined <= maximum)
        result = await session.execute(
            query.values(max_participants=maximum).execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            now = await load(session, group_buy_id)
            if now.is_open and now.max_participants == maximum:
                raise Conflict("gb_max_unchanged", max=maximum)
            raise Conflict("gb_closed")
        changed = await load(session, group_buy_id)
        await _tell_participants(session, changed, "maximum", maximum=maximum)
        await _audit(
            session,
            actor_id,
            is_admin,
            "groupbuy.maximum",
            group_buy_id,
            {"max_participants": view.max_participants},
            {"max_participants": maximum},
        )
        return changed


class TiersLocked(Conflict):
    """Someone joined: they joined at the prices shown, so the prices can no longer change."""

    def __init__(self) -> None:
        super().__init__("gb_tiers_locked")


async def set_tiers(
    db: Database, group_buy_id: int, actor_id: int, is_admin: bool, tiers: Sequence[Tier]
) -> GroupBuyView:
    """New price tiers for an open buy nobody has joined yet, checked by the rules publishing uses. The buy's
    row is locked first (FOR UPDATE; joins take the same row with their conditional update), so a join and
    this change are ordered: a join that came first refuses the change (TiersLocked), a join that comes after
    sees the new prices. Nobody ever holds a place taken under prices that changed afterwards."""
    async with db.tx() as session:
        await managed(session, group_buy_id, actor_id, is_admin)
        row = (
            await session.execute(
                select(GroupBuy)
                .where(GroupBuy.id == group_buy_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        if row.status != OPEN:
            raise Conflict("gb_closed")
        if row.joined > 0 or (await participation(session, group_buy_id)).units > 0:
            raise TiersLocked()
        view = await load(session, group_buy_id)
        ordered = sorted(tiers, key=lambda tier: tier.min_participants)
        check_setup(
            ordered,
            Money(view.base_price, view.currency),
            view.min_participants,
            view.max_participants,
            view.per_person_limit,
            view.product.stock,
        )
        before = [[tier.min_participants, tier.unit_price] for tier in view.tiers]
        after = [[tier.min_participants, tier.unit_price] for tier in ordered]
        if before == after:
            return view  # the prices it has: nothing to write, nobody to tell
        row.tiers = after
        await session.flush()
        await _audit(session, actor_id, is_admin, "groupbuy.tiers", group_buy_id, {"tiers": before}, {"tiers": after})
        return await load(session, group_buy_id)


async def close_early(
    db: Database,
    group_buy_id: int,
    actor_id: int,
    is_admin: bool,
    policy: GroupBuyPolicy | None = None,
    *,
    agreed_price: int | None = None,
) -> CloseOutcome:
    """The leader closes an open buy now that its minimum is reached: it closes at once, in this transaction,
    exactly as at its deadline (orders at the tier reached, participants and leader told), so the leader's
    screen shows the finished buy right away. The deadline event is withdrawn.

    `agreed_price`: the unit price the leader's confirmation showed; a join or leave since that moved the price
    refuses the close (gb_price_moved) instead of closing at a price the leader never saw (outside tester)."""
    async with db.tx() as session:
        view = await managed(session, group_buy_id, actor_id, is_admin)
        now = utcnow()
        result = await session.execute(
            update(GroupBuy)
            .where(
                GroupBuy.id == group_buy_id,
                GroupBuy.status == OPEN,
                GroupBuy.joined >= GroupBuy.min_participants,
            )
            .values(deadline=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            view = await load(session, group_buy_id)  # as it is now: another transaction may just have closed it
            if not view.is_open:
                raise Conflict("gb_closed")
            raise Conflict("gb_below_minimum", minimum=view.min_participants, joined=view.joined)
        if agreed_price is not None:
            now_view = await load(session, group_buy_id)  # the row is locked: no join or leave can come between
            if now_view.current_price != agreed_price:
                raise Conflict("gb_price_moved", joined=now_view.joined)  # rolls the deadline back
        await scheduling.cancel(session, f"{DEADLINE_JOB}:{group_buy_id}")
        outcome = await close(session, group_buy_id, policy or GroupBuyPolicy())
        await _audit(
            session,
            actor_id,
            is_admin,
            "groupbuy.close_early",
            group_buy_id,
            {"deadline": view.deadline.isoformat(), "joined": view.joined},
            {"deadline": now.isoformat(), "status": outcome.group_buy.status},
        )
        return outcome
