"""Low-stock alerts, restocking and "notify me when it is back".

- A product runs low when its stock falls below its threshold (its own row in `stock_thresholds`, else the
  shop's default). `check()` inserts one `low_stock_alerts` row per product; the primary key makes the insert
  conditional, so admins hear of a fall once however many processes or sweeps see it. When stock is back at or
  above the threshold the row is removed, and the next fall alerts again. No row is written while no admin can
  be written to: the first admin to open the bot hears of the products already low at the next sweep.
- Shoppers who tapped "Notify me" on a sold-out product are told once when it has stock again: the waiter
  rows are deleted with RETURNING in the transaction that queues their messages, so each is told exactly once.
  The outbox paces the messages under Telegram's limits. A shopper on the list can take themselves off it
  (`unwatch`); both calls are idempotent, and a card reads whether its shopper waits (`waiter_select`).

Who the admins are is the caller's business (config and roles live in bot/); this module only gets ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import EllipsisType
from typing import Any

from sqlalchemy import Select, delete, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from store import audit, notify, order_hooks
from store.db import Database
from store.errors import Conflict, DomainError, NotFound
from store.models import OrderItem, Product, Role, User, utcnow
from store.models.ops import AuditEntry, LowStockAlert, RestockWaiter, StockThreshold

LOW_STOCK_TEMPLATE = "ops.low_stock"
BACK_IN_STOCK_TEMPLATE = "ops.back_in_stock"
SESSION_KEY = "stock_touched"  # session.info: product ids whose stock a transaction lowered
MAX_RESTOCK = 100_000


def touched(session: AsyncSession, product_ids: Iterable[int]) -> None:
    """Note that this transaction lowered these products' stock (checked right after commit)."""
    bucket: set[int] = session.info.setdefault(SESSION_KEY, set())
    bucket.update(product_ids)


async def order_placed(session: AsyncSession, change: order_hooks.Transition) -> None:
    # A new order is where stock falls on the hot path; the check itself runs after commit (bot/), off the
    # buyer's transaction. Every other change (group-buy joins, sale starts, imports) is caught by the sweep.
    if change.from_status is not None or change.order.source != "cart":
        return  # flash-sale and group-buy orders take units reserved earlier, not the product's stock
    rows = await session.execute(select(OrderItem.product_id).where(OrderItem.order_id == change.order.id))
    touched(session, (int(pid) for (pid,) in rows if pid is not None))


def _insert(session: AsyncSession, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


@dataclass(frozen=True)
class LowStock:
    product_id: int
    sku: str
    title_en: str
    title_zh: str
    stock: int
    threshold: int


async def admin_ids(session: AsyncSession, configured: Iterable[int]) -> list[int]:
    """Admins the bot can write to: those who have talked to it (a private chat exists) and not blocked it.
    Telegram refuses a message to someone who never opened the chat, so the others would only fail."""
    granted = set((await session.execute(select(Role.user_id).where(Role.role == "admin"))).scalars())
    wanted = granted | set(configured)
    if not wanted:
        return []
    reachable = await session.execute(select(User.id).where(User.id.in_(wanted), User.unreachable.is_(False)))
    return sorted(int(uid) for uid in reachable.scalars())


def _threshold(default: int) -> Any:
    return func.coalesce(StockThreshold.threshold, default)


async def check(
    session: AsyncSession,
    default_threshold: int,
    admins: Sequence[int],
    product_ids: Iterable[int] | None = None,
) -> list[LowStock]:
    """Alert admins about products newly below their threshold, clear alerts of products that recovered,
    and tell waiting shoppers about products back in stock. `product_ids`: only these (None: every product)."""
    ids = None if product_ids is None else sorted(set(product_ids))
    if ids is not None and not ids:
        return []
    threshold = _threshold(default_threshold)
    query = (
        select(Product.id, Product.sku, Product.title_en, Product.title_zh, Product.stock, threshold)
        .outerjoin(StockThreshold, StockThreshold.product_id == Product.id)
        .outerjoin(LowStockAlert, LowStockAlert.product_id == Product.id)
        .where(Product.active.is_(True), LowStockAlert.product_id.is_(None), Product.stock < threshold)
    )
    if ids is not None:
        query = query.where(Product.id.in_(ids))
    candidates = [LowStock(int(r[0]), r[1], r[2], r[3], int(r[4]), int(r[5])) for r in (await session.execute(query))]
    if not admins:
        # Nobody can hear it yet (no admin has opened the bot, e.g. one granted from the command line): the alert
        # row would swallow the fall until the product recovers, so the sweep raises it when an admin can hear.
        candidates = []
    alerted: list[LowStock] = []
    for item in candidates:
        inserted = await session.execute(
            _insert(session, LowStockAlert)
            .values(product_id=item.product_id, stock=item.stock, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["product_id"])
            .returning(LowStockAlert.product_id)
        )
        if inserted.first() is None:
            continue  # another process alerted first
        alerted.append(item)
        change = await audit.latest_stock_change(session, item.sku)  # the alert's Restock buttons carry it
        for admin in admins:
            await notify.enqueue(
                session,
                admin,
                LOW_STOCK_TEMPLATE,
                user_id=admin,
                product_id=item.product_id,
                sku=item.sku,
                title_en=item.title_en,
                title_zh=item.title_zh,
                stock=item.stock,
                threshold=item.threshold,
                change=change,
            )
    await _clear_recovered(session, default_threshold, ids)
    await release_waiters(session, ids)
    return alerted


async def newly_low(session: AsyncSession, default_threshold: int, product_ids: Iterable[int]) -> bool:
    """A read-only look: is any of these products below its threshold and not yet alerted? Lets the
    after-commit check skip the write transaction (and SQLite's writer lock) in the usual case."""
    ids = sorted(set(product_ids))
    if not ids:
        return False
    threshold = _threshold(default_threshold)
    row = (
        await session.execute(
            select(Product.id)
            .outerjoin(StockThreshold, StockThreshold.product_id == Product.id)
            .outerjoin(LowStockAlert, LowStockAlert.product_id == Product.id)
            .where(
                Product.id.in_(ids),
                Product.active.is_(True),
                LowStockAlert.product_id.is_(None),
                Product.stock < threshold,
            )
            .limit(1)
        )
    ).first()
    return row is not None


async def settle(session: AsyncSession, default_threshold: int, ids: list[int]) -> None:
    """After stock went up: clear recovered alerts and tell waiting shoppers (no new alerts from here)."""
    await _clear_recovered(session, default_threshold, ids)
    await release_waiters(session, ids)


async def _clear_recovered(session: AsyncSession, default_threshold: int, ids: list[int] | None) -> None:
    recovered = (
        select(Product.id)
        .outerjoin(StockThreshold, StockThreshold.product_id == Product.id)
        .where(Product.stock >= _threshold(default_threshold))
    )
    if ids is not None:
        recovered = recovered.where(Product.id.in_(ids))
    await session.execute(
        delete(LowStockAlert)
        .where(LowStockAlert.product_id.in_(recovered.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )


async def release_waiters(session: AsyncSession, ids: list[int] | None = None) -> int:
    """Tell every shopper waiting for a product that has stock again; each waiter row goes once."""
    query = select(Product.id, Product.sku, Product.title_en, Product.title_zh).where(
        Product.active.is_(True),
        Product.stock > 0,
        Product.id.in_(select(RestockWaiter.product_id).distinct().scalar_subquery()),
    )
    if ids is not None:
        query = query.where(Product.id.in_(ids))
    told = 0
    for product_id, sku, title_en, title_zh in (await session.execute(query)).all():
        gone = await session.execute(
            delete(RestockWaiter).where(RestockWaiter.product_id == product_id).returning(RestockWaiter.user_id)
        )
        for (user_id,) in gone.all():
            await notify.enqueue(
                session,
                int(user_id),
                BACK_IN_STOCK_TEMPLATE,
                user_id=int(user_id),
                product_id=int(product_id),
                sku=sku,
                title_en=title_en,
                title_zh=title_zh,
            )
            told += 1
    return told


@dataclass(frozen=True)
class Restocked:
    product_id: int
    sku: str
    title_en: str
    title_zh: str
    before: int
    stock: int
    change: int  # the audit entry of this restock: the next screen's buttons carry it


class RestockRepeated(Conflict):
    """The Restock button belongs to a screen drawn before another stock change (a second tap of the same
    button, or a second admin on the same alert): nothing was added; `stock` is the stock now."""

    def __init__(self, sku: str, stock: int) -> None:
        super().__init__("ops_restock_repeated", sku=sku, stock=stock)
        self.stock = stock


async def restock(
    db: Database,
    product_id: int,
    amount: int,
    *,
    actor_id: int,
    actor_role: str,
    default_threshold: int,
    seen: int | None = None,
) -> Restocked:
    """Add `amount` units (an admin's Restock button), audited; alerts and waiters follow in the same
    transaction. A conditional increment, so it composes with purchases running at the same time. `seen`: the
    newest stock change the tapped screen showed (audit.latest_stock_change); when another came since, nothing
    is added (RestockRepeated). The increment locks the row first, so two such taps cannot both pass."""
    if not 0 < amount <= MAX_RESTOCK:
        raise DomainError("ops_bad_restock_amount", max=MAX_RESTOCK)
    async with db.tx() as session:
        row = (
            await session.execute(
                update(Product)
                .where(Product.id == product_id)
                .values(stock=Product.stock + amount, updated_at=utcnow())
                .returning(Product.sku, Product.title_en, Product.title_zh, Product.stock)
                .execution_options(synchronize_session=False)
            )
        ).first()
        if row is None:
            raise NotFound("catalog_product_not_found", sku=str(product_id))
        stock = int(row[3])
        if seen is not None and await audit.latest_stock_change(session, row[0]) != seen:
            raise RestockRepeated(row[0], stock - amount)  # rolls the increment back
        change = await audit.record(
            session,
            actor_id=actor_id,
            actor_role=actor_role,
            action="stock.restock",
            target=audit.product_target(row[0]),
            before={"stock": stock - amount},
            after={"stock": stock},
        )
        result = Restocked(product_id, row[0], row[1], row[2], stock - amount, stock, change)
        await settle(session, default_threshold, [product_id])
        touched(session, [product_id])  # still low after this? admins hear it from the after-commit check
        return result


class ThresholdChanged(Conflict):
    """The threshold editor was drawn before another change of this product's threshold: nothing was saved, so an
    old editor cannot overwrite a newer value. `threshold`: the product's own threshold now (None: the default)."""

    def __init__(self, sku: str, threshold: int | None) -> None:
        super().__init__("ops_threshold_changed", sku=sku)
        self.threshold = threshold


async def set_threshold(
    db: Database,
    product_id: int,
    threshold: int | None,
    *,
    actor_id: int,
    actor_role: str,
    default_threshold: int,
    shown: int | EllipsisType | None = ...,
) -> bool:
    """A product's own threshold (None: back to the shop's default), audited; False when it already was that.
    `shown`: the own threshold the editor showed when it was drawn (None: the default; `...`: not checked); when
    it changed since, nothing is saved (ThresholdChanged)."""
    if threshold is not None and not 0 <= threshold <= MAX_RESTOCK:
        raise DomainError("ops_bad_threshold", max=MAX_RESTOCK)
    async with db.tx() as session:
        # Locked (PostgreSQL; SQLite's writer lock does the same), so two saves of one product take turns.
        product = await session.get(Product, product_id, with_for_update=True)
        if product is None:
            raise NotFound("catalog_product_not_found", sku=str(product_id))
        current = await session.get(StockThreshold, product_id)
        before = current.threshold if current is not None else None
        if shown is not ... and before != shown and before != threshold:
            raise ThresholdChanged(product.sku, before)
        if before == threshold:
            return False  # a second Save of the same value: nothing changed, nothing to log
        if threshold is None:
            if current is not None:
                await session.delete(current)
        elif current is None:
            session.add(StockThreshold(product_id=product_id, threshold=threshold))
        else:
            current.threshold = threshold
        await session.flush()
        await audit.record(
            session,
            actor_id=actor_id,
            actor_role=actor_role,
            action="stock.threshold",
            target=f"product:{product.sku}",
            before={"threshold": before},
            after={"threshold": threshold},
        )
        await settle(session, default_threshold, [product_id])
        touched(session, [product_id])  # still low after this? admins hear it from the after-commit check
        return True


async def threshold_of(db: Database, product_id: int, default_threshold: int) -> int:
    async with db.read() as session:
        own = await session.get(StockThreshold, product_id)
    return own.threshold if own is not None else default_threshold


@dataclass(frozen=True)
class StockCard:
    """One product's stock screen for an admin: its stock and its own threshold (None: the shop's default)."""

    product_id: int
    sku: str
    title_en: str
    title_zh: str
    stock: int
    own_threshold: int | None
    stock_change: int = 0  # the newest staff change to its stock (audit entry id): Restock buttons carry it

    def title(self, lang: str) -> str:
        return (self.title_zh if lang == "zh" else self.title_en) or self.sku


def _cards() -> Any:
    """Active products with their own thresholds (NULL: the shop's default)."""
    newest_change = (
        select(func.max(AuditEntry.id))
        .where(
            AuditEntry.target == literal("product:").concat(Product.sku),
            AuditEntry.action.in_(audit.STOCK_CHANGES),
        )
        .scalar_subquery()
    )
    columns = (
        Product.id,
        Product.sku,
        Product.title_en,
        Product.title_zh,
        Product.stock,
        StockThreshold.threshold,
        newest_change,
    )
    return (
        select(*columns)
        .outerjoin(StockThreshold, StockThreshold.product_id == Product.id)
        .where(Product.active.is_(True))
    )


def _card(row: Any) -> StockCard:
    own = None if row[5] is None else int(row[5])
    return StockCard(int(row[0]), row[1], row[2], row[3], int(row[4]), own, int(row[6] or 0))


async def stock_card(db: Database, product_id: int) -> StockCard | None:
    async with db.read() as session:
        row = (await session.execute(_cards().where(Product.id == product_id))).first()
    return None if row is None else _card(row)


async def lowest_stock(db: Database, limit: int) -> list[StockCard]:
    """Active products with the least stock first: the ones an admin most likely wants to look at."""
    async with db.read() as session:
        rows = await session.execute(_cards().order_by(Product.stock, Product.id).limit(limit))
        return [_card(row) for row in rows]


async def resolve_sku(db: Database, typed: str) -> tuple[int, str] | None:
    """(id, SKU as stored) of the product whose SKU `typed` is, in any letter case: admins type `apl-1` for
    `APL-1`. The exact spelling wins, so two SKUs that differ only in case each stay reachable; a case-blind
    match that is not unique is no match."""
    async with db.read() as session:
        row = (await session.execute(select(Product.id, Product.sku).where(Product.sku == typed))).first()
        if row is None:
            query = select(Product.id, Product.sku).where(func.lower(Product.sku) == typed.lower()).limit(2)
            rows = (await session.execute(query)).all()
            row = rows[0] if len(rows) == 1 else None
    return None if row is None else (int(row[0]), str(row[1]))


def _like(words: str) -> str:
    escaped = words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def cards_named(db: Database, words: str, limit: int) -> list[StockCard]:
    """Active products whose English or Chinese name contains `words` (any case), least stock first: how an
    admin who does not know a SKU finds the product."""
    words = " ".join(words.split())
    if not words:
        return []
    pattern = _like(words)
    named = or_(
        func.lower(Product.title_en).like(pattern, escape="\\"),
        func.lower(Product.title_zh).like(pattern, escape="\\"),
    )
    async with db.read() as session:
        rows = await session.execute(_cards().where(named).order_by(Product.stock, Product.id).limit(limit))
        return [_card(row) for row in rows]


WATCHING = "watching"
ALREADY = "already"
IN_STOCK = "in_stock"


def waiter_select(user_id: Any, product_id: Any) -> Select[Any]:
    """A shopper waiting for a product (a row, or none); also a product card's EXISTS (store.product_card)."""
    return select(RestockWaiter.product_id).where(
        RestockWaiter.user_id == user_id, RestockWaiter.product_id == product_id
    )


async def watch(db: Database, user_id: int, product_id: int) -> str:
    """ "Notify me": WATCHING (new), ALREADY (tapped before) or IN_STOCK (nothing to wait for). Idempotent: a
    second call (a double tap, a re-delivered update) leaves the shopper on the list once."""
    async with db.tx() as session:
        product = await session.get(Product, product_id)
        if product is None or not product.active:
            raise Conflict("ops_product_gone")
        if product.stock > 0:
            return IN_STOCK
        inserted = await session.execute(
            _insert(session, RestockWaiter)
            .values(product_id=product_id, user_id=user_id, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["product_id", "user_id"])
            .returning(RestockWaiter.user_id)
        )
        return WATCHING if inserted.first() is not None else ALREADY


async def unwatch(db: Database, user_id: int, product_id: int) -> bool:
    """The shopper's "Cancel" of "Notify me": off the list whatever the product's state. True when they were on
    it; a second call (a double tap, a re-delivered update) finds nothing and changes nothing."""
    async with db.tx() as session:
        gone = await session.execute(
            delete(RestockWaiter)
            .where(RestockWaiter.user_id == user_id, RestockWaiter.product_id == product_id)
            .returning(RestockWaiter.user_id)
        )
        return gone.first() is not None


async def is_watching(db: Database, user_id: int, product_id: int) -> bool:
    async with db.read() as session:
        return (await session.execute(waiter_select(user_id, product_id))).first() is not None


async def waiting_count(db: Database, product_id: int) -> int:
    async with db.read() as session:
        return int(
            (
                await session.execute(
                    select(func.count()).select_from(RestockWaiter).where(RestockWaiter.product_id == product_id)
                )
            ).scalar_one()
        )


async def product_stock(db: Database, product_id: int) -> tuple[str, int] | None:
    async with db.read() as session:
        row = (await session.execute(select(Product.sku, Product.stock).where(Product.id == product_id))).first()
    return None if row is None else (row[0], int(row[1]))
