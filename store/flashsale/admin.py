"""An admin schedules, edits and cancels a sale; its units leave the product's stock at creation. Each change
writes its audit entry in its own transaction, so the entry exists exactly when the change committed
(`actor_id`: the staff member; None: the command line)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store import audit, scheduling
from store.db import Database, rowcount
from store.errors import Conflict, DomainError, NotFound
from store.flashsale.lifecycle import end_sale
from store.flashsale.rules import (
    CANCELLED,
    END_JOB,
    LIVE,
    MAX_PER_USER,
    MAX_STOCK,
    SCHEDULED,
    START_JOB,
    check_price,
    end_key,
    opening_time,
    start_key,
)
from store.flashsale.stock import _give_to_product, _take_from_product
from store.flashsale.views import SaleEdit, SaleSpec, SaleView, _changed, _load
from store.models import Product, utcnow
from store.models.flashsale import FlashSale
from store.money import STARS
from store.rules import policy


def _check_spec(stock: int, per_user: int, starts_at: datetime, ends_at: datetime) -> None:
    if not 1 <= stock <= MAX_STOCK:
        raise DomainError("flash_bad_stock", max=MAX_STOCK)
    if not 1 <= per_user <= MAX_PER_USER:
        raise DomainError("flash_bad_limit", max=MAX_PER_USER)
    if ends_at <= starts_at:
        raise DomainError("flash_end_before_start")
    if ends_at <= utcnow():
        raise DomainError("flash_end_in_past")


def _check_product_price(product: Product, price: int, currency: str) -> None:
    stars = product.stars_price if product.is_digital and product.stars_price else None
    check_price(price, currency, product.price, product.currency, stars)


async def _locked_product(session: AsyncSession, where: ColumnElement[bool]) -> Product | None:
    """The product row, locked until commit: two sales of one product being created or moved at once queue here,
    so the second one's overlap check sees the first."""
    query = select(Product).where(where).with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def _check_no_overlap(
    session: AsyncSession, product: Product, starts_at: datetime, ends_at: datetime, *, other_than: int | None = None
) -> None:
    """One sale of a product at a time: with two, a shopper gets the per-person limit from each. Only a scheduled or
    live sale counts; a cancelled, ended or missed one sells nothing any more. Call with the product locked."""
    query = select(FlashSale.id).where(
        FlashSale.product_id == product.id,
        FlashSale.status.in_((SCHEDULED, LIVE)),
        FlashSale.starts_at < ends_at,
        FlashSale.ends_at > starts_at,
    )
    if other_than is not None:
        query = query.where(FlashSale.id != other_than)
    clash = (await session.execute(query.order_by(FlashSale.starts_at, FlashSale.id).limit(1))).scalar()
    if clash is not None:
        raise DomainError("flash_overlaps", sale_id=int(clash), title_en=product.title_en, title_zh=product.title_zh)


async def sale_by_key(db: Database, key: str) -> SaleView | None:
    """The sale a creation key made, if any."""
    async with db.read() as session:
        sale_id = (await session.execute(select(FlashSale.id).where(FlashSale.creation_key == key))).scalar()
        return None if sale_id is None else (await _load(session, int(sale_id)))[1]


async def create_sale(db: Database, spec: SaleSpec, *, actor_id: int | None, key: str | None = None) -> SaleView:
    """Schedule a sale; its units leave the product's stock now, so the pool is guaranteed at start.

    `key` (the wizard's one-time token) makes creation idempotent: a second call with it, concurrent or later,
    in this process or another, takes no stock and raises Conflict("flash_already_created") naming the sale."""
    if key is not None:
        existing = await sale_by_key(db, key)
        if existing is not None:
            raise Conflict("flash_already_created", sale_id=existing.id)
    try:
        return await _create(db, spec, actor_id, key)
    except IntegrityError:
        # The unique key lost a race: the other call's transaction made the sale, this one rolled back whole.
        existing = await sale_by_key(db, key) if key is not None else None
        if existing is None:
            raise
        raise Conflict("flash_already_created", sale_id=existing.id) from None


async def _create(db: Database, spec: SaleSpec, actor_id: int | None, key: str | None) -> SaleView:
    _check_spec(spec.stock, spec.per_user_limit, spec.starts_at, spec.ends_at)
    async with db.tx() as session:
        product = await _locked_product(session, Product.sku == spec.sku)
        if product is None or not product.active:
            raise NotFound("flash_unknown_sku", sku=spec.sku)
        if key is not None:
            # A racing call with the same key waited on the product lock for the winner to commit: its sale is
            # this one, not an overlapping one, so it is told so before the overlap check would refuse it.
            made = (await session.execute(select(FlashSale.id).where(FlashSale.creation_key == key))).scalar()
            if made is not None:
                raise Conflict("flash_already_created", sale_id=int(made))
        if product.currency == STARS:
            raise DomainError("flash_bad_currency")
        if product.is_digital and not product.stars_price:
            # Telegram sells digital goods for Stars only: without a Star price it cannot be sold at all.
            raise DomainError("flash_not_for_sale", sku=spec.sku)
        _check_product_price(product, spec.price, product.currency)
        await _check_no_overlap(session, product, spec.starts_at, spec.ends_at)
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
            notify_subscribers=spec.subscribers,
            created_by=actor_id,
            creation_key=key,
        )
        session.add(sale)
        await session.flush()
        await scheduling.schedule(
            session, START_JOB, sale.id, opening_time(spec.starts_at, policy(session)), key=start_key(sale.id)
        )
        await scheduling.schedule(session, END_JOB, sale.id, spec.ends_at, key=end_key(sale.id))
        view = (await _load(session, sale.id))[1]
        await audit.record_flash_sale(session, actor_id, "create", view)
        _changed(session, sale.id)
        return view


async def edit_sale(db: Database, sale_id: int, edit: SaleEdit, *, actor_id: int | None) -> SaleView:
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
        _check_spec(stock, per_user, starts_at, ends_at)
        # Checked on every edit, not only a changed price: the regular price may have dropped since the sale was
        # made, and an edit must not leave behind a sale the rules would refuse.
        product = await _locked_product(session, Product.id == sale.product_id)
        if product is None:
            raise NotFound("flash_unknown_sku", sku=view.sku)
        _check_product_price(product, price, sale.currency)
        await _check_no_overlap(session, product, starts_at, ends_at, other_than=sale_id)
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
                notify_subscribers=view.subscribers if edit.subscribers is None else edit.subscribers,
            )
        )
        if not rowcount(result):
            raise Conflict("flash_not_editable", status="changed")
        if starts_at != view.starts_at:
            await scheduling.schedule(
                session, START_JOB, sale_id, opening_time(starts_at, policy(session)), key=start_key(sale_id)
            )
        if ends_at != view.ends_at:
            await scheduling.schedule(session, END_JOB, sale_id, ends_at, key=end_key(sale_id))
        view = (await _load(session, sale_id))[1]
        await audit.record_flash_sale(session, actor_id, "edit", view)
        _changed(session, sale_id)
        return view


async def cancel_sale(
    db: Database, sale_id: int, admin_ids: Sequence[int] = (), *, actor_id: int | None
) -> SaleView:
    """A scheduled sale is cancelled (its units go back); a live one ends now (reason `cancelled`)."""
    async with db.tx() as session:
        sale, _ = await _load(session, sale_id, lock=True)
        if sale.status == SCHEDULED:
            result = await session.execute(
                update(FlashSale)
                .where(FlashSale.id == sale_id, FlashSale.status == SCHEDULED)
                .values(status=CANCELLED, end_reason=CANCELLED, ended_at=utcnow(), released=FlashSale.stock)
            )
            if not rowcount(result):
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
        view = (await _load(session, sale_id))[1]
        await audit.record_flash_sale(session, actor_id, "cancel", view)
        _changed(session, sale_id)
        return view
