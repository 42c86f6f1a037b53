"""Personal data: export (/mydata) and erasure (/forgetme).

Erasure clears the contact details (name, phone, address) and the Telegram first name, last name and username
on the user row, the contact details on every finished order and finished group-buy participation, deletes what
the shopper wrote to the assistant and to support agents (and their rating comments), and stamps users.erased_at.
Orders stay, anonymised, because the shop must keep its accounting records. An order still on its way (unpaid,
paid, shipped, or waiting at a pickup point) keeps its delivery details until it is delivered, cancelled,
expired or refunded, when `erase_when_finished` removes them: erasing them at once left a paid parcel with no
address. The points ledger stays because it holds no personal data beyond the user id. The wishlist, cart and
"Notify me" lists are emptied and flash-sale alerts turned off (store.personal_lists, which also says why a
broadcast opt-out stays). (The bot renames the shopper's support topic: handlers.support.)

Group buys follow the same rule, for the same reason: a successful buy makes each participant's order from the
participation's contact (store.groupbuy.lifecycle), so erasing it while the buy was open made an order with no
address. A participation whose buy is still open, or whose order is still on its way, is marked
(group_buy_participants.erase_when_finished) and keeps its details; the others are erased at once. Then:
- the buy fails or is cancelled: no order will need them, so they go at that moment (`erase_kept_participations`,
  from lifecycle.release_all);
- the buy succeeds: the order made from a marked participation is marked too, so the order hook below erases the
  order's details when it is finished, and with them the participation's copy (`erase_when_finished`). The copy
  stays until then, rather than going when the order is made, because the participant's panel and the leader's
  list and pickup CSV read the participation, not the order; a pickup or digital order takes no address, so
  there the copy goes as the order is made (`forget_participation`).
The mark, not users.erased_at, carries the promise, so it holds when the shopper comes back as a customer meanwhile
(they asked while it was open). /forgetme locks the shopper's open buys first (the no-op update joins and closing
take), so a buy closing at the same moment either sees the mark or has made its orders before they are looked at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, false, func, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import order_hooks, orders
from store.db import Database
from store.errors import DomainError
from store.models import Order, OrderItem, Payment, User, utcnow
from store.models.groupbuy import GroupBuy, GroupBuyParticipant
from store.models.growth import Checkin, PointsAccount, Referral
from store.models.nlu import NluQuestion
from store.models.social import ProductVisit, Review
from store.models.support import AssistantTurn, SupportMessage, SupportTicket
from store.personal_lists import erase_lists, export_lists


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def export_user_data(db: Database, user_id: int) -> dict[str, Any]:
    """Everything the shop core stores about the user, as JSON-ready data."""
    async with db.read() as session:
        user = await session.get(User, user_id)
        if user is None:
            raise DomainError("unknown_user")
        order_rows = (
            (await session.execute(select(Order).where(Order.user_id == user_id).order_by(Order.id))).scalars().all()
        )
        ids = [o.id for o in order_rows]
        items = (
            (await session.execute(select(OrderItem).where(OrderItem.order_id.in_(ids)).order_by(OrderItem.id)))
            .scalars()
            .all()
            if ids
            else []
        )
        paid = (
            (await session.execute(select(Payment).where(Payment.order_id.in_(ids)).order_by(Payment.id)))
            .scalars()
            .all()
            if ids
            else []
        )
        extra = await _feature_data(session, user_id)
        lists = await export_lists(session, user)
    return {
        **extra,
        **lists,
        "user": {
            "id": user.id,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "username": user.username,
            "language": user.language,
            "created_at": _iso(user.created_at),
            "contact_name": user.contact_name,
            "phone": user.phone,
            "address": user.address,
            "erased_at": _iso(user.erased_at),
        },
        "orders": [
            {
                "id": o.id,
                "status": o.status,
                "created_at": _iso(o.created_at),
                "currency": o.currency,
                "total": o.total,
                "payment_method": o.payment_method,
                "delivery_method": o.delivery_method,
                "pickup_point": o.pickup_point,
                "contact_name": o.contact_name,
                "phone": o.phone,
                "address": o.address,
                "items": [
                    {"sku": i.sku, "title": i.title_en, "quantity": i.quantity, "unit_price": i.unit_price}
                    for i in items
                    if i.order_id == o.id
                ],
                "payments": [
                    {"method": p.method, "amount": p.amount, "currency": p.currency, "status": p.status}
                    for p in paid
                    if p.order_id == o.id
                ],
            }
            for o in order_rows
        ],
    }


async def _feature_data(session: AsyncSession, user_id: int) -> dict[str, Any]:
    account = await session.get(PointsAccount, user_id)
    checkins = (await session.execute(select(func.count()).where(Checkin.user_id == user_id))).scalar_one()
    referral = await session.get(Referral, user_id)
    participations = (
        await session.execute(select(GroupBuyParticipant).where(GroupBuyParticipant.user_id == user_id))
    ).scalars()
    tickets = (
        (
            await session.execute(
                select(SupportTicket).where(SupportTicket.user_id == user_id).order_by(SupportTicket.id)
            )
        )
        .scalars()
        .all()
    )
    # What the shopper wrote to the agents (agents' replies and internal notes are the shop's, not the shopper's).
    written = (
        (
            await session.execute(
                select(SupportMessage)
                .where(
                    SupportMessage.ticket_id.in_([t.id for t in tickets]),
                    SupportMessage.role == "shopper",
                    SupportMessage.author_id == user_id,
                )
                .order_by(SupportMessage.id)
            )
        )
        .scalars()
        .all()
        if tickets
        else []
    )
    turns = (
        await session.execute(
            select(AssistantTurn).where(AssistantTurn.user_id == user_id, AssistantTurn.role == "shopper")
        )
    ).scalars()
    return {
        "loyalty": {
            "points": account.balance if account else 0,
            "check_ins": int(checkins),
            "referred_by": referral.referrer_id if referral else None,
        },
        "group_buys": [
            {
                "group_buy_id": p.group_buy_id,
                "quantity": p.quantity,
                "delivery_method": p.delivery_method,
                "contact_name": p.contact_name,
                "phone": p.phone,
                "address": p.address,
            }
            for p in participations
        ],
        "support_tickets": [
            {
                "id": t.id,
                "status": t.status,
                "opened_at": _iso(t.opened_at),
                "rating": t.rating,
                "rating_comment": t.rating_comment,
                "messages": [
                    {"kind": m.kind, "text": m.text, "at": _iso(m.created_at)} for m in written if m.ticket_id == t.id
                ],
            }
            for t in tickets
        ],
        "messages_to_assistant": [{"text": turn.text, "at": _iso(turn.created_at)} for turn in turns],
    }


@dataclass(frozen=True)
class Erasure:
    orders_anonymised: int
    orders_open: int = 0  # keep their delivery details until they are finished
    # Open group buys the shopper is in: the participation keeps its delivery details until the buy fails or is
    # cancelled, or the order it makes is finished (participations whose order is open count in orders_open).
    group_buys_open: int = 0


# Still to be paid, shipped, delivered or handed over: the shop needs the address and phone for them.
OPEN_STATUSES = orders.UNPAID | {orders.PAID, orders.SHIPPED}


ERASED_CONTACT = ""


async def forget_user(db: Database, user_id: int) -> Erasure:
    async with db.tx() as session:
        user = await session.get(User, user_id)
        if user is None:
            raise DomainError("unknown_user")
        open_buys = await _lock_open_buys(session, user_id)
        user.contact_name = None
        user.phone = None
        user.address = None
        # Telegram names too: nothing needs them, and the bot stops refreshing them until the shopper comes back
        # as a fresh customer (store.users.welcome_back).
        user.first_name = ""
        user.last_name = None
        user.username = None
        user.erased_at = utcnow()
        await erase_lists(session, user)
        result = await session.execute(
            _erase_contact().where(Order.user_id == user_id, Order.status.not_in(OPEN_STATUSES))
        )
        await session.execute(
            update(Order)
            .where(Order.user_id == user_id, Order.status.in_(OPEN_STATUSES))
            .values(erase_when_finished=True)
            .execution_options(synchronize_session=False)
        )
        kept = _participation_kept(user_id, open_buys)
        await session.execute(
            update(GroupBuyParticipant)
            .where(GroupBuyParticipant.user_id == user_id, kept)
            .values(erase_when_finished=True)
            .execution_options(synchronize_session=False)
        )
        await session.execute(_erase_participations().where(GroupBuyParticipant.user_id == user_id, not_(kept)))
        await session.execute(delete(AssistantTurn).where(AssistantTurn.user_id == user_id))
        await session.execute(delete(NluQuestion).where(NluQuestion.user_id == user_id))
        tickets = select(SupportTicket.id).where(SupportTicket.user_id == user_id)
        await session.execute(
            update(SupportMessage)
            .where(SupportMessage.ticket_id.in_(tickets), SupportMessage.role == "shopper")
            .values(text="")
        )
        await session.execute(update(SupportTicket).where(SupportTicket.user_id == user_id).values(rating_comment=None))
        # Reviews keep their rating (anonymous); their words and photos go, and so does what the shopper looked at.
        await session.execute(update(Review).where(Review.user_id == user_id).values(text=None, photo_file_id=None))
        await session.execute(delete(ProductVisit).where(ProductVisit.user_id == user_id))
        return Erasure(
            int(getattr(result, "rowcount", 0) or 0), await _holding_details(session, user_id), len(open_buys)
        )


async def _holding_details(session: AsyncSession, user_id: int) -> int:
    """Open orders that hold delivery details the shopper is told are kept (all open orders are marked: an order
    without any still erases the group-buy participation it was made from when it finishes)."""
    count = await session.scalar(
        select(func.count())
        .select_from(Order)
        .where(
            Order.user_id == user_id,
            Order.status.in_(OPEN_STATUSES),
            or_(Order.contact_name.is_not(None), Order.phone.is_not(None), Order.address.is_not(None)),
        )
    )
    return int(count or 0)


async def _lock_open_buys(session: AsyncSession, user_id: int) -> list[int]:
    """The open group buys the shopper is in, row-locked (the no-op update joins and closing take, store.groupbuy):
    a buy that closes meanwhile has made its orders before this reads them, or reads the mark this sets."""
    result = await session.execute(
        update(GroupBuy)
        .where(
            GroupBuy.status == "open",  # store.groupbuy.rules.OPEN
            GroupBuy.id.in_(select(GroupBuyParticipant.group_buy_id).where(GroupBuyParticipant.user_id == user_id)),
        )
        .values(joined=GroupBuy.joined)
        .returning(GroupBuy.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(int(row[0]) for row in result.all())


def _participation_kept(user_id: int, open_buys: list[int]) -> ColumnElement[bool]:
    """Still needed: the buy is open (it may still make an order from it), or the order it made is on its way."""
    open_orders = select(Order.id).where(Order.user_id == user_id, Order.status.in_(OPEN_STATUSES))
    return or_(
        GroupBuyParticipant.group_buy_id.in_(open_buys) if open_buys else false(),
        # not NULL first: NOT (NULL IN ...) is NULL, and a participation without an order must be erased
        and_(GroupBuyParticipant.order_id.is_not(None), GroupBuyParticipant.order_id.in_(open_orders)),
    )


def _erase_contact() -> Any:
    # "" (not None) marks the contact as erased on the order itself: the shopper may come back as a fresh customer
    # (users.erased_at cleared) and their old orders must still say why the details are gone.
    return (
        update(Order)
        .values(contact_name=ERASED_CONTACT, phone=None, address=None, erase_when_finished=False)
        .execution_options(synchronize_session=False)
    )


def _erase_participations() -> Any:
    return (
        update(GroupBuyParticipant)
        .values(contact_name=None, phone=None, address=None, erase_when_finished=False)
        .execution_options(synchronize_session=False)
    )


async def erase_when_finished(session: AsyncSession, change: order_hooks.Transition) -> None:
    """An order kept its delivery details past the shopper's /forgetme because it was on its way: now that it is
    finished they go (also when the shopper has come back as a customer since: they asked while it was open), and
    so does the copy on the group-buy participation the order was made from."""
    if not change.order.erase_when_finished:
        return
    await session.execute(_erase_contact().where(Order.id == change.order.id))
    await session.execute(_erase_participations().where(GroupBuyParticipant.order_id == change.order.id))


async def erase_kept_participations(session: AsyncSession, group_buy_id: int) -> None:
    """A group buy failed or was cancelled: the participations kept past a /forgetme while it was open lose their
    delivery details now (no order will be made from them)."""
    await session.execute(
        _erase_participations().where(
            GroupBuyParticipant.group_buy_id == group_buy_id, GroupBuyParticipant.erase_when_finished.is_(True)
        )
    )


def forget_participation(part: GroupBuyParticipant) -> None:
    """A kept participation whose order took none of its contact (pickup, digital): nothing needs its copy."""
    part.contact_name = part.phone = part.address = None
    part.erase_when_finished = False
