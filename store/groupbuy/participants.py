"""A participant's own moves while a buy is open: join (one reserved unit), leave, change the quantity,
choose how to receive the goods. Units are reserved and returned with conditional updates on the stock."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store import orders, scheduling
from store.db import Database, rowcount
from store.errors import Conflict, DomainError
from store.groupbuy.rules import DEADLINE_JOB, OPEN, GroupBuyPolicy
from store.groupbuy.views import (
    GroupBuyView,
    ParticipantView,
    get,
    load,
    participant,
    participant_in,
)
from store.models import Product, User, utcnow
from store.models.groupbuy import GroupBuy, GroupBuyParticipant


@dataclass(frozen=True)
class JoinResult:
    status: str  # joined | already | full | closed | sold_out
    group_buy: GroupBuyView
    participant: ParticipantView | None = None


class _Refused(Exception):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


async def _lock_open(session: AsyncSession, group_buy_id: int) -> bool:
    """Lock the buy's row while it is open (a no-op update): joins, quantity changes and closing take the same
    row lock, so a close never reads participants in the middle of a change."""
    result = await session.execute(
        update(GroupBuy)
        .where(GroupBuy.id == group_buy_id, GroupBuy.status == OPEN)
        .values(joined=GroupBuy.joined)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def join(db: Database, group_buy_id: int, user_id: int) -> JoinResult:
    """Take a place and reserve one unit. Always answers: joined, already, full, closed or sold_out."""
    # A storm is mostly taps after the buy filled up: answer those from a read, without queueing for a write.
    early = await _early_answer(db, group_buy_id, user_id)
    if early is not None:
        return early
    try:
        async with db.tx() as session:
            existing = (
                await session.execute(
                    select(GroupBuyParticipant.id).where(
                        GroupBuyParticipant.group_buy_id == group_buy_id, GroupBuyParticipant.user_id == user_id
                    )
                )
            ).first()
            if existing is not None:
                raise _Refused("already")
            now = utcnow()
            taken = await session.execute(
                update(GroupBuy)
                .where(
                    GroupBuy.id == group_buy_id,
                    GroupBuy.status == OPEN,
                    GroupBuy.deadline > now,
                    (GroupBuy.max_participants.is_(None)) | (GroupBuy.joined < GroupBuy.max_participants),
                )
                .values(joined=GroupBuy.joined + 1)
                .returning(GroupBuy.joined, GroupBuy.max_participants, GroupBuy.product_id)
                .execution_options(synchronize_session=False)
            )
            place = taken.first()
            if place is None:
                raise _Refused("refused")
            joined, maximum, product_id = place
            reserved = await session.execute(
                update(Product)
                .where(Product.id == product_id, Product.stock >= 1)
                .values(stock=Product.stock - 1)
                .execution_options(synchronize_session=False)
            )
            if rowcount(reserved) != 1:
                raise _Refused("sold_out")
            session.add(GroupBuyParticipant(group_buy_id=group_buy_id, user_id=user_id, quantity=1))
            await session.flush()
            if maximum is not None and joined >= maximum:
                # Full: the buy succeeds now rather than at the deadline.
                await scheduling.schedule(session, DEADLINE_JOB, group_buy_id, now)
            view = await load(session, group_buy_id)
            part = await participant_in(session, group_buy_id, user_id)
            return JoinResult("joined", view, part)
    except IntegrityError:
        # The same person's other tap (or a re-delivered update) committed first: it counts once.
        status = "already"
    except _Refused as refused:
        status = refused.status
    view = await get(db, group_buy_id)
    if status == "refused":
        status = "full" if view.is_open and view.full else "closed"
    part = await participant(db, group_buy_id, user_id) if status == "already" else None
    return JoinResult(status, view, part)


async def _early_answer(db: Database, group_buy_id: int, user_id: int) -> JoinResult | None:
    """The answer when it is already certain without writing (the write path re-checks everything anyway)."""
    async with db.read() as session:
        view = await load(session, group_buy_id)
        part = await participant_in(session, group_buy_id, user_id)
    if part is not None:
        return JoinResult("already", view, part)
    if not view.is_open or view.deadline <= utcnow():
        return JoinResult("closed", view)
    if view.full:
        return JoinResult("full", view)
    if view.sold_out:
        return JoinResult("sold_out", view)
    return None


async def leave(db: Database, group_buy_id: int, user_id: int) -> GroupBuyView:
    """Give the place and the reserved units back (only while the buy is open)."""
    async with db.tx() as session:
        if not await _lock_open(session, group_buy_id):
            await load(session, group_buy_id)  # NotFound for a bad id
            raise Conflict("gb_closed")
        removed = await session.execute(
            delete(GroupBuyParticipant)
            .where(GroupBuyParticipant.group_buy_id == group_buy_id, GroupBuyParticipant.user_id == user_id)
            .returning(GroupBuyParticipant.quantity)
            .execution_options(synchronize_session=False)
        )
        row = removed.first()
        if row is None:
            raise Conflict("gb_not_joined")
        product_id = (
            await session.execute(select(GroupBuy.product_id).where(GroupBuy.id == group_buy_id))
        ).scalar_one()
        await session.execute(
            update(GroupBuy)
            .where(GroupBuy.id == group_buy_id)
            .values(joined=GroupBuy.joined - 1)
            .execution_options(synchronize_session=False)
        )
        await return_units(session, product_id, int(row[0]))
        return await load(session, group_buy_id)


async def return_units(session: AsyncSession, product_id: int, quantity: int) -> None:
    if quantity > 0:
        await session.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(stock=Product.stock + quantity)
            .execution_options(synchronize_session=False)
        )


async def _own_row(session: AsyncSession, group_buy_id: int, user_id: int) -> GroupBuyParticipant:
    if not await _lock_open(session, group_buy_id):
        await load(session, group_buy_id)
        raise Conflict("gb_closed")
    part = (
        await session.execute(
            select(GroupBuyParticipant)
            .where(GroupBuyParticipant.group_buy_id == group_buy_id, GroupBuyParticipant.user_id == user_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if part is None:
        raise Conflict("gb_not_joined")
    return part


async def set_quantity(db: Database, group_buy_id: int, user_id: int, quantity: int) -> ParticipantView:
    """Reserve or return the difference (conditional update), within the per-person limit."""
    async with db.tx() as session:
        part = await _own_row(session, group_buy_id, user_id)
        buy = await session.get(GroupBuy, group_buy_id)
        assert buy is not None
        if not 1 <= quantity <= buy.per_person_limit:
            raise DomainError("gb_quantity_limit", limit=buy.per_person_limit)
        delta = quantity - part.quantity
        if delta > 0:
            reserved = await session.execute(
                update(Product)
                .where(Product.id == buy.product_id, Product.stock >= delta)
                .values(stock=Product.stock - delta)
                .execution_options(synchronize_session=False)
            )
            if rowcount(reserved) != 1:
                raise Conflict("gb_not_enough_stock")
        elif delta < 0:
            await return_units(session, buy.product_id, -delta)
        part.quantity = quantity
        await session.flush()
        view = await participant_in(session, group_buy_id, user_id)
        assert view is not None
        return view


async def set_delivery(
    db: Database,
    group_buy_id: int,
    user_id: int,
    method: str,
    contact: orders.Contact | None = None,
    policy: GroupBuyPolicy | None = None,
) -> ParticipantView:
    """How this participant receives the goods: `pickup`, `pickup_pay` (pay on pickup) or `delivery`."""
    policy = policy or GroupBuyPolicy()
    async with db.tx() as session:
        part = await _own_row(session, group_buy_id, user_id)
        buy = await session.get(GroupBuy, group_buy_id)
        assert buy is not None
        product = await session.get(Product, buy.product_id)
        if product is not None and product.is_digital:
            raise DomainError("gb_digital_no_delivery")
        if method in ("pickup", "pickup_pay") and not buy.pickup_point:
            raise DomainError("gb_no_pickup")
        if method == "pickup_pay" and not policy.pickup_payment_enabled:
            raise DomainError("gb_no_pickup_payment")
        if method == "delivery":
            contact = contact or _given_before(part) or await saved_contact(session, user_id)
            if contact is None or not (contact.name and contact.phone and contact.address):
                raise DomainError("gb_contact_needed")
            part.contact_name, part.phone, part.address = contact.name, contact.phone, contact.address
        elif method not in ("pickup", "pickup_pay"):
            raise DomainError("gb_bad_delivery")
        part.delivery_method = "delivery" if method == "delivery" else "pickup"
        part.pay_on_pickup = method == "pickup_pay"
        await session.flush()
        view = await participant_in(session, group_buy_id, user_id)
        assert view is not None
        return view


def _given_before(part: GroupBuyParticipant) -> orders.Contact | None:
    """The details this participant gave for delivery in this buy before switching to pickup: switching back uses
    them rather than asking again. Not when already on delivery (choosing it again is how the address is changed),
    nor once /forgetme asked for them to go (kept only for an order that may still be made from them)."""
    if part.delivery_method == "delivery" or part.erase_when_finished:
        return None
    if not (part.contact_name and part.phone and part.address):
        return None
    return orders.Contact(part.contact_name, part.phone, part.address)


async def saved_contact(session: AsyncSession, user_id: int) -> orders.Contact | None:
    user = await session.get(User, user_id)
    if user is None or not (user.contact_name and user.phone and user.address):
        return None
    return orders.Contact(user.contact_name, user.phone, user.address)


async def panel_unsent(db: Database, group_buy_id: int, user_id: int) -> None:
    """The participant's panel could not be sent (the bot may not write to them yet): it waits for their /start."""
    async with db.tx() as session:
        await session.execute(
            update(GroupBuyParticipant)
            .where(GroupBuyParticipant.group_buy_id == group_buy_id, GroupBuyParticipant.user_id == user_id)
            .values(panel_unsent=True)
            .execution_options(synchronize_session=False)
        )


async def claim_unsent_panels(db: Database, user_id: int, group_buy_id: int | None = None) -> list[int]:
    """The buys (all, or just `group_buy_id`) whose panel waited for this user, now theirs to send: each is handed
    out once, however many /starts race (a conditional update claims it). Oldest join first."""
    wanted = [GroupBuyParticipant.user_id == user_id, GroupBuyParticipant.panel_unsent.is_(True)]
    if group_buy_id is not None:
        wanted.append(GroupBuyParticipant.group_buy_id == group_buy_id)
    # A read first: nearly every /start owes nothing, and must not queue for the writer.
    async with db.read() as session:
        waiting = (await session.execute(select(GroupBuyParticipant.id).where(*wanted).limit(1))).first()
    if waiting is None:
        return []
    async with db.tx() as session:
        claimed = await session.execute(
            update(GroupBuyParticipant)
            .where(*wanted)
            .values(panel_unsent=False)
            .returning(GroupBuyParticipant.group_buy_id, GroupBuyParticipant.joined_at)
            .execution_options(synchronize_session=False)
        )
        return [int(row[0]) for row in sorted(claimed.all(), key=lambda row: row[1])]
