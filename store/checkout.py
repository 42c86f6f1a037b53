"""Checkout: quoting the cart and placing an order from it.

`place_order` is one transaction: validate the cart, reserve every line with a conditional update (all or
nothing), write the order with snapshotted titles and prices, apply discounts (consuming coupons/points), clear
the cart and schedule the reservation's expiry. Any refusal rolls everything back and names the product.

Digital goods are paid in Telegram Stars only (Telegram's rule). A cart that mixes digital and physical products is
checked out in two turns: the physical lines first (card or pay on pickup), while the digital lines stay in the
cart for a second, Stars-only checkout. Each turn is one order written in one transaction, and only its own
lines leave the cart, so no order ever holds both kinds and nothing is reserved twice.

Idempotency: the cart is cleared with a DELETE whose row count must equal the lines that were reserved, so a
double-tapped "Place order" that raced the first one finds the cart gone and rolls back; a tap after the
first order committed finds an empty cart (the bot then re-uses the order it remembered for that checkout).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import orders, phones, pricing_hooks
from store.db import Database, rowcount
from store.delivery_fee import DEFAULT_RULE, DeliveryRule
from store.errors import Conflict, DomainError
from store.growth import coupons
from store.models import CartItem, Product, User, utcnow
from store.money import STARS

NAME_MIN, NAME_MAX = 2, 64
# The payment choice of a summary whose discounts cover the whole total: the order is placed paid, nothing charged.
FREE_CHOICE = "free"
# How such an order is paid (orders.payment_method; shown as "covered by discounts", never as a card payment).
COVERED_BY_DISCOUNTS = "discounts"
ADDRESS_MIN, ADDRESS_MAX = 5, 300


@dataclass(frozen=True)
class CheckoutPolicy:
    """The shop's checkout settings, handed in by the bot (the core does not read configuration files)."""

    currency: str = "CNY"
    delivery: DeliveryRule = DEFAULT_RULE
    reservation_minutes: int = 30
    pickup_hold_minutes: int = 48 * 60
    max_quantity_per_line: int = 99
    pickup_points: tuple[str, ...] = ()
    card_enabled: bool = True
    stars_enabled: bool = True
    pickup_payment_enabled: bool = True
    # Where a number typed without its country code is from (ISO 3166 alpha-2; config shop.phone_region).
    phone_region: str = phones.DEFAULT_REGION


@dataclass(frozen=True)
class QuoteLine:
    product_id: int
    sku: str
    category_id: int
    title_en: str
    title_zh: str
    unit_price: int
    currency: str
    quantity: int
    is_digital: bool
    stars_price: int | None

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    currency: str
    subtotal: int
    delivery_method: str
    delivery_fee: int
    adjustments: tuple[pricing_hooks.Adjustment, ...]
    total: int
    # Sum of stars_price * quantity when every line is a digital product with a Star price, else None.
    stars_total: int | None
    # Digital lines of a mixed cart left out of this (physical) checkout: they are paid later, in Stars.
    held_back: tuple[QuoteLine, ...] = ()

    @property
    def all_digital(self) -> bool:
        return all(line.is_digital for line in self.lines)

    @property
    def discount(self) -> int:
        return sum(a.amount for a in self.adjustments if a.kind != "points")

    @property
    def points_discount(self) -> int:
        return sum(a.amount for a in self.adjustments if a.kind == "points")

    @property
    def points_spent(self) -> int:
        return sum(a.points_spent for a in self.adjustments)

    @property
    def coupon_code(self) -> str | None:
        return next((a.coupon_code for a in self.adjustments if a.coupon_code), None)


@dataclass(frozen=True)
class CheckoutChoice:
    """What the buyer chose in the dialogue."""

    user_id: int
    delivery_method: str  # delivery | pickup (digital-only carts become "digital")
    payment_method: str = "card"  # card | stars | pickup
    pickup_point: str | None = None
    contact: orders.Contact = field(default_factory=orders.Contact)
    save_contact: bool = True
    coupon_code: str | None = None
    use_points: bool = False
    lang: str = "en"
    # The total shown in the summary: if prices changed meanwhile, the order is refused, not silently repriced.
    expected_total: int | None = None
    expected_currency: str | None = None


@dataclass(frozen=True)
class PlacedOrder:
    order_id: int
    status: str
    total: int
    currency: str
    payment_method: str
    expires_at: datetime | None
    pickup_code: str | None = None  # what the counter asks for when it hands a pickup order over


# ---------------------------------------------------------------- input rules (pure)


def clean_name(text: str) -> str:
    """A person's name: 2-64 characters with at least one letter (any script), so "12345", "..." or a command
    is refused instead of printed on a parcel."""
    name = " ".join(text.split())
    if not NAME_MIN <= len(name) <= NAME_MAX or name.startswith("/") or not any(ch.isalpha() for ch in name):
        raise DomainError("checkout_bad_name", min=NAME_MIN, max=NAME_MAX)
    return name


def clean_phone(text: str, region: str) -> str:
    """A typed phone number in E.164, read by its country's rules (`region` for one without country code)."""
    return phones.parse_phone(text, region)


def clean_address(text: str) -> str:
    """An address: 5-300 characters naming a street or place (at least one letter, any script), so a phone number
    typed at the address step ("+86 138 0013 8000") is refused instead of printed on a parcel and reused."""
    address = " ".join(text.split())
    if (
        not ADDRESS_MIN <= len(address) <= ADDRESS_MAX
        or address.startswith("/")
        or not any(ch.isalpha() for ch in address)
    ):
        raise DomainError("checkout_bad_address", min=ADDRESS_MIN, max=ADDRESS_MAX)
    return address


def clean_coupon(text: str) -> str:
    code = coupons.normalise(text)
    if not re.fullmatch(r"[A-Z0-9_-]{3,32}", code):
        raise DomainError("checkout_bad_coupon")
    return code


def delivery_fee_for(policy: CheckoutPolicy, delivery_method: str, subtotal: int) -> int:
    return policy.delivery.fee_for(delivery_method, subtotal)


# ---------------------------------------------------------------- quoting


async def _cart_lines(session: AsyncSession, user_id: int) -> list[QuoteLine]:
    rows = (
        await session.execute(
            select(CartItem.quantity, Product)
            .join(Product, Product.id == CartItem.product_id)
            .where(CartItem.user_id == user_id)
            .order_by(Product.id)  # one lock order for every buyer: no deadlocks between multi-line carts
        )
    ).all()
    lines: list[QuoteLine] = []
    for qty, p in rows:
        if not p.active:
            raise Conflict("checkout_product_unavailable", product=p.title_en, product_zh=p.title_zh)
        if p.is_digital and not p.stars_price:
            # No Star price, no sale: a digital product cannot be paid by card either.
            raise Conflict("checkout_not_for_sale", product=p.title_en, product_zh=p.title_zh)
        lines.append(
            QuoteLine(
                product_id=p.id,
                sku=p.sku,
                category_id=p.category_id,
                title_en=p.title_en,
                title_zh=p.title_zh,
                unit_price=p.price,
                currency=p.currency,
                quantity=qty,
                is_digital=p.is_digital,
                stars_price=p.stars_price,
            )
        )
    return lines


def _validate(lines: list[QuoteLine], policy: CheckoutPolicy, lang: str) -> None:
    if not lines:
        raise DomainError("checkout_cart_empty")
    for line in lines:
        if line.quantity > policy.max_quantity_per_line:
            raise DomainError("checkout_quantity_too_large", product=line.title(lang), max=policy.max_quantity_per_line)
    if len({line.currency for line in lines}) > 1:
        raise DomainError("checkout_mixed_currency")


def split_lines(lines: list[QuoteLine]) -> tuple[list[QuoteLine], list[QuoteLine]]:
    """(lines checked out now, digital lines held back). Physical lines go first when there are any: their
    checkout may ask for delivery and payment, then the digital rest is a one-tap Stars checkout."""
    physical = [line for line in lines if not line.is_digital]
    if not physical:
        return lines, []
    return physical, [line for line in lines if line.is_digital]


def _stars_total(lines: list[QuoteLine]) -> int | None:
    if not lines or not all(line.is_digital and line.stars_price for line in lines):
        return None
    return sum((line.stars_price or 0) * line.quantity for line in lines)


async def _quote(
    session: AsyncSession,
    user_id: int,
    delivery_method: str,
    policy: CheckoutPolicy,
    *,
    coupon_code: str | None,
    use_points: bool,
    lang: str,
    order_id: int | None = None,
    lines: list[QuoteLine] | None = None,
    with_discounts: bool = True,
) -> Quote:
    if lines is None:
        try:
            lines = await _cart_lines(session, user_id)
        except Conflict as exc:
            _localise(exc, lang)
            raise
    lines, held = split_lines(lines)
    _validate(lines, policy, lang)
    method = "digital" if all(line.is_digital for line in lines) else delivery_method
    if method not in orders.DELIVERY_METHODS:
        raise DomainError("checkout_bad_option")
    currency = lines[0].currency
    subtotal = sum(line.amount for line in lines)
    fee = delivery_fee_for(policy, method, subtotal)
    request = pricing_hooks.PricingRequest(
        user_id=user_id,
        currency=currency,
        lines=[
            pricing_hooks.PricedLine(li.product_id, li.sku, li.category_id, li.unit_price, li.quantity) for li in lines
        ],
        subtotal=subtotal,
        delivery_fee=fee,
        coupon_code=coupon_code,
        use_points=use_points,
        order_id=order_id,
        consume=order_id is not None,
    )
    adjustments = tuple(await pricing_hooks.adjust(session, request)) if with_discounts else ()
    total = subtotal + fee - sum(a.amount for a in adjustments)
    return Quote(
        tuple(lines), currency, subtotal, method, fee, adjustments, max(total, 0), _stars_total(lines), tuple(held)
    )


def _localise(exc: DomainError, lang: str) -> None:
    """Product names in errors are shown in the buyer's language."""
    if lang == "zh" and "product_zh" in exc.params:
        exc.params["product"] = exc.params["product_zh"]
    exc.params.pop("product_zh", None)


async def preview(
    db: Database,
    user_id: int,
    delivery_method: str,
    policy: CheckoutPolicy,
    *,
    coupon_code: str | None = None,
    use_points: bool = False,
    lang: str = "en",
) -> Quote:
    """The summary before placing: prices, fee and discounts (nothing consumed), stock checked."""
    async with db.read() as session:
        quote = await _quote(
            session, user_id, delivery_method, policy, coupon_code=coupon_code, use_points=use_points, lang=lang
        )
        stocks = dict(
            (
                await session.execute(
                    select(Product.id, Product.stock).where(Product.id.in_([li.product_id for li in quote.lines]))
                )
            ).all()
        )
    for line in quote.lines:
        if stocks.get(line.product_id, 0) < line.quantity:
            raise _out_of_stock(line, stocks.get(line.product_id, 0), lang)
    return quote


async def cart_is_empty(db: Database, user_id: int) -> bool:
    async with db.read() as session:
        row = (await session.execute(select(CartItem.product_id).where(CartItem.user_id == user_id).limit(1))).first()
        return row is None


async def saved_contact(db: Database, user_id: int) -> orders.Contact | None:
    async with db.read() as session:
        user = await session.get(User, user_id)
    if user is None or not (user.contact_name and user.phone and user.address):
        return None
    return orders.Contact(user.contact_name, user.phone, user.address)


# ---------------------------------------------------------------- placing


async def reserve(session: AsyncSession, lines: list[QuoteLine], lang: str) -> None:
    """All-or-nothing: the first line that cannot be reserved raises and the transaction rolls back."""
    for line in sorted(lines, key=lambda li: li.product_id):
        result = await session.execute(
            update(Product)
            .where(Product.id == line.product_id, Product.stock >= line.quantity, Product.active.is_(True))
            .values(stock=Product.stock - line.quantity)
        )
        if rowcount(result) != 1:
            left = (await session.execute(select(Product.stock).where(Product.id == line.product_id))).scalar()
            raise _out_of_stock(line, left or 0, lang)


def _out_of_stock(line: QuoteLine, left: int, lang: str) -> Conflict:
    """None left (the last units went to someone else meanwhile) is a sell-out, not "only 0 left"."""
    if left <= 0:
        return Conflict("checkout_sold_out", product=line.title(lang))
    return Conflict("checkout_out_of_stock", product=line.title(lang), left=left)


def _check_payment_method(choice: CheckoutChoice, quote: Quote, policy: CheckoutPolicy) -> None:
    method = choice.payment_method
    if quote.all_digital:
        # Telegram's rule: digital goods and services are paid in Stars only (no card, no pay on pickup).
        if method == "stars" and policy.stars_enabled and quote.stars_total is not None:
            return
        raise DomainError("checkout_digital_stars_only")
    if method == "card" and policy.card_enabled:
        return
    if method == FREE_CHOICE:  # its total must come out 0 once the discounts are applied (place_order_in)
        return
    if method == "pickup" and policy.pickup_payment_enabled and quote.delivery_method == "pickup":
        return
    raise DomainError("checkout_payment_unavailable")


def _check_delivery(choice: CheckoutChoice, quote: Quote, policy: CheckoutPolicy) -> None:
    if quote.delivery_method == "pickup" and choice.pickup_point not in policy.pickup_points:
        raise DomainError("checkout_bad_pickup_point")
    if quote.delivery_method == "delivery":
        contact = choice.contact
        if not (contact.name and contact.phone and contact.address):
            raise DomainError("checkout_contact_missing")
        clean_name(contact.name)
        # Typed numbers were read by parse_phone already; a saved or shared one only has to be in E.164.
        if not phones.is_e164(contact.phone):
            raise phones.refused(policy.phone_region)
        clean_address(contact.address)


async def place_order(db: Database, choice: CheckoutChoice, policy: CheckoutPolicy) -> PlacedOrder:
    async with db.tx() as session:
        return await place_order_in(session, choice, policy)


async def place_order_in(session: AsyncSession, choice: CheckoutChoice, policy: CheckoutPolicy) -> PlacedOrder:
    lang = choice.lang
    try:
        lines = await _cart_lines(session, choice.user_id)
    except Conflict as exc:
        _localise(exc, lang)
        raise
    # This turn's lines only (see the module docstring); the cart's held-back digital lines stay untouched.
    lines, _held = split_lines(lines)
    _validate(lines, policy, lang)
    stars = choice.payment_method == "stars"
    # The plain quote (no discount providers yet: losers of a stampede should fail cheaply at the reservation)
    # gives the delivery method and fee to check the chosen options against.
    quote = await _quote(
        session,
        choice.user_id,
        choice.delivery_method,
        policy,
        coupon_code=None,
        use_points=False,
        lang=lang,
        lines=lines,
        with_discounts=False,
    )
    _check_payment_method(choice, quote, policy)
    _check_delivery(choice, quote, policy)
    await reserve(session, lines, lang)

    now = utcnow()
    pay_on_pickup = choice.payment_method == "pickup"
    hold = policy.pickup_hold_minutes if pay_on_pickup else policy.reservation_minutes
    contact = choice.contact if quote.delivery_method == "delivery" else orders.Contact()
    order_lines = [
        orders.OrderLine(li.product_id, li.sku, li.title_en, li.title_zh, li.unit_price, li.quantity) for li in lines
    ]
    if stars:
        # Stars buy digital goods at their Star price: one currency, no delivery, no shop discounts.
        order_lines = [
            orders.OrderLine(li.product_id, li.sku, li.title_en, li.title_zh, li.stars_price or 0, li.quantity)
            for li in lines
        ]
    order = await orders.create_order(
        session,
        choice.user_id,
        order_lines,
        currency=STARS if stars else quote.currency,
        # A free choice is paid by its discounts; the total must prove it (below).
        payment_method=COVERED_BY_DISCOUNTS if choice.payment_method == FREE_CHOICE else choice.payment_method,
        delivery_method=quote.delivery_method,
        source="cart",
        expires_at=now + timedelta(minutes=hold) if hold > 0 else None,
        delivery_fee=0 if stars else quote.delivery_fee,
        pickup_point=choice.pickup_point if quote.delivery_method == "pickup" else None,
        contact=contact,
        status=orders.CONFIRMED if pay_on_pickup else orders.PENDING_PAYMENT,
        actor=orders.buyer_actor(choice.user_id),
    )
    if not stars:
        final = await _quote(
            session,
            choice.user_id,
            choice.delivery_method,
            policy,
            coupon_code=choice.coupon_code,
            use_points=choice.use_points,
            lang=lang,
            order_id=order.id,
            lines=lines,
        )
        await orders.set_totals(
            session,
            order,
            discount=final.discount,
            points_discount=final.points_discount,
            points_spent=final.points_spent,
            coupon_code=final.coupon_code,
        )
    covered = order.total == 0 and not pay_on_pickup and not stars
    if covered != (choice.payment_method == FREE_CHOICE):
        # No longer free, or now free: the summary shows the new total and its ways to pay (Telegram cannot invoice
        # zero, and an order the discounts cover is never recorded as paid by card).
        raise Conflict("checkout_price_changed")
    if choice.expected_total is not None and (
        order.total != choice.expected_total or (choice.expected_currency or order.currency) != order.currency
    ):
        raise Conflict("checkout_price_changed")

    cleared = await session.execute(
        delete(CartItem).where(
            CartItem.user_id == choice.user_id, CartItem.product_id.in_([li.product_id for li in lines])
        )
    )
    if rowcount(cleared) != len(lines):
        # Another checkout of the same cart got there first (a double tap): this one must not happen.
        raise Conflict("checkout_in_progress")

    if quote.delivery_method == "delivery" and choice.save_contact:
        user = await session.get(User, choice.user_id)
        if user is not None:
            user.contact_name, user.phone, user.address = contact.name, contact.phone, contact.address

    if order.total == 0 and not pay_on_pickup:
        # Fully covered by discounts: nothing to charge (Telegram cannot invoice zero), and nothing was paid by card.
        # The checkout's own message confirms it ("fully covered by your discounts"): no "payment received" notice.
        await orders.transition(session, order.id, orders.PAID, "system", notify_buyer=False)
    return PlacedOrder(
        order.id,
        order.status,
        order.total,
        order.currency,
        order.payment_method,
        order.expires_at,
        order.pickup_code,
    )
