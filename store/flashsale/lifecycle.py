"""Start and end events: `scheduled -> live -> ended` (or `missed`), announcements and card edits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import notify, scheduling
from store.db import Database, rowcount
from store.flashsale.rules import (
    CARD_TEMPLATE,
    ENDED,
    LIVE,
    MISSED,
    MISSED_TEMPLATE,
    PUBLIC_JOB,
    SCHEDULED,
    SUMMARY_TEMPLATE,
    announce_key,
    end_key,
    public_key,
)
from store.flashsale.stock import _give_to_product
from store.flashsale.views import SaleView, _changed, _load
from store.growth import tiers
from store.models import Chat, OutboxMessage, Role, User, utcnow
from store.models.flashsale import FlashSale
from store.rules import policy


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


async def _subscribers(session: AsyncSession, view: SaleView | None = None) -> list[int]:
    """`view`: a sale whose admin chose to keep it out of subscribers' private chats gets nobody."""
    if view is not None and not view.subscribers:
        return []
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
        if not rowcount(result):
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
    if not rowcount(result):
        return StartOutcome("noop")
    if now < sale.starts_at and tiers.max_early_access(policy(session)) > timedelta(0):
        # Early access: members whose tier grants a head start hear first; everyone else at the public start.
        await scheduling.schedule(session, PUBLIC_JOB, sale_id, sale.starts_at, key=public_key(sale_id))
        early = [
            user_id
            for user_id in await _subscribers(session, view)
            if now >= sale.starts_at - await tiers.early_access_in(session, user_id)
        ]
        await _announce(session, view, groups=[], subscribers=early)
        _changed(session, sale_id)
        return StartOutcome(LIVE, groups=0, subscribers=len(early))
    groups = await _target_groups(session, view.groups, exclude_chats)
    subscribers = await _subscribers(session, view)
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
    subscribers = await _subscribers(session, view)
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


async def redraw_count(db: Database, sale_id: int) -> int:
    """Bring the "N units left" of a live sale's group cards up to date (bot/flash_cards.py calls this, paced,
    after claims or returned units changed the count). Skips a card whose last drawing already says it, so an edit
    never repeats the same text, and leaves a sold-out card to the sold-out edit. The sale row is locked while the
    edits are queued, so a claim batch that sells out meanwhile queues its sold-out edit after these. Returns how
    many edits were queued."""
    async with db.tx() as session:
        sale, view = await _load(session, sale_id, lock=True)
        if sale.status != LIVE or view.remaining <= 0:
            return 0
        drawn: dict[int, tuple[str, int]] = {}
        rows = await session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.params)
            .where(
                OutboxMessage.template == CARD_TEMPLATE,
                OutboxMessage.chat_id < 0,
                or_(
                    OutboxMessage.dedupe_key.like(f"flash:{sale_id}:%"),
                    OutboxMessage.dedupe_key.like(f"flashcard:{sale_id}:%"),
                ),
                OutboxMessage.status.in_(("pending", "sending", "sent")),
            )
            .order_by(OutboxMessage.id)
        )
        for chat_id, params in rows.all():
            params = params or {}
            drawn[int(chat_id)] = (str(params.get("state")), int(params.get("left", params.get("stock", -1))))
        params = view.card_params(LIVE)
        tag = f"n{sale.sold}.{sale.returned}"
        existing = await _existing_keys(session, f"flashcard:{sale_id}:{tag}:")
        queued = []
        for chat_id, message_id in await _sent_cards(session, sale_id, groups_only=True):
            key = f"flashcard:{sale_id}:{tag}:{chat_id}"
            if key in existing or drawn.get(chat_id) == (LIVE, view.remaining):
                continue
            queued.append(
                {
                    "chat_id": chat_id,
                    "user_id": None,
                    "template": CARD_TEMPLATE,
                    "dedupe_key": key,
                    "params": {**params, "edit_message_id": message_id},
                }
            )
        await _enqueue_many(session, queued)
        return len(queued)


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
    if not rowcount(result):
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
