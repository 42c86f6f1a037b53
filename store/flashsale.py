"""Flash sales (秒杀): the rules and use cases.

Lifecycle: an admin schedules a sale (`scheduled`); the `flash_start:<id>` event makes it `live` and queues the
announcements (group cards and private messages to subscribers, outbox rows keyed `flash:<id>:<chat>` so a
crash resumes without sending twice); the `flash_end:<id>` event makes it `ended` (at the end time, or at once
when every unit is paid). A scheduled sale may be edited or cancelled; a start that comes later than
`start_grace_seconds` (the bot was down) marks the sale `missed`. Every move is a conditional update on status.

STOCK MODEL: creating a sale takes its units out of `products.stock` (conditional update), so the flash pool can
never be bought twice. A tap that wins claims one unit of the pool (`sold = sold + n WHERE sold + n <= stock`,
batched by store.flashsale_admission) and gets an order at the flash price (`source="flashsale"`) with a short
payment window. An unpaid order that expires or is cancelled gives its unit back to the pool (to the product
once the sale is over). When the sale closes, the unsold units go back to the product.

PER-USER LIMIT: every won unit is a claim row with a unique (sale, user, seq), seq in 1..limit, so a double tap,
a re-delivered update or a second bot process cannot give anyone more than the limit. A claim whose order
expired still counts: the limit is on units won, so nobody can hold units hostage by not paying and retrying.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from store import notify, order_hooks, orders, scheduling
from store.db import Database
from store.errors import Conflict, DomainError, NotFound
from store.growth import tiers
from store.models import Chat, Order, OutboxMessage, Product, Role, User, utcnow
from store.models.flashsale import FlashClaim, FlashSale
from store.money import STARS

SOURCE = "flashsale"
SCHEDULED, LIVE, ENDED, CANCELLED, MISSED = "scheduled", "live", "ended", "cancelled", "missed"
STATUSES = (SCHEDULED, LIVE, ENDED, CANCELLED, MISSED)
START_JOB, END_JOB = "flash_start", "flash_end"
# With tier early access the sale goes live early for those members; this event opens it to everyone.
PUBLIC_JOB = "flash_public"
# Set in session.info when a sale's state changed, so in-memory admission gates reload it after commit.
SESSION_KEY = "flashsale_changed"

# Outbox templates (rendered by bot/views/flashsale.py).
CARD_TEMPLATE = "flashsale.card"  # the announcement (group card or private message) and its later edits
WON_TEMPLATE = "flashsale.won"  # private: you got a unit, pay within N minutes
SUMMARY_TEMPLATE = "flashsale.summary"  # to admins when a sale ends
MISSED_TEMPLATE = "flashsale.missed_note"  # to admins when a start came too late

MAX_STOCK = 100_000
MAX_PER_USER = 100


def start_key(sale_id: int) -> str:
    return f"{START_JOB}:{sale_id}"


def public_key(sale_id: int) -> str:
    return f"{PUBLIC_JOB}:{sale_id}"


def opening_time(starts_at: datetime) -> datetime:
    """When the start event fires: the public start less the best tier's early access. A sale created inside
    that window opens now, and one whose start has already come (`start=now`) at its start: the early access
    must not date the event back, or it would look "late" and mark the sale missed as if the bot had been
    down. Lateness is still counted from the start itself, so a start long past stays missed."""
    return max(starts_at - tiers.max_early_access(), min(utcnow(), starts_at))


def end_key(sale_id: int) -> str:
    return f"{END_JOB}:{sale_id}"


def announce_key(sale_id: int, chat_id: int) -> str:
    """`flash:<id>:<user>` for a subscriber, `flash:<id>:<negative chat id>` for a group card."""
    return f"flash:{sale_id}:{chat_id}"


# ---------------------------------------------------------------------------------------------- parsing

_RELATIVE = re.compile(r"^\+?\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?$")
_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%m-%d %H:%M", "%H:%M")


def parse_time(text: str, now: datetime, timezone: str) -> datetime:
    """`now`, `+10m`, `1h30m` (from now), an ISO time with an offset, or a local time in the shop's timezone
    (`2026-12-01 20:00`, `12-01 20:00`, `20:00` = today). Returns UTC-aware."""
    value = " ".join(text.strip().split())
    if value.lower() == "now":
        return now
    match = _RELATIVE.match(value.lower())
    if match and any(match.groups()):
        d, h, m, s = (int(g or 0) for g in match.groups())
        return now + timedelta(days=d, hours=h, minutes=m, seconds=s)
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            return parsed.astimezone(now.tzinfo)
    except ValueError:
        parsed = None
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    for fmt in _FORMATS:
        try:
            candidate = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if fmt == "%H:%M":
            candidate = candidate.replace(year=local_now.year, month=local_now.month, day=local_now.day)
        elif fmt == "%m-%d %H:%M":
            candidate = candidate.replace(year=local_now.year)
        parsed = candidate
        break
    if parsed is None:
        raise DomainError("flash_bad_time", value=text[:40])
    return parsed.replace(tzinfo=zone).astimezone(now.tzinfo)


def parse_groups(text: str | None) -> tuple[int, ...] | None:
    """`all` (None) or comma-separated chat ids."""
    if text is None or text.strip().lower() in ("", "all"):
        return None
    try:
        ids = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError as exc:
        raise DomainError("flash_bad_groups", value=text[:40]) from exc
    if not ids:
        return None
    return ids


# ---------------------------------------------------------------------------------------------- views


@dataclass(frozen=True)
class SaleSpec:
    sku: str
    price: int  # minor units
    stock: int
    starts_at: datetime
    ends_at: datetime
    per_user_limit: int = 1
    groups: tuple[int, ...] | None = None  # None: every group the bot is in


@dataclass(frozen=True)
class SaleEdit:
    price: int | None = None
    stock: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    per_user_limit: int | None = None
    groups: tuple[int, ...] | None = None
    all_groups: bool = False


@dataclass(frozen=True)
class SaleView:
    id: int
    product_id: int
    sku: str
    title_en: str
    title_zh: str
    regular_price: int
    price: int
    currency: str
    stock: int
    sold: int
    paid: int
    revenue: int
    returned: int
    per_user_limit: int
    starts_at: datetime
    ends_at: datetime
    status: str
    end_reason: str | None
    groups: tuple[int, ...] | None

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    @property
    def remaining(self) -> int:
        return self.stock - self.sold

    @property
    def pending(self) -> int:
        """Units won and not yet paid."""
        return self.sold - self.paid

    def card_params(self, state: str) -> dict[str, Any]:
        """What the outbox needs to render the card without touching the database."""
        return {
            "sale_id": self.id,
            "state": state,
            "title_en": self.title_en,
            "title_zh": self.title_zh,
            "price": self.price,
            "regular_price": self.regular_price,
            "currency": self.currency,
            "stock": self.stock,
            "limit": self.per_user_limit,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
        }

    def summary_params(self) -> dict[str, Any]:
        return {
            "sale_id": self.id,
            "title_en": self.title_en,
            "title_zh": self.title_zh,
            "stock": self.stock,
            "paid": self.paid,
            "pending": self.pending,
            "returned": self.returned,
            "revenue": self.revenue,
            "currency": self.currency,
            "reason": self.end_reason or "time",
        }


def _view(sale: FlashSale, product: Product) -> SaleView:
    return SaleView(
        id=sale.id,
        product_id=sale.product_id,
        sku=product.sku,
        title_en=product.title_en,
        title_zh=product.title_zh,
        regular_price=product.price,
        price=sale.price,
        currency=sale.currency,
        stock=sale.stock,
        sold=sale.sold,
        paid=sale.paid,
        revenue=sale.revenue,
        returned=sale.returned,
        per_user_limit=sale.per_user_limit,
        starts_at=sale.starts_at,
        ends_at=sale.ends_at,
        status=sale.status,
        end_reason=sale.end_reason,
        groups=tuple(int(g) for g in sale.groups) if sale.groups is not None else None,
    )


async def _load(session: AsyncSession, sale_id: int, *, lock: bool = False) -> tuple[FlashSale, SaleView]:
    query = select(FlashSale, Product).join(Product, Product.id == FlashSale.product_id).where(FlashSale.id == sale_id)
    if lock:
        query = query.with_for_update(of=FlashSale)
    row = (await session.execute(query.execution_options(populate_existing=True))).one_or_none()
    if row is None:
        raise NotFound("flash_not_found", sale_id=sale_id)
    return row[0], _view(row[0], row[1])


async def get_sale(db: Database, sale_id: int) -> SaleView:
    async with db.read() as session:
        return (await _load(session, sale_id))[1]


async def list_sales(db: Database, statuses: Iterable[str] | None = None, limit: int = 20) -> list[SaleView]:
    """Newest first."""
    async with db.read() as session:
        query = select(FlashSale, Product).join(Product, Product.id == FlashSale.product_id)
        if statuses is not None:
            query = query.where(FlashSale.status.in_(list(statuses)))
        rows = (await session.execute(query.order_by(FlashSale.id.desc()).limit(limit))).all()
        return [_view(sale, product) for sale, product in rows]


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def _changed(session: AsyncSession, sale_id: int) -> None:
    session.info.setdefault(SESSION_KEY, set()).add(sale_id)


@dataclass(frozen=True)
class LivePrice:
    """A live sale's price for a product, for the catalog card and search results."""

    sale_id: int
    price: int
    remaining: int


async def live_prices_in(session: AsyncSession, product_ids: Iterable[int]) -> dict[int, LivePrice]:
    """Products with a sale open to everyone and units left: the card and search show (and the Buy button
    charges) the flash price. A sale still in its early-access phase, or with every unit won, leaves the regular
    price on show, since that is what a shopper who is not a winner pays."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    now = utcnow()
    rows = await session.execute(
        select(FlashSale.id, FlashSale.product_id, FlashSale.price, FlashSale.stock - FlashSale.sold)
        .where(
            FlashSale.product_id.in_(ids),
            FlashSale.status == LIVE,
            FlashSale.starts_at <= now,
            FlashSale.ends_at > now,
            FlashSale.sold < FlashSale.stock,
        )
        .order_by(FlashSale.price, FlashSale.id)
    )
    out: dict[int, LivePrice] = {}
    for sale_id, product_id, price, remaining in rows.all():
        out.setdefault(int(product_id), LivePrice(int(sale_id), int(price), int(remaining)))
    return out


async def live_prices(db: Database, product_ids: Iterable[int]) -> dict[int, LivePrice]:
    async with db.read() as session:
        return await live_prices_in(session, product_ids)


# ---------------------------------------------------------------------------------------------- admin


def _check_spec(price: int, stock: int, per_user: int, starts_at: datetime, ends_at: datetime) -> None:
    if price < 0:
        raise DomainError("flash_bad_price")
    if not 1 <= stock <= MAX_STOCK:
        raise DomainError("flash_bad_stock", max=MAX_STOCK)
    if not 1 <= per_user <= MAX_PER_USER:
        raise DomainError("flash_bad_limit", max=MAX_PER_USER)
    if ends_at <= starts_at:
        raise DomainError("flash_end_before_start")
    if ends_at <= utcnow():
        raise DomainError("flash_end_in_past")


async def _take_from_product(session: AsyncSession, product_id: int, n: int) -> None:
    result = await session.execute(
        update(Product)
        .where(Product.id == product_id, Product.stock >= n)
        .values(stock=Product.stock - n, version=Product.version + 1)
    )
    if not _rowcount(result):
        available = (await session.execute(select(Product.stock).where(Product.id == product_id))).scalar_one()
        raise Conflict("flash_not_enough_stock", available=available, wanted=n)


async def _give_to_product(session: AsyncSession, product_id: int, n: int) -> None:
    if n > 0:
        await session.execute(
            update(Product).where(Product.id == product_id).values(stock=Product.stock + n, version=Product.version + 1)
        )


async def create_sale(db: Database, spec: SaleSpec, created_by: int | None = None) -> SaleView:
    """Schedule a sale; its units leave the product's stock now, so the pool is guaranteed at start."""
    _check_spec(spec.price, spec.stock, spec.per_user_limit, spec.starts_at, spec.ends_at)
    async with db.tx() as session:
        product = (await session.execute(select(Product).where(Product.sku == spec.sku))).scalar_one_or_none()
        if product is None or not product.active:
            raise NotFound("flash_unknown_sku", sku=spec.sku)
        if product.currency == STARS:
            raise DomainError("flash_bad_currency")
        await _take_from_product(session, product.id, spec.stock)
        sale = FlashSale(
            product_id=product.id,
            price=spec.price,
            currency=product.currency,
            stock=spec.stock,
            sold=0,
            paid=0,
            revenue=0,
            returned=0,
            released=0,
            per_user_limit=spec.per_user_limit,
            starts_at=spec.starts_at,
            ends_at=spec.ends_at,
            status=SCHEDULED,
            groups=list(spec.groups) if spec.groups is not None else None,
            created_by=created_by,
        )
        session.add(sale)
        await session.flush()
        await scheduling.schedule(session, START_JOB, sale.id, opening_time(spec.starts_at), key=start_key(sale.id))
        await scheduling.schedule(session, END_JOB, sale.id, spec.ends_at, key=end_key(sale.id))
        _changed(session, sale.id)
        return (await _load(session, sale.id))[1]


async def edit_sale(db: Database, sale_id: int, edit: SaleEdit) -> SaleView:
    """Change a sale that has not started yet (a started one is refused: people may already have won)."""
    async with db.tx() as session:
        sale, view = await _load(session, sale_id, lock=True)
        if sale.status != SCHEDULED:
            raise Conflict("flash_not_editable", status=sale.status)
        price = view.price if edit.price is None else edit.price
        stock = view.stock if edit.stock is None else edit.stock
        per_user = view.per_user_limit if edit.per_user_limit is None else edit.per_user_limit
        starts_at = edit.starts_at or view.starts_at
        ends_at = edit.ends_at or view.ends_at
        _check_spec(price, stock, per_user, starts_at, ends_at)
        if stock > sale.stock:
            await _take_from_product(session, sale.product_id, stock - sale.stock)
        elif stock < sale.stock:
            await _give_to_product(session, sale.product_id, sale.stock - stock)
        result = await session.execute(
            update(FlashSale)
            .where(FlashSale.id == sale_id, FlashSale.status == SCHEDULED)
            .values(
                price=price,
                stock=stock,
                per_user_limit=per_user,
                starts_at=starts_at,
                ends_at=ends_at,
                groups=None if edit.all_groups else (list(edit.groups) if edit.groups is not None else sale.groups),
            )
        )
        if not _rowcount(result):
            raise Conflict("flash_not_editable", status="changed")
        if starts_at != view.starts_at:
            await scheduling.schedule(session, START_JOB, sale_id, opening_time(starts_at), key=start_key(sale_id))
        if ends_at != view.ends_at:
            await scheduling.schedule(session, END_JOB, sale_id, ends_at, key=end_key(sale_id))
        _changed(session, sale_id)
        return (await _load(session, sale_id))[1]


async def cancel_sale(db: Database, sale_id: int, admin_ids: Sequence[int] = ()) -> SaleView:
    """A scheduled sale is cancelled (its units go back); a live one ends now (reason `cancelled`)."""
    async with db.tx() as session:
        sale, _ = await _load(session, sale_id, lock=True)
        if sale.status == SCHEDULED:
            result = await session.execute(
                update(FlashSale)
                .where(FlashSale.id == sale_id, FlashSale.status == SCHEDULED)
                .values(status=CANCELLED, end_reason=CANCELLED, ended_at=utcnow(), released=FlashSale.stock)
            )
            if not _rowcount(result):
                raise Conflict("flash_not_cancellable", status="changed")
            await _give_to_product(session, sale.product_id, sale.stock)
            await scheduling.cancel(session, start_key(sale_id))
            await scheduling.cancel(session, end_key(sale_id))
        elif sale.status == LIVE:
            if not await end_sale(session, sale_id, reason=CANCELLED, admin_ids=admin_ids):
                raise Conflict("flash_not_cancellable", status="changed")
            await scheduling.cancel(session, end_key(sale_id))
        else:
            raise Conflict("flash_not_cancellable", status=sale.status)
        _changed(session, sale_id)
        return (await _load(session, sale_id))[1]


# ---------------------------------------------------------------------------------------------- start / end


@dataclass(frozen=True)
class StartOutcome:
    status: str  # live | missed | noop
    groups: int = 0
    subscribers: int = 0


async def _target_groups(session: AsyncSession, groups: Sequence[int] | None, exclude: Iterable[int] = ()) -> list[int]:
    """Shopper groups the bot is in; `exclude` holds chats that are not for shoppers (the support forum)."""
    query = select(Chat.id).where(
        Chat.type.in_(("group", "supergroup")), Chat.bot_status.in_(("member", "administrator"))
    )
    if groups is not None:
        query = query.where(Chat.id.in_(list(groups)))
    excluded = set(exclude)
    return sorted(int(c) for c in (await session.execute(query)).scalars() if int(c) not in excluded)


async def _subscribers(session: AsyncSession) -> list[int]:
    rows = await session.execute(
        select(User.id)
        .where(User.subscribed_flash.is_(True), User.unreachable.is_(False), User.erased_at.is_(None))
        .order_by(User.id)
    )
    return [int(u) for u in rows.scalars()]


async def _existing_keys(session: AsyncSession, prefix: str) -> set[str]:
    rows = await session.execute(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like(f"{prefix}%")))
    return {str(k) for k in rows.scalars()}


async def _enqueue_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Bulk outbox rows (thousands of subscribers in one statement rather than one query each)."""
    if not rows:
        return
    now = utcnow()
    for row in rows:
        row.setdefault("status", "pending")
        row.setdefault("attempts", 0)
        row.setdefault("not_before", now)
        row.setdefault("created_at", now)
    await session.execute(insert(OutboxMessage), rows)
    session.info[notify.SESSION_KEY] = True


async def admins_to_tell(session: AsyncSession, extra: Iterable[int], created_by: int | None) -> list[int]:
    ids = set(extra)
    ids.update(int(u) for u in (await session.execute(select(Role.user_id).where(Role.role == "admin"))).scalars())
    if created_by is not None:
        ids.add(created_by)
    return sorted(ids)


async def start_sale(
    session: AsyncSession,
    sale_id: int,
    *,
    late_by: timedelta,
    grace: timedelta,
    admin_ids: Sequence[int] = (),
    exclude_chats: Iterable[int] = (),
) -> StartOutcome:
    """`scheduled -> live` (in the start event's transaction) and queue the announcements; a start later than
    `grace` (the bot was down) or after the end time marks the sale missed and gives its units back."""
    sale, view = await _load(session, sale_id, lock=True)
    if sale.status != SCHEDULED:
        return StartOutcome("noop")
    now = utcnow()
    if late_by > grace or now >= sale.ends_at:
        result = await session.execute(
            update(FlashSale)
            .where(FlashSale.id == sale_id, FlashSale.status == SCHEDULED)
            .values(status=MISSED, end_reason=MISSED, ended_at=now, released=FlashSale.stock)
        )
        if not _rowcount(result):
            return StartOutcome("noop")
        await _give_to_product(session, sale.product_id, sale.stock)
        await scheduling.cancel(session, end_key(sale_id))
        for admin in await admins_to_tell(session, admin_ids, sale.created_by):
            await notify.enqueue(
                session,
                admin,
                MISSED_TEMPLATE,
                user_id=admin,
                dedupe_key=f"flashmissed:{sale_id}:{admin}",
                sale_id=sale_id,
                title_en=view.title_en,
                title_zh=view.title_zh,
                late_seconds=int(late_by.total_seconds()),
            )
        _changed(session, sale_id)
        return StartOutcome(MISSED)
    result = await session.execute(
        update(FlashSale)
        .where(FlashSale.id == sale_id, FlashSale.status == SCHEDULED)
        .values(status=LIVE, started_at=now)
    )
    if not _rowcount(result):
        return StartOutcome("noop")
    if now < sale.starts_at and tiers.max_early_access() > timedelta(0):
        # Early access: members whose tier grants a head start hear first; everyone else at the public start.
        await scheduling.schedule(session, PUBLIC_JOB, sale_id, sale.starts_at, key=public_key(sale_id))
        early = [
            user_id
            for user_id in await _subscribers(session)
            if now >= sale.starts_at - await tiers.early_access_in(session, user_id)
        ]
        await _announce(session, view, groups=[], subscribers=early)
        _changed(session, sale_id)
        return StartOutcome(LIVE, groups=0, subscribers=len(early))
    groups = await _target_groups(session, view.groups, exclude_chats)
    subscribers = await _subscribers(session)
    await _announce(session, view, groups=groups, subscribers=subscribers)
    _changed(session, sale_id)
    return StartOutcome(LIVE, groups=len(groups), subscribers=len(subscribers))


async def open_to_everyone(session: AsyncSession, sale_id: int, exclude_chats: Iterable[int] = ()) -> StartOutcome:
    """The public start of a sale that went live early for some tiers: the group cards and the remaining
    subscribers' announcements (those already told are skipped by their dedupe keys)."""
    sale, view = await _load(session, sale_id)
    if sale.status != LIVE:
        return StartOutcome("noop")
    groups = await _target_groups(session, view.groups, exclude_chats)
    subscribers = await _subscribers(session)
    await _announce(session, view, groups=groups, subscribers=subscribers)
    return StartOutcome(LIVE, groups=len(groups), subscribers=len(subscribers))


async def _announce(
    session: AsyncSession, view: SaleView, *, groups: Sequence[int], subscribers: Sequence[int]
) -> None:
    sale_id = view.id
    existing = await _existing_keys(session, f"flash:{sale_id}:")
    params = view.card_params(LIVE)
    rows: list[dict[str, Any]] = []
    for chat_id in groups:
        key = announce_key(sale_id, chat_id)
        if key not in existing:
            rows.append(
                {"chat_id": chat_id, "user_id": None, "template": CARD_TEMPLATE, "dedupe_key": key, "params": params}
            )
    for user_id in subscribers:
        key = announce_key(sale_id, user_id)
        if key not in existing:
            rows.append(
                {"chat_id": user_id, "user_id": user_id, "template": CARD_TEMPLATE, "dedupe_key": key, "params": params}
            )
    await _enqueue_many(session, rows)


async def _sent_cards(session: AsyncSession, sale_id: int, *, groups_only: bool) -> list[tuple[int, int]]:
    """(chat id, message id) of announcements already delivered, for editing them in place."""
    query = select(OutboxMessage.chat_id, OutboxMessage.message_id).where(
        OutboxMessage.dedupe_key.like(f"flash:{sale_id}:%"),
        OutboxMessage.template == CARD_TEMPLATE,
        OutboxMessage.status == "sent",
        OutboxMessage.message_id.is_not(None),
    )
    if groups_only:
        query = query.where(OutboxMessage.chat_id < 0)
    return [(int(c), int(m)) for c, m in (await session.execute(query)).all() if m is not None]


async def _edit_cards(session: AsyncSession, view: SaleView, state: str, tag: str, *, groups_only: bool) -> None:
    params = view.card_params(state)
    existing = await _existing_keys(session, f"flashcard:{view.id}:{tag}:")
    rows = []
    for chat_id, message_id in await _sent_cards(session, view.id, groups_only=groups_only):
        key = f"flashcard:{view.id}:{tag}:{chat_id}"
        if key in existing:
            continue
        rows.append(
            {
                "chat_id": chat_id,
                "user_id": chat_id if chat_id > 0 else None,
                "template": CARD_TEMPLATE,
                "dedupe_key": key,
                "params": {**params, "edit_message_id": message_id},
            }
        )
    await _enqueue_many(session, rows)


async def end_sale(
    session: AsyncSession, sale_id: int, *, reason: str | None = None, admin_ids: Sequence[int] = ()
) -> bool:
    """`live -> ended`: unsold units back to the product, announcements not yet sent are dropped, the cards
    say it is over, and the admins get a summary. False when it was not live (already ended, cancelled)."""
    sale, view = await _load(session, sale_id, lock=True)
    if sale.status != LIVE:
        return False
    if reason is None:
        reason = "sold_out" if sale.paid >= sale.stock else "time"
    unsold = sale.stock - sale.sold
    result = await session.execute(
        update(FlashSale)
        .where(FlashSale.id == sale_id, FlashSale.status == LIVE)
        .values(status=ENDED, end_reason=reason, ended_at=utcnow(), released=unsold)
    )
    if not _rowcount(result):
        return False
    await _give_to_product(session, sale.product_id, unsold)
    # Subscribers still waiting for the announcement would only get a dead button.
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.dedupe_key.like(f"flash:{sale_id}:%"),
            OutboxMessage.template == CARD_TEMPLATE,
            OutboxMessage.status == "pending",
        )
        .values(status="skipped")
    )
    sale, view = await _load(session, sale_id)
    await _edit_cards(session, view, ENDED, "end", groups_only=False)
    for admin in await admins_to_tell(session, admin_ids, sale.created_by):
        await notify.enqueue(
            session,
            admin,
            SUMMARY_TEMPLATE,
            user_id=admin,
            dedupe_key=f"flashsum:{sale_id}:{admin}",
            **view.summary_params(),
        )
    _changed(session, sale_id)
    return True


# ---------------------------------------------------------------------------------------------- claims


@dataclass(frozen=True)
class ClaimRequest:
    user_id: int
    seq: int  # the user's n-th unit in this sale, as counted by the admitting process


WON, SOLD_OUT, LIMIT, NOT_STARTED, ENDED_OUTCOME = "won", "sold_out", "limit", "not_started", "ended"


@dataclass(frozen=True)
class ClaimResult:
    outcome: str  # won | sold_out | limit | ended | not_started
    order_id: int | None = None


@dataclass(frozen=True)
class BatchResult:
    results: list[ClaimResult]
    status: str
    stock: int
    sold: int


@dataclass(frozen=True)
class GateSnapshot:
    """What an admission gate needs to answer taps from memory."""

    sale_id: int
    status: str
    starts_at: datetime
    ends_at: datetime
    stock: int
    sold: int
    per_user_limit: int
    counts: dict[int, int]


async def gate_snapshot(db: Database, sale_id: int, *, with_counts: bool = True) -> GateSnapshot:
    async with db.read() as session:
        sale = await session.get(FlashSale, sale_id, populate_existing=True)
        if sale is None:
            raise NotFound("flash_not_found", sale_id=sale_id)
        counts: dict[int, int] = {}
        if with_counts:
            rows = await session.execute(
                select(FlashClaim.user_id, func.max(FlashClaim.seq))
                .where(FlashClaim.sale_id == sale_id)
                .group_by(FlashClaim.user_id)
            )
            counts = {int(u): int(n) for u, n in rows.all()}
        return GateSnapshot(
            sale.id, sale.status, sale.starts_at, sale.ends_at, sale.stock, sale.sold, sale.per_user_limit, counts
        )


def _insert_claims(dialect: str) -> Any:
    module: Any = sqlite if dialect == "sqlite" else postgresql
    return module.insert(FlashClaim)


async def _grant(session: AsyncSession, sale_id: int, wanted: int, now: datetime) -> tuple[int, str, int, int]:
    """Take up to `wanted` units with conditional updates; (granted, status, stock, sold)."""
    n = wanted
    while n > 0:
        result = await session.execute(
            update(FlashSale)
            .where(
                FlashSale.id == sale_id,
                FlashSale.status == LIVE,
                FlashSale.ends_at > now,
                FlashSale.sold + n <= FlashSale.stock,
            )
            .values(sold=FlashSale.sold + n)
            .returning(FlashSale.stock, FlashSale.sold)
        )
        row = result.one_or_none()
        if row is not None:
            return n, LIVE, int(row[0]), int(row[1])
        state = (
            await session.execute(
                select(FlashSale.status, FlashSale.stock, FlashSale.sold, FlashSale.ends_at).where(
                    FlashSale.id == sale_id
                )
            )
        ).one()
        status = state[0] if state[0] != LIVE or state[3] > now else ENDED
        if status != LIVE:
            return 0, status, int(state[1]), int(state[2])
        # Another process took units in the meantime: try for what is left (the update re-checks it).
        n = min(n - 1, int(state[1]) - int(state[2]))
    final = (await session.execute(select(FlashSale.stock, FlashSale.sold).where(FlashSale.id == sale_id))).one()
    return 0, LIVE, int(final[0]), int(final[1])


async def _insert_claim_rows(
    session: AsyncSession, dialect: str, sale_id: int, requests: Sequence[ClaimRequest], limit: int
) -> dict[int, tuple[int, int]]:
    """Insert claims; a (sale, user, seq) taken by another process is retried once with the user's next seq.
    Returns {request index: (claim id, seq)} for the claims that were recorded."""
    recorded: dict[int, tuple[int, int]] = {}
    todo = [(i, r.user_id, r.seq) for i, r in enumerate(requests) if r.seq <= limit]
    for attempt in range(2):
        if not todo:
            break
        stmt = (
            _insert_claims(dialect)
            .values(
                [
                    {"sale_id": sale_id, "user_id": u, "seq": s, "status": "claimed", "created_at": utcnow()}
                    for _, u, s in todo
                ]
            )
            .on_conflict_do_nothing(index_elements=["sale_id", "user_id", "seq"])
            .returning(FlashClaim.id, FlashClaim.user_id, FlashClaim.seq)
        )
        inserted = {(int(u), int(s)): int(cid) for cid, u, s in (await session.execute(stmt)).all()}
        missed = []
        for index, user_id, seq in todo:
            claim_id = inserted.get((user_id, seq))
            if claim_id is not None:
                recorded[index] = (claim_id, seq)
            else:
                missed.append((index, user_id))
        todo = []
        if missed and attempt == 0:
            users = sorted({u for _, u in missed})
            taken = dict(
                (
                    await session.execute(
                        select(FlashClaim.user_id, func.max(FlashClaim.seq))
                        .where(FlashClaim.sale_id == sale_id, FlashClaim.user_id.in_(users))
                        .group_by(FlashClaim.user_id)
                    )
                ).all()
            )
            bumped: dict[int, int] = {}
            for index, user_id in missed:
                seq = max(int(taken.get(user_id, 0)), bumped.get(user_id, 0)) + 1
                bumped[user_id] = seq
                if seq <= limit:
                    todo.append((index, user_id, seq))
    return recorded


async def _contacts(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, orders.Contact]:
    rows = await session.execute(
        select(User.id, User.contact_name, User.phone, User.address).where(User.id.in_(list(user_ids)))
    )
    return {int(r[0]): orders.Contact(r[1], r[2], r[3]) for r in rows.all()}


async def commit_claims(
    db: Database, sale_id: int, requests: Sequence[ClaimRequest], *, payment_window: timedelta
) -> BatchResult:
    """One transaction for a batch of admitted taps: take units (conditional update, the source of truth even
    with several processes), record claims (unique per user and seq), and give each winner an order at the flash
    price with a payment window and a private "you got it" message. Taps beyond the units left are sold out."""
    now = utcnow()
    async with db.tx() as session:
        granted, status, stock, sold = await _grant(session, sale_id, len(requests), now)
        results: list[ClaimResult] = [ClaimResult(SOLD_OUT if status == LIVE else _closed(status))] * len(requests)
        if granted == 0:
            return BatchResult(results, status, stock, sold)
        sale, view = await _load(session, sale_id)
        winners = list(requests[:granted])
        recorded = await _insert_claim_rows(session, db.dialect, sale_id, winners, sale.per_user_limit)
        refused = granted - len(recorded)
        if refused:
            # Those users already have their limit (claimed through another process): give the units back.
            result = await session.execute(
                update(FlashSale)
                .where(FlashSale.id == sale_id)
                .values(sold=FlashSale.sold - refused)
                .returning(FlashSale.sold)
            )
            sold = int(result.scalar_one())
        product = await session.get(Product, sale.product_id)
        assert product is not None
        contacts = await _contacts(session, [winners[i].user_id for i in recorded])
        delivery = "digital" if product.is_digital else "delivery"
        expires_at = now + payment_window
        line = orders.OrderLine(product.id, product.sku, product.title_en, product.title_zh, sale.price, 1)
        claim_orders: list[dict[str, Any]] = []
        for index, request in enumerate(winners):
            if index not in recorded:
                results[index] = ClaimResult(LIMIT)
                continue
            order = await orders.create_order(
                session,
                request.user_id,
                [line],
                currency=sale.currency,
                payment_method="card",
                delivery_method=delivery,
                source=SOURCE,
                source_ref=sale_id,
                expires_at=expires_at,
                contact=contacts.get(request.user_id),
            )
            claim_orders.append({"id": recorded[index][0], "order_id": order.id})
            results[index] = ClaimResult(WON, order.id)
            await notify.notify_user(
                session,
                request.user_id,
                WON_TEMPLATE,
                order_id=order.id,
                sale_id=sale_id,
                title_en=view.title_en,
                title_zh=view.title_zh,
                price=sale.price,
                currency=sale.currency,
                minutes=max(1, int(payment_window.total_seconds() // 60)),
                expires_at=expires_at.isoformat(),
                digital=product.is_digital,
            )
        if claim_orders:
            await session.execute(update(FlashClaim), claim_orders)
        if sold >= stock:
            await _edit_cards(session, view, SOLD_OUT, f"so{sale.returned}", groups_only=True)
        return BatchResult(results, LIVE, stock, sold)


def _closed(status: str) -> str:
    return NOT_STARTED if status == SCHEDULED else ENDED_OUTCOME


# ---------------------------------------------------------------------------------------------- order hooks


async def _claim_of(session: AsyncSession, order_id: int) -> FlashClaim | None:
    return (await session.execute(select(FlashClaim).where(FlashClaim.order_id == order_id))).scalar_one_or_none()


async def _unit_back(session: AsyncSession, change: order_hooks.Transition) -> None:
    """An unpaid flash order ended: its unit goes back to the pool (or to the product if the sale is over)."""
    order = change.order
    if order.source != SOURCE or change.from_status not in orders.UNPAID or order.source_ref is None:
        return
    claim = await _claim_of(session, order.id)
    if claim is None or claim.status != "claimed":
        return
    claim.status = "returned"
    sale, view = await _load(session, order.source_ref, lock=True)
    was_sold_out = sale.sold >= sale.stock
    values: dict[str, Any] = {"sold": FlashSale.sold - 1, "returned": FlashSale.returned + 1}
    if sale.status != LIVE:
        values["released"] = FlashSale.released + 1
        await _give_to_product(session, sale.product_id, 1)
    await session.execute(update(FlashSale).where(FlashSale.id == sale.id).values(**values))
    if sale.status == LIVE and was_sold_out:
        _, view = await _load(session, sale.id)
        await _edit_cards(session, view, LIVE, f"back{view.returned}", groups_only=True)
    _changed(session, sale.id)


async def _paid(session: AsyncSession, change: order_hooks.Transition) -> None:
    order = change.order
    if order.source != SOURCE or order.source_ref is None:
        return
    claim = await _claim_of(session, order.id)
    if claim is None or claim.status != "claimed":
        return
    claim.status = "paid"
    result = await session.execute(
        update(FlashSale)
        .where(FlashSale.id == order.source_ref)
        .values(paid=FlashSale.paid + 1, revenue=FlashSale.revenue + order.total)
        .returning(FlashSale.paid, FlashSale.stock, FlashSale.status)
    )
    paid, stock, status = result.one()
    if status == LIVE and paid >= stock:
        # Every unit is paid: nothing can come back, so the end event runs now (exactly once, like at the end time).
        await scheduling.schedule(session, END_JOB, order.source_ref, utcnow(), key=end_key(order.source_ref))


order_hooks.on(orders.EXPIRED)(_unit_back)
order_hooks.on(orders.CANCELLED)(_unit_back)
order_hooks.on(orders.PAID)(_paid)


# ---------------------------------------------------------------------------------------------- receipt


async def choose_receipt(
    db: Database, order_id: int, user_id: int, pickup_point: str | None, pickup_points: Sequence[str]
) -> orders.OrderDetail:
    """Before paying a won unit, its winner picks delivery (None) or one of the shop's pick-up points, as at a
    normal checkout. Only the winner's own unpaid, physical flash order can change (callback data is never
    trusted); its price stays the flash price."""
    if pickup_point is not None and pickup_point not in pickup_points:
        raise DomainError("checkout_bad_pickup_point")
    async with db.tx() as session:
        result = await session.execute(
            update(Order)
            .where(
                Order.id == order_id,
                Order.user_id == user_id,
                Order.source == SOURCE,
                Order.status == orders.PENDING_PAYMENT,
                Order.delivery_method.in_(("delivery", "pickup")),
            )
            .values(delivery_method="delivery" if pickup_point is None else "pickup", pickup_point=pickup_point)
        )
        if not _rowcount(result):
            raise Conflict("flash_not_payable")
        return await orders.load_detail(session, order_id, user_id)


# ---------------------------------------------------------------------------------------------- subscriptions


async def set_subscribed(db: Database, user_id: int, subscribed: bool) -> bool:
    """Opt in or out of private flash-sale announcements; False when nothing changed."""
    async with db.tx() as session:
        result = await session.execute(
            update(User)
            .where(User.id == user_id, User.subscribed_flash.is_not(subscribed))
            .values(subscribed_flash=subscribed)
        )
        return bool(_rowcount(result))


async def claims_of(db: Database, sale_id: int) -> list[tuple[int, int, str, int | None]]:
    """(user id, seq, status, order id) for every claim of a sale (tests, summaries)."""
    async with db.read() as session:
        rows = await session.execute(
            select(FlashClaim.user_id, FlashClaim.seq, FlashClaim.status, FlashClaim.order_id)
            .where(FlashClaim.sale_id == sale_id)
            .order_by(FlashClaim.id)
        )
        return [(int(u), int(s), str(st), o) for u, s, st, o in rows.all()]
