"""What a group buy and its participants look like to readers (cards, panels, the admin, customer service),
loading them, and the product look-ups of the wizard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store import orders
from store.catalog import PRODUCT_COLUMNS, ProductView, product_from_row
from store.db import Database
from store.errors import Conflict, NotFound
from store.groupbuy.rules import OPEN, Tier, price_reached, standing
from store.growth import tiers
from store.models import Order, Product, User
from store.models.groupbuy import GroupBuy, GroupBuyParticipant


@dataclass(frozen=True)
class GroupBuyView:
    id: int
    leader_id: int
    chat_id: int
    message_thread_id: int | None
    status: str
    product: ProductView
    currency: str
    base_price: int
    tiers: tuple[Tier, ...]
    min_participants: int
    max_participants: int | None
    per_person_limit: int
    deadline: datetime
    pickup_point: str | None
    joined: int
    final_price: int | None
    commission_bp: int
    lang: str
    card_message_id: int | None
    card_has_photo: bool
    created_at: datetime
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def current_price(self) -> int:
        """The price reached by the people who joined now (the regular price below the minimum); once it
        succeeded, the price its orders got."""
        return self.final_price or price_reached(self.tiers, self.base_price, self.min_participants, self.joined)

    @property
    def price_at_minimum(self) -> int:
        """The price everyone pays once the minimum joins (the regular price when no tier is reached by then)."""
        return price_reached(self.tiers, self.base_price, self.min_participants, self.min_participants)

    @property
    def full(self) -> bool:
        return self.max_participants is not None and self.joined >= self.max_participants

    @property
    def sold_out(self) -> bool:
        """No unit left to reserve (every one is held by participants or sold elsewhere): nobody can join until
        someone leaves or takes fewer."""
        return self.product.stock <= 0

    @property
    def joinable(self) -> bool:
        return self.is_open and not self.full and not self.sold_out

    def title(self, lang: str) -> str:
        return self.product.title(lang)

    def standing_moved(self, before: int) -> bool:
        """Whether going from `before` people to `joined` (one join or leave) changed the price reached or whether
        the goal is reached: what participants act on (rules.standing)."""
        at = standing(self.tiers, self.base_price, self.min_participants, self.joined)
        return at != standing(self.tiers, self.base_price, self.min_participants, before)


@dataclass(frozen=True)
class ParticipantView:
    group_buy_id: int
    user_id: int
    name: str
    username: str | None
    quantity: int
    delivery_method: str
    contact_name: str | None
    phone: str | None
    address: str | None
    pay_on_pickup: bool
    order_id: int | None
    order_status: str | None
    order_total: int | None
    order_delivery_fee: int = 0  # part of order_total: the panel names it, as the order's detail does
    order_pickup_code: str | None = None  # a pickup order's code, shown at the counter
    # The participant's free-delivery perk from their tier (store.growth.tiers.delivery_perks_in): what delivery
    # would add to their order is the shop's fee waived by it (DeliveryRule.for_member), as the order will charge.
    member_free_over: int | None = None


def view_of(row: GroupBuy, product: ProductView) -> GroupBuyView:
    return GroupBuyView(
        id=row.id,
        leader_id=row.leader_id,
        chat_id=row.chat_id,
        message_thread_id=row.message_thread_id,
        status=row.status,
        product=product,
        currency=row.currency,
        base_price=row.base_price,
        tiers=tuple(Tier(int(a), int(b)) for a, b in row.tiers or []),
        min_participants=row.min_participants,
        max_participants=row.max_participants,
        per_person_limit=row.per_person_limit,
        deadline=row.deadline,
        pickup_point=row.pickup_point,
        joined=row.joined,
        final_price=row.final_price,
        commission_bp=row.commission_bp,
        lang=row.lang,
        card_message_id=row.card_message_id,
        card_has_photo=row.card_has_photo,
        created_at=row.created_at,
        closed_at=row.closed_at,
    )


async def load_product(session: AsyncSession, product_id: int) -> ProductView:
    row = (await session.execute(select(*PRODUCT_COLUMNS).where(Product.id == product_id))).first()
    if row is None:
        raise NotFound("gb_product_not_found")
    return product_from_row(row)


async def load(session: AsyncSession, group_buy_id: int) -> GroupBuyView:
    row = await session.get(GroupBuy, group_buy_id, populate_existing=True)
    if row is None:
        raise NotFound("gb_not_found", id=group_buy_id)
    return view_of(row, await load_product(session, row.product_id))


async def get(db: Database, group_buy_id: int) -> GroupBuyView:
    async with db.read() as session:
        return await load(session, group_buy_id)


async def participant_in(session: AsyncSession, group_buy_id: int, user_id: int) -> ParticipantView | None:
    row = (
        await session.execute(
            select(GroupBuyParticipant, User, Order)
            .join(User, User.id == GroupBuyParticipant.user_id)
            .outerjoin(Order, Order.id == GroupBuyParticipant.order_id)
            .where(GroupBuyParticipant.group_buy_id == group_buy_id, GroupBuyParticipant.user_id == user_id)
            .execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        return None
    return _participant_view(*row, (await tiers.delivery_perks_in(session, [user_id]))[user_id])


def _participant_view(
    part: GroupBuyParticipant, user: User, order: Order | None, member_free_over: int | None = None
) -> ParticipantView:
    contact = contact_of(part)
    return ParticipantView(
        group_buy_id=part.group_buy_id,
        user_id=part.user_id,
        name=user.first_name,
        username=user.username,
        quantity=part.quantity,
        delivery_method=part.delivery_method,
        contact_name=contact.name,
        phone=contact.phone,
        address=contact.address,
        pay_on_pickup=pays_on_pickup(part),
        order_id=order.id if order is not None else None,
        order_status=order.status if order is not None else None,
        order_total=order.total if order is not None else None,
        order_delivery_fee=order.delivery_fee if order is not None else 0,
        order_pickup_code=order.pickup_code if order is not None else None,
        member_free_over=member_free_over,
    )


def receive_of(view: GroupBuyView, part: ParticipantView) -> str:
    """How a participant gets the goods: `digital` (handed over in the chat once paid), `delivery` or `pickup`.
    A buy without a pickup point only delivers: a participant who has not chosen yet still has the row's default
    "pickup", yet gets a delivery order (lifecycle._succeed), so that is what they are shown as."""
    if view.product.is_digital:
        return "digital"
    return "pickup" if part.delivery_method == "pickup" and view.pickup_point else "delivery"


def contact_of(part: GroupBuyParticipant) -> orders.Contact:
    return orders.Contact(part.contact_name, part.phone, part.address)


def pays_on_pickup(part: GroupBuyParticipant) -> bool:
    return bool(part.pay_on_pickup)


async def participant(db: Database, group_buy_id: int, user_id: int) -> ParticipantView | None:
    async with db.read() as session:
        return await participant_in(session, group_buy_id, user_id)


async def participants(db: Database, group_buy_id: int) -> list[ParticipantView]:
    async with db.read() as session:
        return await participants_in(session, group_buy_id)


async def participants_in(session: AsyncSession, group_buy_id: int) -> list[ParticipantView]:
    rows = (
        await session.execute(
            select(GroupBuyParticipant, User, Order)
            .join(User, User.id == GroupBuyParticipant.user_id)
            .outerjoin(Order, Order.id == GroupBuyParticipant.order_id)
            .where(GroupBuyParticipant.group_buy_id == group_buy_id)
            .order_by(GroupBuyParticipant.id)
        )
    ).all()
    perks = await tiers.delivery_perks_in(session, [row[0].user_id for row in rows])
    return [_participant_view(*row, perks.get(row[0].user_id)) for row in rows]


# Telegram sells digital goods for Telegram Stars only, and a group buy is paid by card or on pickup: a group
# buy of a digital product is refused (its wizard does not offer one; `publish` refuses one).
DIGITAL_REFUSED = "gb_digital_not_supported"


def refuse_digital(product: ProductView) -> None:
    if product.is_digital:
        raise Conflict(DIGITAL_REFUSED, title_en=product.title_en, title_zh=product.title_zh)


def _sellable(query: Any, digital: bool) -> Any:
    """Products a buy could sell (active, in stock); without `digital`, physical goods only."""
    query = query.where(Product.active.is_(True), Product.stock > 0)
    return query if digital else query.where(Product.is_digital.is_(False))


async def candidate_products(
    db: Database,
    limit: int = 8,
    leader_id: int | None = None,
    category_id: int | None = None,
    *,
    digital: bool = True,
) -> list[ProductView]:
    """Products a leader can pick from a list in the wizard (active, in stock): the ones the leader ran group
    buys of most recently first (a leader often runs the same products again), then the most stock first. With
    `category_id`, that category's products, the most stock first. `digital=False` leaves digital goods out
    (the group-buy wizard; the flash-sale one, which sells them for Stars, keeps them)."""
    async with db.read() as session:
        recent: list[int] = []
        if leader_id is not None and category_id is None:
            latest = func.max(GroupBuy.id)
            recent = [
                int(pid)
                for pid in (
                    await session.execute(
                        select(GroupBuy.product_id)
                        .where(GroupBuy.leader_id == leader_id)
                        .group_by(GroupBuy.product_id)
                        .order_by(latest.desc())
                        .limit(limit)
                    )
                ).scalars()
            ]
        available = _sellable(select(*PRODUCT_COLUMNS), digital)
        if category_id is not None:
            available = available.where(Product.category_id == category_id)
        rows = (await session.execute(available.where(Product.id.in_(recent)))).all() if recent else []
        by_id = {row.id: product_from_row(row) for row in rows}
        chosen = [by_id[pid] for pid in recent if pid in by_id]
        others = available.where(Product.id.not_in([p.id for p in chosen])) if chosen else available
        rest = (
            await session.execute(others.order_by(Product.stock.desc(), Product.id).limit(limit - len(chosen)))
        ).all()
        return chosen + [product_from_row(row) for row in rest]


async def wizard_products(db: Database, ids: Sequence[int], *, digital: bool = True) -> list[ProductView]:
    """The products with these ids a group buy could sell (active, in stock; physical only without `digital`),
    in the order given (e.g. the search's ranking)."""
    if not ids:
        return []
    async with db.read() as session:
        rows = (
            await session.execute(_sellable(select(*PRODUCT_COLUMNS).where(Product.id.in_(list(ids))), digital))
        ).all()
    by_id = {row.id: product_from_row(row) for row in rows}
    return [by_id[pid] for pid in dict.fromkeys(ids) if pid in by_id]


async def product_for_wizard(
    db: Database, *, product_id: int | None = None, sku: str | None = None, digital: bool = True
) -> ProductView:
    """The product a wizard goes on with; without `digital`, a digital one is refused (DIGITAL_REFUSED)."""
    async with db.read() as session:
        query = select(*PRODUCT_COLUMNS)
        if product_id is not None:
            query = query.where(Product.id == product_id)
        else:
            query = query.where(func.upper(Product.sku) == (sku or "").strip().upper())
        row = (await session.execute(query)).first()
    if row is None:
        raise NotFound("gb_product_not_found")
    product = product_from_row(row)
    if not product.active or product.stock <= 0:
        raise Conflict("gb_product_unavailable")
    if not digital:
        refuse_digital(product)
    return product


async def find_products_for_wizard(
    db: Database, text: str, limit: int = 8, *, digital: bool = True
) -> list[ProductView]:
    """What a leader typed at the product step: an exact SKU first, else products whose title (English or
    Chinese) contains the words typed. Only products a group buy could sell (active, in stock). Without
    `digital` only physical goods; when what was typed names digital goods only, that is refused
    (DIGITAL_REFUSED) rather than answered "not found"."""
    wanted = " ".join(text.split())[:64]
    if not wanted:
        return []
    async with db.scan() as session:
        base = _sellable(select(*PRODUCT_COLUMNS), True)
        exact = (await session.execute(base.where(func.upper(Product.sku) == wanted.upper()))).first()
        if exact is not None:
            product = product_from_row(exact)
            if not digital:
                refuse_digital(product)
            return [product]
        query = base
        for word in wanted.lower().split()[:4]:
            pattern = f"%{word.replace('%', '').replace('_', '')}%"
            query = query.where(func.lower(Product.title_en).like(pattern) | Product.title_zh.like(pattern))
        ordered = query.order_by(Product.stock.desc(), Product.id)
        if not digital:
            rows = (await session.execute(ordered.where(Product.is_digital.is_(False)).limit(limit))).all()
            if not rows:
                first_digital = (await session.execute(ordered.limit(1))).first()
                if first_digital is not None:
                    refuse_digital(product_from_row(first_digital))
            return [product_from_row(row) for row in rows]
        rows = (await session.execute(ordered.limit(limit))).all()
        return [product_from_row(row) for row in rows]


async def open_buys_of(db: Database, limit: int = 20) -> list[GroupBuyView]:
    """For the admin: every open buy, the nearest deadline first."""
    async with db.read() as session:
        ids = (
            await session.execute(
                select(GroupBuy.id).where(GroupBuy.status == OPEN).order_by(GroupBuy.deadline).limit(limit)
            )
        ).scalars()
        return [await load(session, gid) for gid in list(ids)]


async def open_buys_in(db: Database, chat_id: int, limit: int = 3) -> list[GroupBuyView]:
    """The open buys of one group chat, the newest first (what a second /groupbuy there is told about)."""
    async with db.read() as session:
        ids = (
            await session.execute(
                select(GroupBuy.id)
                .where(GroupBuy.chat_id == chat_id, GroupBuy.status == OPEN)
                .order_by(GroupBuy.id.desc())
                .limit(limit)
            )
        ).scalars()
        return [await load(session, gid) for gid in list(ids)]


async def my_group_buys(db: Database, user_id: int, limit: int = 5) -> list[tuple[GroupBuyView, int]]:
    """The user's open group buys, newest first, with the quantity each reserved (customer service answers)."""
    async with db.read() as session:
        rows = (
            await session.execute(
                select(GroupBuyParticipant.group_buy_id, GroupBuyParticipant.quantity)
                .join(GroupBuy, GroupBuy.id == GroupBuyParticipant.group_buy_id)
                .where(GroupBuyParticipant.user_id == user_id, GroupBuy.status == OPEN)
                .order_by(GroupBuy.deadline)
                .limit(limit)
            )
        ).all()
        return [(await load(session, group_buy_id), quantity) for group_buy_id, quantity in rows]
