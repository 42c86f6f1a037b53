"""Group buys run by community leaders: the rules (tiers, limits, deadlines) and the use cases.

Lifecycle: a leader publishes a group buy for one product in a group (`open`); people join and leave until
the deadline; then it is `succeeded` (the minimum was reached) or `failed`; a leader or admin may `cancel` an
open one. Reaching the maximum moves the deadline event to "now", so the buy succeeds at once. Every status
move is a conditional update `... WHERE status = 'open'`, so it happens once even with two bot processes, a
re-delivered update or a deadline event that fires after a restart.

MONEY MODEL: "commit at join, invoice at success".
- Join reserves one unit of stock with a conditional update (`stock >= 1`) and records a participant; a unique
  (group_buy_id, user_id) makes a double tap or a re-delivered update count once. Changing the quantity
  reserves or returns the difference the same way, up to the per-person limit. No money is taken.
- Leaving before the deadline, a failed group buy and a cancelled one return every reserved unit. Nothing
  was charged, so nothing is refunded (the Bot API cannot refund provider payments anyway).
- On success each participant gets an order (`source="groupbuy"`, `source_ref=<id>`) at the FINAL tier price,
  i.e. the price of the tier the group reached, so nobody pays more than the tier reached and everybody pays
  the same unit price. The reserved units move to the order (create_order does not reserve again). A card
  order waits `payment_window_minutes` (`expires_at`), a pay-on-pickup order is `confirmed` and waits the
  pickup hold; an order that expires or is cancelled gives its units back through an order hook here.
- The leader's commission (`commission_percent` of the goods subtotal, frozen when the buy is published) is
  credited in an append-only ledger when a participant's order is paid (or, for pay on pickup, delivered),
  keyed by order id so it is credited once, and reversed by a second keyed row when that order is refunded.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store import checkout, notify, order_hooks, orders, scheduling
from store.catalog import PRODUCT_COLUMNS, ProductView, product_from_row
from store.db import Database
from store.errors import Conflict, DomainError, Forbidden, NotFound
from store.models import Order, Product, User, utcnow
from store.models.groupbuy import GroupBuy, GroupBuyParticipant, LeaderCommission
from store.money import Money, parse_major

OPEN = "open"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
CLOSED_STATUSES = (SUCCEEDED, FAILED, CANCELLED)

SOURCE = "groupbuy"
DEADLINE_JOB = "groupbuy_deadline"
TICK_JOB = "groupbuy_tick"

MAX_TIERS = 5
MAX_PARTICIPANTS = 10_000
MAX_PER_PERSON = 99
MIN_DURATION = timedelta(minutes=1)
PICKUP_TEXT_MIN, PICKUP_TEXT_MAX = 3, 64


@dataclass(frozen=True)
class GroupBuyPolicy:
    """The shop's settings that group buys obey, handed in by the bot (the core reads no configuration)."""

    commission_percent: float = 5.0
    payment_window_minutes: int = 60
    pickup_hold_minutes: int = 48 * 60
    max_duration_days: int = 14
    timezone: str = "Asia/Shanghai"
    delivery_fee: int = 800
    free_delivery_over: int = 9900
    card_enabled: bool = True
    pickup_payment_enabled: bool = True
    pickup_points: tuple[str, ...] = ()
    countdown_refresh_seconds: int = 300


# ---------------------------------------------------------------------------------------------- rules (pure)


@dataclass(frozen=True)
class Tier:
    """From `min_participants` people on, everybody pays `unit_price`."""

    min_participants: int
    unit_price: int


def price_for(tiers: Sequence[Tier], base_price: int, participants: int) -> int:
    """The unit price of the highest tier reached; the regular price below the first tier."""
    price = base_price
    for tier in tiers:
        if participants >= tier.min_participants:
            price = min(price, tier.unit_price)
    return price


def next_tier(tiers: Sequence[Tier], participants: int) -> Tier | None:
    return next((tier for tier in tiers if tier.min_participants > participants), None)


_TIER_SPLIT = re.compile(r"[,;，；\n]+")
_TIER_ENTRY = re.compile(r"^(?:(\d+)\s*(?:\+|人|:|：|=|\s)\s*[:：=]?\s*)?(\d+(?:[.,]\d+)?)\s*(%|％)?$")


def _percent_price(base_price: int, text: str) -> int:
    try:
        percent = Decimal(text.replace(",", "."))
    except InvalidOperation as exc:
        raise DomainError("gb_bad_tiers") from exc
    if not Decimal(0) < percent < Decimal(100) or percent != percent.quantize(Decimal("0.01")):
        raise DomainError("gb_bad_percent")
    basis_points = int(percent * 100)
    return base_price - (base_price * basis_points + 5000) // 10000


def parse_tiers(text: str, base_price: int, currency: str) -> list[Tier]:
    """`89.00` (one group price), `10%` (one discount) or tiers: `3+ 10%, 10+ 20%` / `3: 89, 10: 79`."""
    entries = [e.strip() for e in _TIER_SPLIT.split(text.strip()) if e.strip()]
    if not entries:
        raise DomainError("gb_bad_tiers")
    if len(entries) > MAX_TIERS:
        raise DomainError("gb_too_many_tiers", max=MAX_TIERS)
    tiers: list[Tier] = []
    for entry in entries:
        match = _TIER_ENTRY.match(entry)
        if match is None:
            raise DomainError("gb_bad_tiers")
        threshold_text, value, percent = match.groups()
        threshold = int(threshold_text) if threshold_text else 1
        if not 1 <= threshold <= MAX_PARTICIPANTS:
            raise DomainError("gb_bad_tiers")
        if percent:
            price = _percent_price(base_price, value)
        else:
            try:
                price = parse_major(value.replace(",", "."), currency)
            except ValueError as exc:
                raise DomainError("gb_bad_tiers") from exc
        if not 0 < price < base_price:
            raise DomainError("gb_tier_not_cheaper", price=Money(base_price, currency).format())
        tiers.append(Tier(threshold, price))
    tiers.sort(key=lambda tier: tier.min_participants)
    for lower, higher in itertools.pairwise(tiers):
        if lower.min_participants == higher.min_participants or higher.unit_price >= lower.unit_price:
            raise DomainError("gb_tiers_order")
    return tiers


def parse_count(text: str, low: int, high: int) -> int:
    value = text.strip()
    if not value.isdigit() or len(value) > 6:
        raise DomainError("gb_not_a_number")
    number = int(value)
    if not low <= number <= high:
        raise DomainError("gb_number_range", low=low, high=high)
    return number


def check_participants(tiers: Sequence[Tier], minimum: int, maximum: int | None, per_person: int, stock: int) -> None:
    """The limits fit each other and the stock (every participant holds at least one unit)."""
    if minimum > stock:
        raise DomainError("gb_min_above_stock", stock=stock)
    if maximum is not None:
        if maximum < minimum:
            raise DomainError("gb_max_below_min", min=minimum)
        if maximum > stock:
            raise DomainError("gb_max_above_stock", stock=stock)
    ceiling = maximum if maximum is not None else stock
    top = max((tier.min_participants for tier in tiers), default=1)
    if top > ceiling:
        raise DomainError("gb_tier_unreachable", tier=top, max=ceiling)
    if per_person < 1 or per_person > MAX_PER_PERSON:
        raise DomainError("gb_number_range", low=1, high=MAX_PER_PERSON)


_DURATION_PART = re.compile(r"(\d+)\s*(w|d|h|m|min|周|天|日|小时|时|分钟|分)", re.IGNORECASE)
_UNIT_SECONDS = {
    "w": 604800, "周": 604800,
    "d": 86400, "天": 86400, "日": 86400,
    "h": 3600, "小时": 3600, "时": 3600,
    "m": 60, "min": 60, "分钟": 60, "分": 60,
}  # fmt: skip
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S")


def _parse_duration(text: str) -> timedelta | None:
    compact = text.strip().lower().replace(" ", "")
    if not compact:
        return None
    position, seconds = 0, 0
    for match in _DURATION_PART.finditer(compact):
        if match.start() != position:
            return None
        seconds += int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        position = match.end()
    if position != len(compact) or seconds == 0:
        return None
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class DeadlineChoice:
    """What the leader typed at the deadline step: a duration (counted from publishing, so a slow leader does
    not eat into it) or a moment in time."""

    duration: timedelta | None = None
    at: datetime | None = None

    def resolve(self, now: datetime) -> datetime:
        if self.duration is not None:
            return now + self.duration
        assert self.at is not None
        return self.at


def parse_deadline_choice(text: str, now: datetime, timezone: str, max_days: int) -> DeadlineChoice:
    """`24h`, `3d`, `1d12h`, `90m` (a duration) or a time in the shop's timezone like `2026-12-01 18:00` (UTC out),
    checked against `now`."""
    duration = _parse_duration(text)
    if duration is not None:
        check_deadline(now + duration, now, max_days)
        return DeadlineChoice(duration=duration)
    value = " ".join(text.split())
    parsed = None
    for fmt in _DATETIME_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
            break
        except ValueError:
            continue
    if parsed is None:
        raise DomainError("gb_bad_deadline")
    deadline = parsed.replace(tzinfo=ZoneInfo(timezone)).astimezone(now.tzinfo)
    check_deadline(deadline, now, max_days)
    return DeadlineChoice(at=deadline)


def parse_deadline(text: str, now: datetime, timezone: str, max_days: int) -> datetime:
    """The deadline `text` means when published at `now`."""
    return parse_deadline_choice(text, now, timezone, max_days).resolve(now)


def check_deadline(deadline: datetime, now: datetime, max_days: int) -> None:
    if deadline < now + MIN_DURATION:
        raise DomainError("gb_deadline_past")
    if deadline > now + timedelta(days=max_days):
        raise DomainError("gb_deadline_too_far", days=max_days)


def publish_deadline(choice: DeadlineChoice, now: datetime, max_days: int) -> datetime:
    """The deadline of a buy published at `now`. Whatever the deadline step accepted is accepted here too: a
    duration counts from now; a time that came closer than the minimum lead while the leader finished the
    set-up moves to the minimum. Only a time that has already passed is refused (a buy that ends before anyone
    can see it helps nobody): the leader is asked for a new one."""
    if choice.duration is not None:
        duration = min(max(choice.duration, MIN_DURATION), timedelta(days=max_days))
        return now + duration
    if choice.at is None:
        raise DomainError("gb_bad_deadline")
    if choice.at <= now:
        raise DomainError("gb_deadline_passed")
    return min(max(choice.at, now + MIN_DURATION), now + timedelta(days=max_days))


def clean_pickup_text(text: str) -> str:
    value = " ".join(text.split())
    if not PICKUP_TEXT_MIN <= len(value) <= PICKUP_TEXT_MAX or value.startswith("/"):
        raise DomainError("gb_bad_pickup", min=PICKUP_TEXT_MIN, max=PICKUP_TEXT_MAX)
    return value


def parse_contact(text: str) -> orders.Contact:
    """`name, phone, address` in one message (checkout's rules for each part)."""
    parts = [p.strip() for p in re.split(r"[,，]", text, maxsplit=2)]
    if len(parts) != 3:
        raise DomainError("gb_bad_contact")
    return orders.Contact(
        checkout.clean_name(parts[0]), checkout.clean_phone(parts[1]), checkout.clean_address(parts[2])
    )


def commission_of(amount: int, commission_bp: int) -> int:
    return (amount * commission_bp + 5000) // 10000


def format_remaining(deadline: datetime, now: datetime) -> tuple[int, int, int]:
    """(days, hours, minutes) left, rounded up to the minute so "0m" only shows at the end."""
    seconds = max(0, int((deadline - now).total_seconds()))
    minutes = (seconds + 59) // 60
    return minutes // 1440, (minutes % 1440) // 60, minutes % 60


# ---------------------------------------------------------------------------------------------- views


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
        return self.final_price or price_for(self.tiers, self.base_price, self.joined)

    @property
    def full(self) -> bool:
        return self.max_participants is not None and self.joined >= self.max_participants

    def title(self, lang: str) -> str:
        return self.product.title(lang)


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


@dataclass(frozen=True)
class JoinResult:
    status: str  # joined | already | full | closed | sold_out
    group_buy: GroupBuyView
    participant: ParticipantView | None = None


@dataclass(frozen=True)
class GroupBuySpec:
    """What the leader chose in the wizard (already validated piece by piece; publish re-checks it all)."""

    chat_id: int
    product_id: int
    tiers: tuple[Tier, ...]
    min_participants: int
    max_participants: int | None
    per_person_limit: int
    deadline: datetime | None = None  # a moment chosen in the wizard...
    duration: timedelta | None = None  # ...or a duration, counted from publishing
    pickup_point: str | None = None
    message_thread_id: int | None = None
    lang: str = "en"


def _view(row: GroupBuy, product: ProductView) -> GroupBuyView:
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


async def _product(session: AsyncSession, product_id: int) -> ProductView:
    row = (await session.execute(select(*PRODUCT_COLUMNS).where(Product.id == product_id))).first()
    if row is None:
        raise NotFound("gb_product_not_found")
    return product_from_row(row)


async def _load(session: AsyncSession, group_buy_id: int) -> GroupBuyView:
    row = await session.get(GroupBuy, group_buy_id, populate_existing=True)
    if row is None:
        raise NotFound("gb_not_found", id=group_buy_id)
    return _view(row, await _product(session, row.product_id))


async def get(db: Database, group_buy_id: int) -> GroupBuyView:
    async with db.read() as session:
        return await _load(session, group_buy_id)


async def _participant(session: AsyncSession, group_buy_id: int, user_id: int) -> ParticipantView | None:
    row = (
        await session.execute(
            select(GroupBuyParticipant, User, Order)
            .join(User, User.id == GroupBuyParticipant.user_id)
            .outerjoin(Order, Order.id == GroupBuyParticipant.order_id)
            .where(GroupBuyParticipant.group_buy_id == group_buy_id, GroupBuyParticipant.user_id == user_id)
            .execution_options(populate_existing=True)
        )
    ).first()
    return _participant_view(*row) if row is not None else None


def _participant_view(part: GroupBuyParticipant, user: User, order: Order | None) -> ParticipantView:
    contact = _contact_of(part)
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
        pay_on_pickup=_pay_on_pickup(part),
        order_id=order.id if order is not None else None,
        order_status=order.status if order is not None else None,
        order_total=order.total if order is not None else None,
    )


def _contact_of(part: GroupBuyParticipant) -> orders.Contact:
    return orders.Contact(part.contact_name, part.phone, part.address)


def _pay_on_pickup(part: GroupBuyParticipant) -> bool:
    return bool(part.pay_on_pickup)


async def participant(db: Database, group_buy_id: int, user_id: int) -> ParticipantView | None:
    async with db.read() as session:
        return await _participant(session, group_buy_id, user_id)


async def participants(db: Database, group_buy_id: int) -> list[ParticipantView]:
    async with db.read() as session:
        return await _participants(session, group_buy_id)


async def _participants(session: AsyncSession, group_buy_id: int) -> list[ParticipantView]:
    rows = (
        await session.execute(
            select(GroupBuyParticipant, User, Order)
            .join(User, User.id == GroupBuyParticipant.user_id)
            .outerjoin(Order, Order.id == GroupBuyParticipant.order_id)
            .where(GroupBuyParticipant.group_buy_id == group_buy_id)
            .order_by(GroupBuyParticipant.id)
        )
    ).all()
    return [_participant_view(*row) for row in rows]


# ---------------------------------------------------------------------------------------------- publishing


async def publish(db: Database, leader_id: int, spec: GroupBuySpec, policy: GroupBuyPolicy) -> GroupBuyView:
    """Open the group buy (the leader's role was checked by the bot) and schedule its deadline."""
    now = utcnow()
    async with db.tx() as session:
        product = await _product(session, spec.product_id)
        if not product.active or product.stock <= 0:
            raise Conflict("gb_product_unavailable")
        tiers = list(spec.tiers)
        if not tiers or any(not 0 < tier.unit_price < product.price for tier in tiers):
            raise DomainError("gb_tier_not_cheaper", price=product.money.format())
        check_participants(tiers, spec.min_participants, spec.max_participants, spec.per_person_limit, product.stock)
        deadline = publish_deadline(
            DeadlineChoice(duration=spec.duration, at=spec.deadline), now, policy.max_duration_days
        )
        row = GroupBuy(
            leader_id=leader_id,
            chat_id=spec.chat_id,
            message_thread_id=spec.message_thread_id,
            product_id=product.id,
            status=OPEN,
            currency=product.currency,
            base_price=product.price,
            tiers=[[tier.min_participants, tier.unit_price] for tier in tiers],
            min_participants=spec.min_participants,
            max_participants=spec.max_participants,
            per_person_limit=spec.per_person_limit,
            deadline=deadline,
            pickup_point=spec.pickup_point,
            joined=0,
            commission_bp=round(policy.commission_percent * 100),
            lang=spec.lang,
            card_has_photo=False,
        )
        session.add(row)
        await session.flush()
        await scheduling.schedule(session, DEADLINE_JOB, row.id, deadline)
        first_tick = now + timedelta(seconds=policy.countdown_refresh_seconds)
        if first_tick < deadline:
            await schedule_tick(session, row.id, first_tick, 0)
        return _view(row, product)


async def attach_card(db: Database, group_buy_id: int, message_id: int, has_photo: bool) -> None:
    async with db.tx() as session:
        await session.execute(
            update(GroupBuy)
            .where(GroupBuy.id == group_buy_id)
            .values(card_message_id=message_id, card_has_photo=has_photo)
            .execution_options(synchronize_session=False)
        )


# ---------------------------------------------------------------------------------------------- joining


class _Refused(Exception):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


async def _lock_open(session: AsyncSession, group_buy_id: int) -> bool:
    """Lock the buy's row while it is open (a no-op update): joins, quantity changes and closing take the same
    row lock, so a close never reads participants in the middle of a change."""
    result = await session.execute(
        update(GroupBuy)
        .where(GroupBuy.id == group_buy_id, GroupBuy.status == OPEN)
        .values(joined=GroupBuy.joined)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


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
            if _rowcount(reserved) != 1:
                raise _Refused("sold_out")
            session.add(GroupBuyParticipant(group_buy_id=group_buy_id, user_id=user_id, quantity=1))
            await session.flush()
            if maximum is not None and joined >= maximum:
                # Full: the buy succeeds now rather than at the deadline.
                await scheduling.schedule(session, DEADLINE_JOB, group_buy_id, now)
            view = await _load(session, group_buy_id)
            part = await _participant(session, group_buy_id, user_id)
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
        view = await _load(session, group_buy_id)
        part = await _participant(session, group_buy_id, user_id)
    if part is not None:
        return JoinResult("already", view, part)
    if not view.is_open or view.deadline <= utcnow():
        return JoinResult("closed", view)
    if view.full:
        return JoinResult("full", view)
    return None


async def leave(db: Database, group_buy_id: int, user_id: int) -> GroupBuyView:
    """Give the place and the reserved units back (only while the buy is open)."""
    async with db.tx() as session:
        if not await _lock_open(session, group_buy_id):
            await _load(session, group_buy_id)  # NotFound for a bad id
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
        await _return_units(session, product_id, int(row[0]))
        return await _load(session, group_buy_id)


async def _return_units(session: AsyncSession, product_id: int, quantity: int) -> None:
    if quantity > 0:
        await session.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(stock=Product.stock + quantity)
            .execution_options(synchronize_session=False)
        )


async def _own_row(session: AsyncSession, group_buy_id: int, user_id: int) -> GroupBuyParticipant:
    if not await _lock_open(session, group_buy_id):
        await _load(session, group_buy_id)
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
            if _rowcount(reserved) != 1:
                raise Conflict("gb_not_enough_stock")
        elif delta < 0:
            await _return_units(session, buy.product_id, -delta)
        part.quantity = quantity
        await session.flush()
        view = await _participant(session, group_buy_id, user_id)
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
        if method in ("pickup", "pickup_pay") and not buy.pickup_point:
            raise DomainError("gb_no_pickup")
        if method == "pickup_pay" and not policy.pickup_payment_enabled:
            raise DomainError("gb_no_pickup_payment")
        if method == "delivery":
            contact = contact or await _saved_contact(session, user_id)
            if contact is None or not (contact.name and contact.phone and contact.address):
                raise DomainError("gb_contact_needed")
            part.contact_name, part.phone, part.address = contact.name, contact.phone, contact.address
        elif method not in ("pickup", "pickup_pay"):
            raise DomainError("gb_bad_delivery")
        part.delivery_method = "delivery" if method == "delivery" else "pickup"
        part.pay_on_pickup = method == "pickup_pay"
        await session.flush()
        view = await _participant(session, group_buy_id, user_id)
        assert view is not None
        return view


async def _saved_contact(session: AsyncSession, user_id: int) -> orders.Contact | None:
    user = await session.get(User, user_id)
    if user is None or not (user.contact_name and user.phone and user.address):
        return None
    return orders.Contact(user.contact_name, user.phone, user.address)


# ---------------------------------------------------------------------------------------------- closing


@dataclass(frozen=True)
class CloseOutcome:
    status: str  # succeeded | failed | cancelled | noop (already closed)
    group_buy: GroupBuyView
    order_ids: tuple[int, ...] = ()


async def close(session: AsyncSession, group_buy_id: int, policy: GroupBuyPolicy) -> CloseOutcome:
    """The deadline (or a full buy): succeeded when the minimum was reached, else failed. Runs once."""
    result = await session.execute(
        update(GroupBuy)
        .where(GroupBuy.id == group_buy_id, GroupBuy.status == OPEN)
        .values(
            status=case((GroupBuy.joined >= GroupBuy.min_participants, SUCCEEDED), else_=FAILED),
            closed_at=utcnow(),
        )
        .returning(GroupBuy.status)
        .execution_options(synchronize_session=False)
    )
    row = result.first()
    view = await _load(session, group_buy_id)
    if row is None:
        return CloseOutcome("noop", view)
    await _cancel_ticks(session, group_buy_id)
    if row[0] == SUCCEEDED:
        return await _succeed(session, view, policy)
    await _release_all(session, view, FAILED)
    return CloseOutcome(FAILED, view)


async def _succeed(session: AsyncSession, view: GroupBuyView, policy: GroupBuyPolicy) -> CloseOutcome:
    unit_price = price_for(view.tiers, view.base_price, view.joined)
    await session.execute(
        update(GroupBuy)
        .where(GroupBuy.id == view.id)
        .values(final_price=unit_price)
        .execution_options(synchronize_session=False)
    )
    view = replace(view, final_price=unit_price)
    now = utcnow()
    product = view.product
    rows = (
        (
            await session.execute(
                select(GroupBuyParticipant)
                .where(GroupBuyParticipant.group_buy_id == view.id)
                .order_by(GroupBuyParticipant.id)
            )
        )
        .scalars()
        .all()
    )
    order_ids: list[int] = []
    for part in rows:
        pickup = part.delivery_method == "pickup" and bool(view.pickup_point)
        pay_on_pickup = pickup and _pay_on_pickup(part) and policy.pickup_payment_enabled
        subtotal = unit_price * part.quantity
        fee = 0 if pickup else checkout.delivery_fee_for(_checkout_policy(policy), "delivery", subtotal)
        hold = policy.pickup_hold_minutes if pay_on_pickup else policy.payment_window_minutes
        order = await orders.create_order(
            session,
            part.user_id,
            [orders.OrderLine(product.id, product.sku, product.title_en, product.title_zh, unit_price, part.quantity)],
            currency=view.currency,
            payment_method="pickup" if pay_on_pickup else "card",
            delivery_method="pickup" if pickup else "delivery",
            source=SOURCE,
            source_ref=view.id,
            expires_at=now + timedelta(minutes=hold),
            delivery_fee=fee,
            pickup_point=(view.pickup_point or "")[:32] if pickup else None,
            contact=orders.Contact() if pickup else await _delivery_contact(session, part),
            status=orders.CONFIRMED if pay_on_pickup else orders.PENDING_PAYMENT,
        )
        part.order_id = order.id
        order_ids.append(order.id)
        await notify.enqueue(
            session,
            part.user_id,
            "groupbuy.success",
            dedupe_key=f"gb:{view.id}:success:{part.user_id}",
            group_buy_id=view.id,
            order_id=order.id,
            title_en=product.title_en,
            title_zh=product.title_zh,
            quantity=part.quantity,
            unit_price=unit_price,
            base_price=view.base_price,
            total=order.total,
            currency=view.currency,
            pay_on_pickup=pay_on_pickup,
            pickup_point=view.pickup_point if pickup else None,
            window_minutes=hold,
        )
    await session.flush()
    return CloseOutcome(SUCCEEDED, view, tuple(order_ids))


async def _delivery_contact(session: AsyncSession, part: GroupBuyParticipant) -> orders.Contact:
    """The contact typed in the panel, else the one saved at an earlier checkout (may still be empty when a
    buy without pickup point closes before the participant gave one; the order then shows no address)."""
    contact = _contact_of(part)
    if contact.address:
        return contact
    return await _saved_contact(session, part.user_id) or contact


def _checkout_policy(policy: GroupBuyPolicy) -> checkout.CheckoutPolicy:
    return checkout.CheckoutPolicy(delivery_fee=policy.delivery_fee, free_delivery_over=policy.free_delivery_over)


async def _release_all(session: AsyncSession, view: GroupBuyView, reason: str) -> None:
    """Failed or cancelled: every reserved unit goes back and every participant is told (outbox)."""
    rows = (
        (await session.execute(select(GroupBuyParticipant).where(GroupBuyParticipant.group_buy_id == view.id)))
        .scalars()
        .all()
    )
    await _return_units(session, view.product.id, sum(part.quantity for part in rows))
    for part in rows:
        await notify.enqueue(
            session,
            part.user_id,
            "groupbuy.closed_notice",
            dedupe_key=f"gb:{view.id}:{reason}:{part.user_id}",
            group_buy_id=view.id,
            reason=reason,
            title_en=view.product.title_en,
            title_zh=view.product.title_zh,
            joined=view.joined,
            minimum=view.min_participants,
        )


# ---------------------------------------------------------------------------------------------- leader actions


async def _managed(session: AsyncSession, group_buy_id: int, actor_id: int, is_admin: bool) -> GroupBuyView:
    """Only the buy's own leader, or an admin, manages it (callback data is never trusted)."""
    view = await _load(session, group_buy_id)
    if view.leader_id != actor_id and not is_admin:
        raise Forbidden("gb_not_yours")
    return view


async def cancel(db: Database, group_buy_id: int, actor_id: int, is_admin: bool) -> GroupBuyView:
    """Cancel an open buy: units go back and participants are told, exactly like a failed one."""
    async with db.tx() as session:
        await _managed(session, group_buy_id, actor_id, is_admin)
        result = await session.execute(
            update(GroupBuy)
            .where(GroupBuy.id == group_buy_id, GroupBuy.status == OPEN)
            .values(status=CANCELLED, closed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) != 1:
            raise Conflict("gb_closed")
        view = await _load(session, group_buy_id)
        await scheduling.cancel(session, f"{DEADLINE_JOB}:{group_buy_id}")
        await _cancel_ticks(session, group_buy_id)
        await _release_all(session, view, CANCELLED)
        return view


async def extend(
    db: Database, group_buy_id: int, actor_id: int, is_admin: bool, new_deadline: datetime, policy: GroupBuyPolicy
) -> GroupBuyView:
    """Move the deadline later (never earlier: people joined expecting the time shown)."""
    async with db.tx() as session:
        view = await _managed(session, group_buy_id, actor_id, is_admin)
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
        if _rowcount(result) != 1:
            raise Conflict("gb_closed")
        await scheduling.schedule(session, DEADLINE_JOB, group_buy_id, new_deadline)
        changed = await _load(session, group_buy_id)
        await _tell_participants(session, changed, "deadline", deadline=new_deadline.isoformat())
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


async def set_maximum(
    db: Database, group_buy_id: int, actor_id: int, is_admin: bool, maximum: int | None
) -> GroupBuyView:
    """The leader changes how many may join an open buy: never below who already joined or the minimum."""
    async with db.tx() as session:
        view = await _managed(session, group_buy_id, actor_id, is_admin)
        if maximum is not None and not max(view.joined, view.min_participants, 1) <= maximum <= MAX_PARTICIPANTS:
            low = max(view.joined, view.min_participants, 1)
            raise DomainError("gb_number_range", low=low, high=MAX_PARTICIPANTS)
        query = update(GroupBuy).where(GroupBuy.id == group_buy_id, GroupBuy.status == OPEN)
        if maximum is not None:
            query = query.where(GroupBuy.joined <= maximum)
        result = await session.execute(
            query.values(max_participants=maximum).execution_options(synchronize_session=False)
        )
        if _rowcount(result) != 1:
            raise Conflict("gb_closed")
        changed = await _load(session, group_buy_id)
        await _tell_participants(session, changed, "maximum", maximum=maximum)
        return changed


async def manage_view(db: Database, group_buy_id: int, actor_id: int, is_admin: bool) -> GroupBuyView:
    async with db.read() as session:
        return await _managed(session, group_buy_id, actor_id, is_admin)


# ---------------------------------------------------------------------------------------------- the leader's desk


@dataclass(frozen=True)
class LeaderLine:
    group_buy: GroupBuyView
    participants: int
    units: int
    paid_total: int
    commission: int


@dataclass(frozen=True)
class LeaderOverview:
    open: tuple[LeaderLine, ...]
    past: tuple[LeaderLine, ...]
    commission_total: int
    currency: str | None


async def leader_overview(db: Database, leader_id: int, limit: int = 10) -> LeaderOverview:
    async with db.read() as session:
        rows = (
            (
                await session.execute(
                    select(GroupBuy).where(GroupBuy.leader_id == leader_id).order_by(GroupBuy.id.desc()).limit(limit)
                )
            )
            .scalars()
            .all()
        )
        lines = [await _leader_line(session, row) for row in rows]
        total_row = (
            await session.execute(
                select(func.coalesce(func.sum(LeaderCommission.amount), 0), func.min(LeaderCommission.currency)).where(
                    LeaderCommission.leader_id == leader_id
                )
            )
        ).one()
    return LeaderOverview(
        open=tuple(line for line in lines if line.group_buy.is_open),
        past=tuple(line for line in lines if not line.group_buy.is_open),
        commission_total=int(total_row[0]),
        currency=total_row[1] or (lines[0].group_buy.currency if lines else None),
    )


async def _leader_line(session: AsyncSession, row: GroupBuy) -> LeaderLine:
    view = _view(row, await _product(session, row.product_id))
    counts = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(GroupBuyParticipant.quantity), 0)).where(
                GroupBuyParticipant.group_buy_id == row.id
            )
        )
    ).one()
    paid = (
        await session.execute(
            select(func.coalesce(func.sum(Order.total), 0)).where(
                Order.source == SOURCE,
                Order.source_ref == row.id,
                Order.status.in_(sorted(orders.PAID_STATUSES)),
            )
        )
    ).scalar_one()
    commission = (
        await session.execute(
            select(func.coalesce(func.sum(LeaderCommission.amount), 0)).where(LeaderCommission.group_buy_id == row.id)
        )
    ).scalar_one()
    return LeaderLine(view, int(counts[0]), int(counts[1]), int(paid), int(commission))


async def leader_detail(
    db: Database, group_buy_id: int, actor_id: int, is_admin: bool
) -> tuple[LeaderLine, list[ParticipantView]]:
    async with db.read() as session:
        await _managed(session, group_buy_id, actor_id, is_admin)
        row = await session.get(GroupBuy, group_buy_id)
        assert row is not None
        return await _leader_line(session, row), await _participants(session, group_buy_id)


CSV_COLUMNS = ("user_id", "name", "username", "quantity", "receive", "pickup_point", "contact", "phone", "address",
               "order_id", "order_status", "amount")  # fmt: skip


async def pickup_csv(db: Database, group_buy_id: int, actor_id: int, is_admin: bool) -> tuple[str, bytes]:
    """The pickup list of a buy as CSV (file name, UTF-8 with BOM so spreadsheet apps read Chinese)."""
    line, people = await leader_detail(db, group_buy_id, actor_id, is_admin)
    view = line.group_buy
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for person in people:
        amount = Money(person.order_total, view.currency).format() if person.order_total is not None else ""
        receive = "delivery" if person.delivery_method == "delivery" else "pickup"
        writer.writerow(
            (
                person.user_id,
                _csv_safe(person.name),
                _csv_safe(person.username or ""),
                person.quantity,
                receive,
                _csv_safe(view.pickup_point or "") if receive == "pickup" else "",
                _csv_safe(person.contact_name or ""),
                _csv_safe(person.phone or ""),
                _csv_safe(person.address or ""),
                person.order_id or "",
                person.order_status or "",
                amount,
            )
        )
    return f"groupbuy-{view.id}-pickup.csv", ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_safe(value: str) -> str:
    """Names are user-controlled: keep spreadsheet apps from reading them as formulas."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


# ---------------------------------------------------------------------------------------------- cards and ticks


def tick_key(group_buy_id: int, parity: int) -> str:
    return f"{TICK_JOB}:{group_buy_id}:{parity % 2}"


async def schedule_tick(session: AsyncSession, group_buy_id: int, run_at: datetime, parity: int) -> None:
    """Countdown redraws alternate between two event rows (ref `<id>:0`, `<id>:1`): a running tick schedules the
    other one, so a buy never needs more than two rows however long it runs."""
    await scheduling.schedule(
        session, TICK_JOB, f"{group_buy_id}:{parity % 2}", run_at, key=tick_key(group_buy_id, parity)
    )


async def _cancel_ticks(session: AsyncSession, group_buy_id: int) -> None:
    for parity in (0, 1):
        await scheduling.cancel(session, tick_key(group_buy_id, parity))


async def tick(session: AsyncSession, ref: str, every: timedelta) -> GroupBuyView | None:
    """The countdown moved: returns the buy to redraw and schedules the next tick while it stays open."""
    id_text, _, parity_text = ref.partition(":")
    group_buy_id, parity = int(id_text), int(parity_text or 0)
    row = await session.get(GroupBuy, group_buy_id)
    if row is None or row.status != OPEN:
        return None
    now = utcnow()
    if row.deadline > now:
        await schedule_tick(session, group_buy_id, min(now + every, row.deadline), parity + 1)
    return await _load(session, group_buy_id)


# ---------------------------------------------------------------------------------------------- order hooks


async def _credit(session: AsyncSession, order: Order) -> None:
    if order.source != SOURCE or order.source_ref is None:
        return
    exists = (
        await session.execute(
            select(LeaderCommission.id).where(LeaderCommission.order_id == order.id, LeaderCommission.kind == "credit")
        )
    ).first()
    if exists is not None:
        return
    buy = await session.get(GroupBuy, order.source_ref)
    if buy is None:
        return
    amount = commission_of(order.subtotal - order.discount, buy.commission_bp)
    session.add(
        LeaderCommission(
            leader_id=buy.leader_id,
            group_buy_id=buy.id,
            order_id=order.id,
            kind="credit",
            amount=amount,
            currency=order.currency,
        )
    )
    await session.flush()


async def on_paid(session: AsyncSession, change: order_hooks.Transition) -> None:
    await _credit(session, change.order)


async def on_delivered(session: AsyncSession, change: order_hooks.Transition) -> None:
    # Pay on pickup: the money is taken at the counter when the order is handed over.
    if change.from_status == orders.CONFIRMED:
        await _credit(session, change.order)


async def on_refunded(session: AsyncSession, change: order_hooks.Transition) -> None:
    order = change.order
    if order.source != SOURCE:
        return
    credit = (
        await session.execute(
            select(LeaderCommission).where(LeaderCommission.order_id == order.id, LeaderCommission.kind == "credit")
        )
    ).scalar_one_or_none()
    if credit is None:
        return
    reversed_already = (
        await session.execute(
            select(LeaderCommission.id).where(
                LeaderCommission.order_id == order.id, LeaderCommission.kind == "reversal"
            )
        )
    ).first()
    if reversed_already is None:
        session.add(
            LeaderCommission(
                leader_id=credit.leader_id,
                group_buy_id=credit.group_buy_id,
                order_id=order.id,
                kind="reversal",
                amount=-credit.amount,
                currency=credit.currency,
            )
        )
        await session.flush()


async def give_back(session: AsyncSession, change: order_hooks.Transition) -> None:
    # Group-buy orders hold the units reserved at join (orders only releases cart orders' stock).
    if change.order.source == SOURCE and change.from_status in orders.UNPAID:
        await orders.release_stock(session, change.order.id)


async def commission_balance(db: Database, leader_id: int) -> int:
    async with db.read() as session:
        value = (
            await session.execute(
                select(func.coalesce(func.sum(LeaderCommission.amount), 0)).where(
                    LeaderCommission.leader_id == leader_id
                )
            )
        ).scalar_one()
        return int(value)


async def candidate_products(db: Database, limit: int = 8) -> list[ProductView]:
    """Products a leader can pick from a list in the wizard: active, in stock, most stock first."""
    async with db.read() as session:
        rows = (
            await session.execute(
                select(*PRODUCT_COLUMNS)
                .where(Product.active.is_(True), Product.stock > 0)
                .order_by(Product.stock.desc(), Product.id)
                .limit(limit)
            )
        ).all()
        return [product_from_row(row) for row in rows]


async def product_for_wizard(db: Database, *, product_id: int | None = None, sku: str | None = None) -> ProductView:
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
    return product


async def open_buys_of(db: Database, limit: int = 20) -> list[GroupBuyView]:
    """For the admin: every open buy, the nearest deadline first."""
    async with db.read() as session:
        ids = (
            await session.execute(
                select(GroupBuy.id).where(GroupBuy.status == OPEN).order_by(GroupBuy.deadline).limit(limit)
            )
        ).scalars()
        return [await _load(session, gid) for gid in list(ids)]


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
        return [(await _load(session, group_buy_id), quantity) for group_buy_id, quantity in rows]


async def find_products_for_wizard(db: Database, text: str, limit: int = 8) -> list[ProductView]:
    """What a leader typed at the product step: an exact SKU first, else products whose title (English or
    Chinese) contains the words typed. Only products a group buy could sell (active, in stock)."""
    wanted = " ".join(text.split())[:64]
    if not wanted:
        return []
    async with db.read() as session:
        base = select(*PRODUCT_COLUMNS).where(Product.active.is_(True), Product.stock > 0)
        exact = (await session.execute(base.where(func.upper(Product.sku) == wanted.upper()))).first()
        if exact is not None:
            return [product_from_row(exact)]
        query = base
        for word in wanted.lower().split()[:4]:
            pattern = f"%{word.replace('%', '').replace('_', '')}%"
            query = query.where(func.lower(Product.title_en).like(pattern) | Product.title_zh.like(pattern))
        rows = (await session.execute(query.order_by(Product.stock.desc(), Product.id).limit(limit))).all()
        return [product_from_row(row) for row in rows]


async def close_early(db: Database, group_buy_id: int, actor_id: int, is_admin: bool) -> GroupBuyView:
    """The leader closes an open buy now that its minimum is reached: its deadline becomes now and the deadline
    job (the one way a buy closes, with its orders and notices) runs at once."""
    async with db.tx() as session:
        view = await _managed(session, group_buy_id, actor_id, is_admin)
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
        if _rowcount(result) != 1:
            if not view.is_open:
                raise Conflict("gb_closed")
            raise Conflict("gb_below_minimum", minimum=view.min_participants, joined=view.joined)
        await scheduling.schedule(session, DEADLINE_JOB, group_buy_id, now)
        return await _load(session, group_buy_id)


# Tier presets the wizard offers as buttons: (people, percent off) steps, priced from the product's own price.
TIER_PRESETS: tuple[tuple[tuple[int, int], ...], ...] = (((3, 10), (10, 20)), ((3, 5), (5, 10)), ((5, 15),))


def tier_preset(base_price: int, index: int) -> tuple[Tier, ...]:
    if not 0 <= index < len(TIER_PRESETS):
        raise DomainError("bad_button")
    return tuple(Tier(people, _percent_price(base_price, str(percent))) for people, percent in TIER_PRESETS[index])


# Deadline presets: tonight 20:00 (tomorrow's when that is too close), tomorrow 12:00, or 48 hours from publishing.
DEADLINE_PRESETS = ("tonight", "noon", "48h")


def deadline_preset(key: str, now: datetime, timezone: str) -> DeadlineChoice:
    if key == "48h":
        return DeadlineChoice(duration=timedelta(hours=48))
    local = now.astimezone(ZoneInfo(timezone))
    if key == "tonight":
        at = local.replace(hour=20, minute=0, second=0, microsecond=0)
        if at < local + MIN_DURATION:
            at += timedelta(days=1)
    elif key == "noon":
        at = (local + timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    else:
        raise DomainError("bad_button")
    return DeadlineChoice(at=at.astimezone(now.tzinfo))
