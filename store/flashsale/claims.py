"""Committing admitted taps: units, claim rows, orders and user rows in one transaction per batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from store import orders
from store.db import Database
from store.errors import NotFound
from store.flashsale.lifecycle import _edit_cards, _enqueue_many
from store.flashsale.rules import (
    ENDED,
    ENDED_OUTCOME,
    LIMIT,
    LIVE,
    NOT_STARTED,
    SCHEDULED,
    SOLD_OUT,
    SOURCE,
    WON,
    WON_TEMPLATE,
    stars_price,
    won_key,
)
from store.flashsale.views import _counted, _load
from store.growth import tiers
from store.models import Product, User, utcnow
from store.models.flashsale import FlashClaim, FlashSale
from store.users import NewUser, create_users_in


@dataclass(frozen=True)
class ClaimRequest:
    user_id: int
    seq: int  # the user's n-th unit in this sale, as counted by the admitting process
    # The tapper as the messenger describes them: a first contact's row is created in the batch (an upsert),
    # since the storm path does no database work before its admission decision.
    user: NewUser | None = None


@dataclass(frozen=True)
class ClaimResult:
    outcome: str  # won | sold_out | limit | ended | not_started | busy | retry | held (a repeated tap)
    order_id: int | None = None
    language: str | None = None  # a winner's stored language (the batch read it anyway), for the answer


UserRow = NewUser  # the public name the flash package gives a tapper's row


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
            .on_conflict_do_nothing(index_elements=["sale_id", "user_id", "seq"])
            .returning(FlashClaim.id, FlashClaim.user_id, FlashClaim.seq)
        )
        rows = [
            {"sale_id": sale_id, "user_id": u, "seq": s, "status": "claimed", "created_at": utcnow()}
            for _, u, s in todo
        ]
        inserted = {(int(u), int(s)): int(cid) for cid, u, s in (await session.execute(stmt, rows)).all()}
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


async def _contacts(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, tuple[orders.Contact, str]]:
    rows = await session.execute(
        select(User.id, User.contact_name, User.phone, User.address, User.language).where(User.id.in_(list(user_ids)))
    )
    return {int(r[0]): (orders.Contact(r[1], r[2], r[3]), str(r[4])) for r in rows.all()}


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
        await create_users_in(session, db.dialect, [r.user for r in winners if r.user is not None])
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
        won = [(index, request) for index, request in enumerate(winners) if index in recorded]
        for index, _request in enumerate(winners):
            if index not in recorded:
                results[index] = ClaimResult(LIMIT)
        created = await orders.create_orders(
            session,
            [
                orders.NewOrder(
                    request.user_id,
                    [line],
                    currency=sale.currency,
                    payment_method="card",
                    delivery_method=delivery,
                    source=SOURCE,
                    source_ref=sale_id,
                    expires_at=expires_at,
                    contact=contacts.get(request.user_id, (None, None))[0],
                )
                for _index, request in won
            ],
        )
        # The won message offers Stars for a digital product that has a Star price (as a checkout does).
        stars = (
            stars_price(product.price, product.stars_price, sale.price)
            if product.is_digital and product.stars_price
            else None
        )
        minutes = max(1, int(payment_window.total_seconds() // 60))
        # What delivery would cost each winner depends on their tier (free delivery): read for all of them at once.
        perks = (
            await tiers.delivery_perks_in(session, [request.user_id for _index, request in won])
            if delivery == "delivery"
            else {}
        )
        claim_orders: list[dict[str, Any]] = []
        # Keyed by order: when the unit goes back unpaid, its Pay buttons are taken off (store.flashsale.pay_messages).
        messages: list[dict[str, Any]] = []
        for (index, request), order in zip(won, created, strict=True):
            claim_orders.append({"id": recorded[index][0], "order_id": order.id})
            results[index] = ClaimResult(WON, order.id, contacts.get(request.user_id, (None, None))[1])
            messages.append(
                {
                    "chat_id": request.user_id,
                    "user_id": request.user_id,
                    "template": WON_TEMPLATE,
                    "dedupe_key": won_key(order.id),
                    "params": {
                        "order_id": order.id,
                        "sale_id": sale_id,
                        "title_en": view.title_en,
                        "title_zh": view.title_zh,
                        "price": sale.price,
                        "currency": sale.currency,
                        "minutes": minutes,
                        "expires_at": expires_at.isoformat(),
                        "digital": product.is_digital,
                        "stars": stars,
                        # The winner's free-delivery perk (store.delivery_fee.DeliveryRule.member_free_over).
                        "member_free_over": perks.get(request.user_id),
                    },
                }
            )
        await _enqueue_many(session, messages)
        if claim_orders:
            await session.execute(update(FlashClaim), claim_orders)
        if sold >= stock:
            await _edit_cards(session, view, SOLD_OUT, f"so{sale.returned}", groups_only=True)
        else:
            _counted(session, sale_id)  # the group cards' "N left" is redrawn after commit, paced
        return BatchResult(results, LIVE, stock, sold)


def _closed(status: str) -> str:
    return NOT_STARTED if status == SCHEDULED else ENDED_OUTCOME
