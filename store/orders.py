"""Orders: the state machine, creating an order, transitions and queries.

Statuses (an order is in exactly one):

    pending_payment --paid--> paid --shipped--> shipped --delivered--> delivered
          |                    |  \\--delivered (pickup and digital orders skip shipping)
          |                    \\--refunded (also from shipped and delivered: a return)
          +--cancelled (the buyer or an admin) / expired (the reservation ran out)
    confirmed (pay on pickup) --delivered (picked up and paid) | cancelled | expired (not collected in time)

Every transition goes through `transition()`: the row is locked, the rule checked (an illegal move raises
DomainError "illegal_transition", it is never silently ignored), an order_event written, reserved stock
released when an unpaid cart order ends (and a paid one is refunded before it was shipped or collected: its
physical goods never left the shop), the buyer told through the outbox (unless the buyer made the change
themselves and already sees it), and `order_hooks.run` called, all in the caller's transaction.
A pickup order carries a short pickup code from the start; an order becoming paid hands its digital goods over
through a hook in store.delivery (for an all-digital order that message is also the payment confirmation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import delivery, notify, order_hooks, scheduling
from store.db import Database
from store.errors import Conflict, DomainError, NotFound
from store.models import Order, OrderEvent, OrderItem, Payment, Product, User, utcnow

PENDING_PAYMENT = "pending_payment"
CONFIRMED = "confirmed"  # pay on pickup: stock held, money taken at the counter
PAID = "paid"
SHIPPED = "shipped"
DELIVERED = "delivered"
CANCELLED = "cancelled"
EXPIRED = "expired"
REFUNDED = "refunded"

STATUSES = (PENDING_PAYMENT, CONFIRMED, PAID, SHIPPED, DELIVERED, CANCELLED, EXPIRED, REFUNDED)
INITIAL_STATUSES = (PENDING_PAYMENT, CONFIRMED)

TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING_PAYMENT: frozenset({PAID, CANCELLED, EXPIRED}),
    CONFIRMED: frozenset({DELIVERED, CANCELLED, EXPIRED}),
    PAID: frozenset({SHIPPED, DELIVERED, REFUNDED}),
    SHIPPED: frozenset({DELIVERED, REFUNDED}),
    DELIVERED: frozenset({REFUNDED}),
    CANCELLED: frozenset(),
    EXPIRED: frozenset(),
    REFUNDED: frozenset(),
}
# Orders that still hold stock and money has not been taken: the buyer may cancel, the reservation may expire.
UNPAID = frozenset({PENDING_PAYMENT, CONFIRMED})
# Orders whose money counts as revenue.
PAID_STATUSES = frozenset({PAID, SHIPPED, DELIVERED})
# Group buys and flash sales reserve their own stock (and return it with an order hook on cancelled/expired);
# only cart orders hold units of products.stock that this module gives back (at cancel, expiry, or a refund before
# shipping). A flash or group-buy order refunded while paid gives its units back through its own refunded hook
# (store.flashsale.hooks.on_refunded: to the sale's pool while it is live; store.groupbuy.hooks.give_back_refunded).
STOCK_RELEASING_SOURCES = frozenset({"cart"})

DELIVERY_METHODS = ("delivery", "pickup", "digital")
STATUS_TEMPLATE = "orders.status_changed"
# "discounts": nothing was charged, the order's discounts cover its whole total (store.checkout.COVERED_BY_DISCOUNTS).
PAYMENT_METHODS = ("card", "stars", "pickup", "discounts")


def can_transition(from_status: str, to_status: str, *, delivery_method: str = "delivery") -> bool:
    """The rule, free of the database (unit-tested on its own)."""
    if to_status not in TRANSITIONS.get(from_status, frozenset()):
        return False
    # A parcel is shipped before it is delivered; pickup and digital orders are handed over directly.
    return not (from_status == PAID and to_status == DELIVERED and delivery_method == "delivery")


# The payment itself moves the order (paid; or cancelled when a digital good's codes ran out meanwhile).
PAYMENT_ACTOR = "payment"


def buyer_actor(user_id: int) -> str:
    return f"user:{user_id}"


def admin_actor(user_id: int) -> str:
    return f"admin:{user_id}"


@dataclass(frozen=True)
class OrderLine:
    product_id: int
    sku: str
    title_en: str
    title_zh: str
    unit_price: int
    quantity: int

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Contact:
    name: str | None = None
    phone: str | None = None
    address: str | None = None


def expiry_key(order_id: int) -> str:
    return f"order_expiry:{order_id}"


@dataclass(frozen=True)
class NewOrder:
    """An order to write: `create_order` takes its fields as arguments, `create_orders` a list of them."""

    user_id: int
    lines: Sequence[OrderLine]
    currency: str
    payment_method: str
    delivery_method: str
    source: str = "cart"
    source_ref: int | None = None
    expires_at: datetime | None = None
    contact: Contact | None = None
    delivery_fee: int = 0
    discount: int = 0
    points_discount: int = 0
    points_spent: int = 0
    coupon_code: str | None = None
    pickup_point: str | None = None
    status: str = PENDING_PAYMENT


async def create_order(
    session: AsyncSession,
    user_id: int,
    lines: Sequence[OrderLine],
    *,
    currency: str,
    payment_method: str,
    delivery_method: str,
    source: str = "cart",
    source_ref: int | None = None,
    expires_at: datetime | None = None,
    delivery_fee: int = 0,
    discount: int = 0,
    points_discount: int = 0,
    points_spent: int = 0,
    coupon_code: str | None = None,
    pickup_point: str | None = None,
    contact: Contact | None = None,
    status: str = PENDING_PAYMENT,
    actor: str = "system",
) -> Order:
    """Write an order in the caller's transaction (stock must already be reserved by the caller).

    Group buys and flash sales call this with their own `source`/`source_ref`; with `expires_at` the order's
    reservation expiry is scheduled (the `order_expiry` job moves it to expired and runs the hooks).
    """
    new = NewOrder(
        user_id,
        lines,
        currency=currency,
        payment_method=payment_method,
        delivery_method=delivery_method,
        source=source,
        source_ref=source_ref,
        expires_at=expires_at,
        contact=contact,
        delivery_fee=delivery_fee,
        discount=discount,
        points_discount=points_discount,
        points_spent=points_spent,
        coupon_code=coupon_code,
        pickup_point=pickup_point,
        status=status,
    )
    order = Order(**_order_row(new))
    session.add(order)
    await session.flush()
    session.add_all(OrderItem(**row) for row in _item_rows(order.id, lines))
    session.add(OrderEvent(order_id=order.id, from_status=None, to_status=status, actor=actor))
    if expires_at is not None:
        await scheduling.schedule(session, "order_expiry", order.id, expires_at, key=expiry_key(order.id))
    await session.flush()
    await order_hooks.run(session, order_hooks.Transition(order, None, status, actor))
    return order


def _order_row(new: NewOrder) -> dict[str, Any]:
    """An order's column values, after the rules every new order obeys (one place for create_order and
    create_orders)."""
    if not new.lines:
        raise DomainError("checkout_cart_empty")
    if new.status not in INITIAL_STATUSES:
        raise DomainError("illegal_transition", from_status="-", to_status=new.status)
    if new.payment_method not in PAYMENT_METHODS or new.delivery_method not in DELIVERY_METHODS:
        raise DomainError("checkout_bad_option")
    subtotal = sum(line.amount for line in new.lines)
    total = subtotal + new.delivery_fee - new.discount - new.points_discount
    if total < 0 or any(line.quantity <= 0 or line.unit_price < 0 for line in new.lines):
        raise DomainError("checkout_bad_amount")
    contact = new.contact or Contact()
    return {
        "user_id": new.user_id,
        "status": new.status,
        "currency": new.currency,
        "subtotal": subtotal,
        "delivery_fee": new.delivery_fee,
        "discount": new.discount,
        "points_discount": new.points_discount,
        "points_spent": new.points_spent,
        "total": total,
        "payment_method": new.payment_method,
        "delivery_method": new.delivery_method,
        "pickup_point": new.pickup_point,
        "pickup_code": delivery.new_pickup_code() if new.delivery_method == "pickup" else None,
        "contact_name": contact.name,
        "phone": contact.phone,
        "address": contact.address,
        "source": new.source,
        "source_ref": new.source_ref,
        "coupon_code": new.coupon_code,
        "expires_at": new.expires_at,
    }


def _item_rows(order_id: int, lines: Sequence[OrderLine]) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order_id,
            "product_id": line.product_id,
            "sku": line.sku,
            "title_en": line.title_en,
            "title_zh": line.title_zh,
            "unit_price": line.unit_price,
            "quantity": line.quantity,
        }
        for line in lines
    ]


async def create_orders(session: AsyncSession, new: Sequence[NewOrder], *, actor: str = "system") -> list[Order]:
    """`create_order` for many orders in a handful of statements, in the caller's transaction and in `new`'s
    order: the same rows, events, expiry events and hooks. A flash sale's batch of winners was 5-6 round trips
    and ORM flushes per order, which kept the winners waiting seconds behind a storm."""
    if not new:
        return []
    rows = [_order_row(n) for n in new]
    created = list((await session.scalars(insert(Order).returning(Order, sort_by_parameter_order=True), rows)).all())
    await session.execute(
        insert(OrderItem),
        [item for order, n in zip(created, new, strict=True) for item in _item_rows(order.id, n.lines)],
    )
    await session.execute(
        insert(OrderEvent),
        [{"order_id": order.id, "from_status": None, "to_status": order.status, "actor": actor} for order in created],
    )
    await scheduling.schedule_many(
        session,
        "order_expiry",
        [(order.id, order.expires_at, expiry_key(order.id)) for order in created if order.expires_at is not None],
    )
    for order in created:
        await order_hooks.run(session, order_hooks.Transition(order, None, order.status, actor))
    return created


async def set_totals(
    session: AsyncSession,
    order: Order,
    *,
    discount: int,
    points_discount: int,
    points_spent: int,
    coupon_code: str | None,
) -> None:
    """Apply checkout discounts computed after the order row exists (providers need its id)."""
    total = order.subtotal + order.delivery_fee - discount - points_discount
    if total < 0:
        raise DomainError("checkout_bad_amount")
    order.discount = discount
    order.points_discount = points_discount
    order.points_spent = points_spent
    order.coupon_code = coupon_code
    order.total = total
    await session.flush()


async def _lock(session: AsyncSession, order_id: int) -> Order:
    order = (
        await session.execute(
            select(Order).where(Order.id == order_id).with_for_update().execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if order is None:
        raise NotFound("order_not_found", order_id=order_id)
    return order


async def release_stock(session: AsyncSession, order_id: int, *, physical_only: bool = False) -> None:
    """Give an order's units back (a plain increment: it cannot oversell). `physical_only`: skip digital
    products, whose goods went to the buyer with the payment (store.delivery) and cannot come back."""
    query = select(OrderItem).where(OrderItem.order_id == order_id)
    if physical_only:
        query = query.join(Product, Product.id == OrderItem.product_id).where(Product.is_digital.is_(False))
    items = (await session.execute(query)).scalars().all()
    for item in sorted(items, key=lambda i: i.product_id):
        await session.execute(
            update(Product).where(Product.id == item.product_id).values(stock=Product.stock + item.quantity)
        )


async def transition(
    session: AsyncSession,
    order_id: int,
    to_status: str,
    actor: str,
    *,
    from_statuses: Iterable[str] | None = None,
    user_id: int | None = None,
    notify_buyer: bool = True,
    notice: Mapping[str, Any] | None = None,
) -> order_hooks.Transition:
    """Move an order to `to_status` in the caller's transaction.

    `from_statuses` narrows what the caller expects (e.g. the expiry job only expires pending orders);
    `user_id` makes it an ownership-checked action by that buyer (another user's order is "not found");
    `notice` adds parameters to the buyer's notice of the change (e.g. suggestions drawn when a payment came).
    """
    if to_status not in STATUSES:
        raise DomainError("illegal_transition", from_status="-", to_status=to_status)
    order = await _lock(session, order_id)
    if user_id is not None and order.user_id != user_id:
        raise NotFound("order_not_found", order_id=order_id)
    from_status = order.status
    allowed = can_transition(from_status, to_status, delivery_method=order.delivery_method)
    if not allowed or (from_statuses is not None and from_status not in set(from_statuses)):
        raise Conflict("illegal_transition", from_status=from_status, to_status=to_status, order_id=order_id)
    if from_status == PENDING_PAYMENT and to_status == CANCELLED and actor != PAYMENT_ACTOR and _being_paid(order):
        # Telegram is charging it (store.payments.PAYMENT_LEASE): cancelled now, that payment would arrive for a
        # cancelled order and be refunded. Whoever cancels (buyer, admin) waits a few seconds. Expiry is not held
        # here: the pre-checkout moved the reservation's end past the lease.
        raise DomainError("order_payment_under_way", order_id=order_id)
    order.status = to_status
    order.updated_at = utcnow()
    if to_status == PAID or (from_status == CONFIRMED and to_status == DELIVERED):
        # Pay on pickup is paid at the hand-over: the hooks below (points, tier) must see it paid.
        order.paid_at = utcnow()
    session.add(OrderEvent(order_id=order.id, from_status=from_status, to_status=to_status, actor=actor))
    if from_status in UNPAID:
        await scheduling.cancel(session, expiry_key(order.id))
        if to_status in (CANCELLED, EXPIRED) and order.source in STOCK_RELEASING_SOURCES:
            await release_stock(session, order.id)
    elif from_status == PAID and to_status == REFUNDED and order.source in STOCK_RELEASING_SOURCES:
        # Refunded before it was shipped or collected: the goods never left the shop, so they go back on the shelf
        # (refunded is terminal, so once). A refund after shipping or delivery leaves them with the buyer.
        await release_stock(session, order.id, physical_only=True)
    await session.flush()
    change = order_hooks.Transition(order, from_status, to_status, actor, dict(notice or {}))
    # An all-digital order hears about its payment with its first good (store.delivery, a paid hook below).
    goods_confirm = to_status == PAID and delivery.confirms_payment_itself(order)
    if notify_buyer and actor != buyer_actor(order.user_id) and not goods_confirm:
        worded = await _source_notice(session, change)
        await notify.enqueue(
            session,
            order.user_id,
            worded.template if worded else STATUS_TEMPLATE,
            user_id=order.user_id,
            dedupe_key=f"order:{order.id}:{to_status}",
            order_id=order.id,
            status=to_status,
            delivery_method=order.delivery_method,
            pickup_point=order.pickup_point,
            pickup_code=order.pickup_code,
            # A card refund is money on its way back, not back yet: its notice says so (bot/views/orders.py).
            payment_method=order.payment_method,
            total=order.total,
            currency=order.currency,
            **{**dict(notice or {}), **dict(worded.params if worded else {})},
        )
    await order_hooks.run(session, change)
    return change


def _being_paid(order: Order) -> bool:
    return order.paying_until is not None and order.paying_until > utcnow()


async def _source_notice(session: AsyncSession, change: order_hooks.Transition) -> order_hooks.Notice | None:
    from store.rules import rules_of

    maker = rules_of(session).order_notices.get(change.order.source)
    return await maker(session, change) if maker is not None else None


async def extend_hold(session: AsyncSession, order_id: int, until: datetime) -> None:
    """Keep an unpaid order's reservation at least until `until` (a payment is under way)."""
    order = await _lock(session, order_id)
    if order.status != PENDING_PAYMENT or order.expires_at is None or order.expires_at >= until:
        return
    order.expires_at = until
    await scheduling.schedule(session, "order_expiry", order.id, until, key=expiry_key(order.id))


# ---------------------------------------------------------------- queries


@dataclass(frozen=True)
class OrderSummary:
    id: int
    status: str
    total: int
    currency: str
    created_at: datetime
    items_count: int
    delivery_method: str = "delivery"  # a pickup order is "collected", not "delivered", on the buyer's list


@dataclass(frozen=True)
class OrderItemView:
    sku: str
    title_en: str
    title_zh: str
    unit_price: int
    quantity: int

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en


@dataclass(frozen=True)
class EventView:
    from_status: str | None
    to_status: str
    actor: str
    at: datetime


@dataclass(frozen=True)
class OrderDetail:
    id: int
    user_id: int
    status: str
    currency: str
    subtotal: int
    delivery_fee: int
    discount: int
    points_discount: int
    points_spent: int
    total: int
    payment_method: str
    delivery_method: str
    pickup_point: str | None
    pickup_code: str | None
    contact_name: str | None
    phone: str | None
    address: str | None
    source: str
    source_ref: int | None
    coupon_code: str | None
    note: str | None
    expires_at: datetime | None
    created_at: datetime
    paid_at: datetime | None
    items: tuple[OrderItemView, ...]
    events: tuple[EventView, ...]
    has_goods: bool = False  # digital lines the chat hands over (store.delivery)
    contact_erased: bool = False  # the buyer used /forgetme: missing contact details were erased, not never given

    @property
    def cancellable(self) -> bool:
        return self.status in UNPAID

    @property
    def resendable(self) -> bool:
        """The buyer may have their digital goods sent again."""
        return self.has_goods and self.status in PAID_STATUSES

    @property
    def payable(self) -> bool:
        return self.status == PENDING_PAYMENT and self.payment_method in ("card", "stars")

    @property
    def delivered_at(self) -> datetime | None:
        """When it was delivered (or collected): the start of its return window."""
        return max((e.at for e in self.events if e.to_status == DELIVERED), default=None)

    def returnable(self, return_days: int) -> bool:
        """A return or refund can be asked for: paid or shipped, or delivered within `return_days`."""
        return self.status in PAID_STATUSES and not past_return_window(self.status, self.delivered_at, return_days)


def return_window_cutoff(return_days: int) -> datetime:
    """Orders delivered before this moment are past their return window (`return_days` after delivery, the window
    the shop's answers promise)."""
    return utcnow() - timedelta(days=return_days)


def past_return_window(status: str, delivered_at: datetime | None, return_days: int) -> bool:
    """A delivered order whose return window has closed (one with no recorded delivery time counts as within it).
    The refund picker's SQL asks the same with `return_window_cutoff`."""
    return status == DELIVERED and delivered_at is not None and delivered_at < return_window_cutoff(return_days)


async def load_detail(session: AsyncSession, order_id: int, user_id: int | None = None) -> OrderDetail:
    order = await session.get(Order, order_id, populate_existing=True)
    if order is None or (user_id is not None and order.user_id != user_id):
        raise NotFound("order_not_found", order_id=order_id)
    items = (
        (await session.execute(select(OrderItem).where(OrderItem.order_id == order_id).order_by(OrderItem.id)))
        .scalars()
        .all()
    )
    events = (
        (await session.execute(select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)))
        .scalars()
        .all()
    )
    goods = await delivery.goods_of(session, order)
    erased_at = (await session.execute(select(User.erased_at).where(User.id == order.user_id))).scalar_one_or_none()
    return OrderDetail(
        id=order.id,
        user_id=order.user_id,
        status=order.status,
        currency=order.currency,
        subtotal=order.subtotal,
        delivery_fee=order.delivery_fee,
        discount=order.discount,
        points_discount=order.points_discount,
        points_spent=order.points_spent,
        total=order.total,
        payment_method=order.payment_method,
        delivery_method=order.delivery_method,
        pickup_point=order.pickup_point,
        pickup_code=order.pickup_code,
        contact_name=order.contact_name,
        phone=order.phone,
        address=order.address,
        source=order.source,
        source_ref=order.source_ref,
        coupon_code=order.coupon_code,
        note=order.note,
        expires_at=order.expires_at,
        created_at=order.created_at,
        paid_at=order.paid_at,
        items=tuple(OrderItemView(i.sku, i.title_en, i.title_zh, i.unit_price, i.quantity) for i in items),
        events=tuple(EventView(e.from_status, e.to_status, e.actor, e.at) for e in events),
        has_goods=bool(goods),
        # The order's own mark first (store.privacy.ERASED_CONTACT): a returning shopper is no longer erased.
        contact_erased=erased_at is not None or order.contact_name == "",
    )


async def get_order(db: Database, order_id: int, user_id: int | None = None) -> OrderDetail:
    """One order; with `user_id`, only that buyer's (another user's order is reported as not found)."""
    async with db.read() as session:
        return await load_detail(session, order_id, user_id)


async def _summaries(session: AsyncSession, query: object) -> list[OrderSummary]:
    rows = (await session.execute(query)).scalars().all()  # type: ignore[call-overload]
    if not rows:
        return []
    counts = dict(
        (
            await session.execute(
                select(OrderItem.order_id, func.sum(OrderItem.quantity))
                .where(OrderItem.order_id.in_([o.id for o in rows]))
                .group_by(OrderItem.order_id)
            )
        ).all()
    )
    return [
        OrderSummary(o.id, o.status, o.total, o.currency, o.created_at, int(counts.get(o.id, 0)), o.delivery_method)
        for o in rows
    ]


async def latest_orders(db: Database, user_id: int, n: int = 10) -> list[OrderSummary]:
    async with db.read() as session:
        query = select(Order).where(Order.user_id == user_id).order_by(Order.id.desc()).limit(n)
        return await _summaries(session, query)


async def orders_by_status(db: Database, statuses: Iterable[str], n: int = 20) -> list[OrderSummary]:
    """For the admin: the oldest first, so the queue is worked in order."""
    async with db.read() as session:
        query = select(Order).where(Order.status.in_(list(statuses))).order_by(Order.id).limit(n)
        return await _summaries(session, query)


async def cancel_by_buyer(db: Database, order_id: int, user_id: int) -> OrderDetail:
    """The buyer cancels an unpaid order (ownership checked); the reserved stock goes back. Not while Telegram is
    charging it (`transition`)."""
    async with db.tx() as session:
        await transition(session, order_id, CANCELLED, buyer_actor(user_id), from_statuses=UNPAID, user_id=user_id)
        return await load_detail(session, order_id, user_id)


async def admin_transition(db: Database, order_id: int, to_status: str, admin_id: int) -> OrderDetail:
    """Shipped / delivered by an admin (refunds go through store.payments.refund_order)."""
    if to_status not in (SHIPPED, DELIVERED, CANCELLED):
        raise DomainError("illegal_transition", from_status="-", to_status=to_status)
    async with db.tx() as session:
        change = await transition(session, order_id, to_status, admin_actor(admin_id))
        if change.from_status == CONFIRMED and to_status == DELIVERED:
            # Pay on pickup: the money taken at the counter is recorded when the order is handed over.
            order = change.order
            session.add(Payment(order_id=order.id, method="pickup", amount=order.total, currency=order.currency))
        return await load_detail(session, order_id)


async def payments_of(db: Database, order_id: int) -> list[Payment]:
    async with db.read() as session:
        rows = await session.execute(select(Payment).where(Payment.order_id == order_id).order_by(Payment.id))
        return list(rows.scalars())


@dataclass(frozen=True)
class Stats:
    orders_since: int
    paid_since: int
    revenue_since: dict[str, int]
    revenue_total: dict[str, int]
    by_status: dict[str, int]


async def stats(db: Database, since: datetime) -> Stats:
    """Counts for the admin: orders placed and paid since `since` (start of the shop's day), revenue by currency."""
    async with db.read() as session:
        placed = (
            await session.execute(select(func.count()).select_from(Order).where(Order.created_at >= since))
        ).scalar()
        paid_q = select(Order.currency, func.count(), func.sum(Order.total)).where(
            Order.status.in_(list(PAID_STATUSES)), Order.paid_at >= since
        )
        paid_rows = (await session.execute(paid_q.group_by(Order.currency))).all()
        total_rows = (
            await session.execute(
                select(Order.currency, func.sum(Order.total))
                .where(Order.status.in_(list(PAID_STATUSES)))
                .group_by(Order.currency)
            )
        ).all()
        status_rows = (await session.execute(select(Order.status, func.count()).group_by(Order.status))).all()
    return Stats(
        orders_since=int(placed or 0),
        paid_since=sum(int(n) for _, n, _ in paid_rows),
        revenue_since={cur: int(amount or 0) for cur, _, amount in paid_rows},
        revenue_total={cur: int(amount or 0) for cur, amount in total_rows},
        by_status={status: int(n) for status, n in status_rows},
    )
