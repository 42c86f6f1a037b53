"""Admin broadcasts to shoppers who may hear them: flash-sale subscribers or every reachable shopper, minus
those who opted out (one tap under any broadcast; opt_in, by a tap or /subscribe, undoes it). A broadcast is
text, or a photo (a Telegram file_id) with the text as its caption; either may carry one button that opens a
product's card.

An admin's draft is a row; Confirm moves it draft -> sending with a conditional update, so a double tap (or
a repeated update) queues nothing twice. The same transaction writes one outbox row per recipient, keyed
`bc:<id>:<user>`, spaced by `not_before` at the broadcast pace, so the paced outbox delivers it under
Telegram's limits, leaves room for other messages, and resumes after a crash without repeating anyone.

Progress is never kept in a counter: it is counted from the broadcast's outbox rows (sent, failed, blocked,
still waiting), so it is right after a restart. Pause moves the broadcast's waiting rows (pending, and those a
sender has claimed but not sent) to `held`, which no sender takes (bot.outbox re-checks a broadcast row just
before sending it); Resume puts them back, re-spaced from now. A row being sent while Pause lands is marked sent
by its sender: nothing is sent twice and nothing is skipped.

The admin's progress message is edited by a chain of scheduled events (PROGRESS_JOB), each scheduling the next
a few seconds later while the broadcast sends (ProgressRef); the event's ref carries the message id and a
fingerprint of what the message shows, so a restarted process knows what is on screen and never edits to the
same figures. Scheduled events are rows too: the chain itself survives a restart.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import audit, notify, outbox_rows, scheduling
from store.catalog import PRODUCT_COLUMNS, ProductView, product_from_row
from store.db import Database, rowcount
from store.errors import Conflict, DomainError, NotFound
from store.models import OutboxMessage, Product, ScheduledJob, User, utcnow
from store.models.ops import Broadcast, MarketingOptOut
from store.text_units import utf16_length

TEMPLATE = "ops.broadcast"
AUDIENCES = ("flash", "all")
MAX_TEXT = 3500  # leaves room for the frame under Telegram's 4096
CAPTION_LIMIT = 1024  # Telegram's limit for a photo's caption, frame included (the bot knows the frame's size)
PRODUCT_CHOICES = 8  # products offered at once when the admin picks the one the button opens
SEPARATOR = "\n---\n"  # "English text --- 中文" gives each language its own text


def split_languages(text: str) -> tuple[str, str]:
    text = text.strip()
    if SEPARATOR in text:
        en, zh = text.split(SEPARATOR, 1)
        return en.strip(), zh.strip()
    return text, text


def _audience(audience: str):  # type: ignore[no-untyped-def]
    if audience not in AUDIENCES:
        raise DomainError("bad_button")
    query = select(User.id).where(
        User.unreachable.is_(False),
        User.erased_at.is_(None),
        User.id > 0,
        ~User.id.in_(select(MarketingOptOut.user_id).scalar_subquery()),
    )
    if audience == "flash":
        query = query.where(User.subscribed_flash.is_(True))
    return query


async def audience_size(db: Database, audience: str) -> int:
    async with db.scan() as session:
        sub = _audience(audience).subquery()
        return int((await session.execute(select(func.count()).select_from(sub))).scalar_one())


@dataclass(frozen=True)
class Attached:
    """The product a broadcast's button opens (its card, through the `p_<sku>` deep link)."""

    id: int
    sku: str
    title_en: str
    title_zh: str


@dataclass(frozen=True)
class Draft:
    id: int
    audience: str
    text_en: str
    text_zh: str
    status: str
    total: int
    photo: str | None = None  # a Telegram file_id: the message is this photo with the text as its caption
    product: Attached | None = None
    revision: int = 0  # bumped by every change: what a preview or picker drawn from this draft carries


async def _draft(session: AsyncSession, row: Broadcast) -> Draft:
    product = await session.get(Product, row.product_id) if row.product_id is not None else None
    attached = Attached(product.id, product.sku, product.title_en, product.title_zh) if product is not None else None
    return Draft(
        row.id,
        row.audience,
        row.text_en,
        row.text_zh,
        row.status,
        row.total,
        row.photo_file_id,
        attached,
        row.revision or 0,
    )


async def create_draft(
    db: Database, admin_id: int, audience: str, text: str, *, photo: str | None = None, max_caption: int = 0
) -> Draft:
    """A text broadcast, or with `photo` (a file_id) a photo whose caption is `text` (may be empty). The bot
    passes `max_caption`: what Telegram's caption limit leaves once the frame is added."""
    en, zh = split_languages(text)
    if photo is None and (not en or not zh):
        raise DomainError("ops_broadcast_bad_text", max=MAX_TEXT)
    if photo is None and max(len(en), len(zh)) > MAX_TEXT:  # it has text: too much of it (outside tester)
        raise DomainError("ops_broadcast_long_text", max=MAX_TEXT, length=max(len(en), len(zh)))
    if photo is not None:
        longest = max(utf16_length(en), utf16_length(zh))
        if longest > max_caption:
            raise DomainError("ops_broadcast_long_caption", max=max_caption, length=longest)
    _audience(audience)
    async with db.tx() as session:
        row = Broadcast(
            token=secrets.token_hex(8),
            admin_id=admin_id,
            audience=audience,
            text_en=en,
            text_zh=zh,
            photo_file_id=photo,
            status="draft",
        )
        session.add(row)
        await session.flush()
        return await _draft(session, row)


async def get(db: Database, broadcast_id: int) -> Draft:
    async with db.read() as session:
        row = await session.get(Broadcast, broadcast_id)
        if row is None:
            raise NotFound("ops_broadcast_gone")
        return await _draft(session, row)


def _refuse_change(status: str) -> None:
    """Why a broadcast that is no longer a draft cannot be changed or previewed again."""
    if status == "cancelled":
        raise NotFound("ops_broadcast_gone")
    raise Conflict("ops_broadcast_already_sent")


STALE = "ops_broadcast_stale"  # the error code of a tap on a preview or picker older than the draft


async def draft(db: Database, broadcast_id: int, revision: int | None = None) -> Draft:
    """A broadcast still being composed; refused with the reason once it was sent or cancelled, or (with
    `revision`, what the tapped screen showed) when it changed since that screen was drawn."""
    found = await get(db, broadcast_id)
    if found.status != "draft":
        _refuse_change(found.status)
    if revision is not None and found.revision != revision:
        raise Conflict(STALE)
    return found


async def attach_product(db: Database, broadcast_id: int, product_id: int | None, revision: int | None = None) -> Draft:
    """The product the button under the broadcast opens (None: no button). Only a draft changes: once sent,
    every recipient's message is already written. `revision`: the one the tapped picker or preview was drawn
    from; the update is conditional on it, so of two pickers (or two taps) only the first changes the draft,
    and the change bumps the revision, which retires every screen drawn before it."""
    async with db.tx() as session:
        if product_id is not None:
            product = await session.get(Product, product_id)
            if product is None or not product.active:
                raise NotFound("ops_broadcast_product_gone")
        where = [Broadcast.id == broadcast_id, Broadcast.status == "draft"]
        if revision is not None:
            where.append(Broadcast.revision == revision)
        changed = await session.execute(
            update(Broadcast)
            .where(*where)
            .values(product_id=product_id, revision=Broadcast.revision + 1)
            .execution_options(synchronize_session=False)
        )
        row = await session.get(Broadcast, broadcast_id, populate_existing=True)
        if row is None:
            raise NotFound("ops_broadcast_gone")
        if not rowcount(changed):
            if row.status == "draft":
                raise Conflict(STALE)
            _refuse_change(row.status)
        return await _draft(session, row)


async def product_choices(db: Database, typed: str | None = None) -> list[ProductView]:
    """Products the admin may attach: with nothing typed the latest added; else an exact SKU, or those whose
    English or Chinese title contains every word typed. Active ones only (a shopper could not open the others);
    sold-out ones too (their card offers "Notify me")."""
    async with db.scan() as session:
        base = select(*PRODUCT_COLUMNS).where(Product.active.is_(True))
        wanted = " ".join((typed or "").split())[:64]
        if not wanted:
            rows = (await session.execute(base.order_by(Product.id.desc()).limit(PRODUCT_CHOICES))).all()
            return [product_from_row(row) for row in rows]
        exact = (await session.execute(base.where(func.upper(Product.sku) == wanted.upper()))).first()
        if exact is not None:
            return [product_from_row(exact)]
        query = base
        for word in wanted.lower().split()[:4]:
            pattern = f"%{word.replace('%', '').replace('_', '')}%"
            query = query.where(func.lower(Product.title_en).like(pattern) | Product.title_zh.like(pattern))
        rows = (await session.execute(query.order_by(Product.id.desc()).limit(PRODUCT_CHOICES))).all()
        return [product_from_row(row) for row in rows]


async def send(
    db: Database,
    broadcast_id: int,
    admin_id: int,
    per_second: float,
    *,
    progress_message_id: int | None = None,
    progress_every: float = 3.0,
    revision: int | None = None,
) -> int:
    """Queue the broadcast once; returns the number of recipients. A second confirm raises Conflict. With a
    progress message (in the admin's chat), its first update is scheduled `progress_every` seconds on.
    `revision`: the draft as the confirmed preview showed it; a draft changed since is refused (STALE), so what
    goes out is exactly what the admin saw when tapping Send."""
    async with db.tx() as session:
        if not await _move_status(session, broadcast_id, "draft", "sending", revision=revision, sent_at=utcnow()):
            current = await session.get(Broadcast, broadcast_id, populate_existing=True)
            if current is not None and current.status == "draft":
                raise Conflict(STALE)
            if current is not None and current.status == "cancelled":
                raise Conflict("ops_broadcast_cancelled")
            raise Conflict("ops_broadcast_already_sent")
        row = await session.get(Broadcast, broadcast_id)
        assert row is not None
        recipients = list((await session.execute(_audience(row.audience).order_by(User.id))).scalars())
        await _enqueue(session, await _draft(session, row), recipients, per_second)
        row.total = len(recipients)
        # "sending" until the progress event counts no row left (or at once when nobody is to receive it).
        row.status = "sending" if recipients else "done"
        if progress_message_id is not None and recipients:
            shown = Progress(row.id, row.admin_id, "sending", row.total, 0, 0, 0, row.total, 0).fingerprint
            await schedule_progress(
                session,
                ProgressRef(row.id, progress_message_id, 0, shown),
                utcnow() + timedelta(seconds=progress_every),
            )
        await audit.record(
            session,
            actor_id=admin_id,
            actor_role="admin",
            action="broadcast.send",
            target=f"broadcast:{row.id}",
            before=None,
            after={"audience": row.audience, "recipients": len(recipients)},
        )
        return len(recipients)


def message_params(draft: Draft) -> dict[str, Any]:
    """What every recipient's outbox row carries: the message whole (text, photo, the product's button as it
    was at Confirm), so delivery after a restart, a pause or a product's later edit sends what was previewed.
    A text broadcast without a product has the keys it always had."""
    params: dict[str, Any] = {"text_en": draft.text_en, "text_zh": draft.text_zh}
    if draft.photo is not None:
        params["photo"] = draft.photo
    if draft.product is not None:
        params.update(
            product_sku=draft.product.sku,
            product_title_en=draft.product.title_en,
            product_title_zh=draft.product.title_zh,
        )
    return params


async def _enqueue(session: AsyncSession, draft: Draft, recipients: list[int], per_second: float) -> None:
    start = utcnow()
    step = 1.0 / per_second
    params = message_params(draft)
    for i, user_id in enumerate(recipients):
        await notify.enqueue(
            session,
            user_id,
            TEMPLATE,
            user_id=user_id,
            dedupe_key=f"bc:{draft.id}:{user_id}",
            not_before=start + timedelta(seconds=i * step),
            broadcast_id=draft.id,
            **params,
        )


async def _move_status(
    session: AsyncSession, broadcast_id: int, from_: str, to: str, revision: int | None = None, **values: Any
) -> bool:
    """Move the broadcast from one status to the next in one conditional update; False when it was not in
    `from_` (a repeated tap, a concurrent one, or a broadcast already further on) or, with `revision`, no longer
    at that revision. `values`: columns set with it."""
    where = [Broadcast.id == broadcast_id, Broadcast.status == from_]
    if revision is not None:
        where.append(Broadcast.revision == revision)
    moved = await session.execute(
        update(Broadcast).where(*where).values(status=to, **values).execution_options(synchronize_session=False)
    )
    return bool(rowcount(moved))


async def cancel(db: Database, broadcast_id: int) -> bool:
    async with db.tx() as session:
        return await _move_status(session, broadcast_id, "draft", "cancelled")


async def opt_out(db: Database, user_id: int) -> bool:
    """True when this tap opted the user out (False: they already were)."""
    from store.stock_alerts import _insert

    async with db.tx() as session:
        if await session.get(User, user_id) is None:
            raise NotFound("ops_broadcast_gone")
        inserted = await session.execute(
            _insert(session, MarketingOptOut)
            .values(user_id=user_id, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["user_id"])
            .returning(MarketingOptOut.user_id)
        )
        return inserted.first() is not None


async def opt_in(db: Database, user_id: int) -> bool:
    """Back to hearing broadcasts: the opt-out row goes. True when this call removed it (False: there was none,
    a repeated tap or command). A user the shop does not know has nothing to undo."""
    async with db.tx() as session:
        removed = await session.execute(
            delete(MarketingOptOut)
            .where(MarketingOptOut.user_id == user_id)
            .execution_options(synchronize_session=False)
        )
        return bool(rowcount(removed))


async def opted_out(db: Database, user_id: int) -> bool:
    async with db.read() as session:
        return await session.get(MarketingOptOut, user_id) is not None


# --- progress, pause and resume -------------------------------------------------------------------------------

PROGRESS_JOB = "broadcast.progress"
HELD = outbox_rows.HELD  # an outbox status no sender claims: the row of a paused broadcast
WAITING = ("pending", "sending", HELD)
BLOCKED = "unreachable"  # store.reachability parks a blocked recipient's row under this status


@dataclass(frozen=True)
class Progress:
    id: int
    admin_id: int
    status: str  # sending | paused | done
    total: int
    sent: int
    failed: int
    blocked: int
    waiting: int  # not sent yet: queued, being sent, or held by a pause
    in_flight: int  # claimed by a sender and not yet marked

    @property
    def finished(self) -> bool:
        return self.waiting == 0

    @property
    def fingerprint(self) -> str:
        """Eight characters that change whenever what the progress message shows changes."""
        shown = f"{self.status}:{self.sent}:{self.failed}:{self.blocked}:{self.waiting}"
        return hashlib.sha1(shown.encode()).hexdigest()[:8]


def _rows_of(broadcast_id: int):  # type: ignore[no-untyped-def]
    return OutboxMessage.dedupe_key.like(f"bc:{broadcast_id}:%")


async def progress_in(session: AsyncSession, broadcast_id: int) -> Progress | None:
    row = await session.get(Broadcast, broadcast_id, populate_existing=True)
    if row is None:
        return None
    counts = dict(
        (
            await session.execute(
                select(OutboxMessage.status, func.count()).where(_rows_of(broadcast_id)).group_by(OutboxMessage.status)
            )
        ).all()
    )

    def n(*statuses: str) -> int:
        return sum(int(counts.get(s, 0)) for s in statuses)

    status = "paused" if row.status == "paused" else ("done" if row.status == "done" or not n(*WAITING) else "sending")
    return Progress(
        row.id, row.admin_id, status, row.total, n("sent"), n("failed"), n(BLOCKED), n(*WAITING), n("sending")
    )


async def progress(db: Database, broadcast_id: int) -> Progress:
    async with db.read() as session:
        found = await progress_in(session, broadcast_id)
    if found is None:
        raise NotFound("ops_broadcast_gone")
    return found


async def mark_done(session: AsyncSession, broadcast_id: int) -> None:
    await _move_status(session, broadcast_id, "sending", "done")


async def pause(db: Database, broadcast_id: int, admin_id: int) -> bool:
    """Stop the outbox sending this broadcast's remaining rows. False: it was not sending (a repeated tap, or
    every row is already out: then it is marked done instead)."""
    async with db.tx() as session:
        now = await progress_in(session, broadcast_id)
        if now is not None and now.status == "done":
            await mark_done(session, broadcast_id)
            return False
        if not await _move_status(session, broadcast_id, "sending", "paused"):
            return False
        held = await session.execute(
            update(OutboxMessage)
            .where(_rows_of(broadcast_id), OutboxMessage.status.in_(("pending", "sending")))
            .values(status=HELD)
            .execution_options(synchronize_session=False)
        )
        await audit.record(
            session,
            actor_id=admin_id,
            actor_role="admin",
            action="broadcast.pause",
            target=f"broadcast:{broadcast_id}",
            before={"status": "sending"},
            after={"status": "paused", "held": rowcount(held)},
        )
        return True


async def resume(db: Database, broadcast_id: int, admin_id: int, per_second: float) -> bool:
    """Queue the held rows again, spaced at the broadcast pace from now. False: it was not paused."""
    async with db.tx() as session:
        if not await _move_status(session, broadcast_id, "paused", "sending"):
            return False
        held = list(
            (
                await session.execute(
                    select(OutboxMessage.id)
                    .where(_rows_of(broadcast_id), OutboxMessage.status == HELD)
                    .order_by(OutboxMessage.id)
                )
            ).scalars()
        )
        start, step = utcnow(), 1.0 / per_second
        for i, row_id in enumerate(held):
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id, OutboxMessage.status == HELD)
                .values(status="pending", not_before=start + timedelta(seconds=i * step))
                .execution_options(synchronize_session=False)
            )
        session.info[notify.SESSION_KEY] = True  # wakes the sender after commit
        await audit.record(
            session,
            actor_id=admin_id,
            actor_role="admin",
            action="broadcast.resume",
            target=f"broadcast:{broadcast_id}",
            before={"status": "paused"},
            after={"status": "sending", "requeued": len(held)},
        )
        return True


async def still_to_send(db: Database, outbox_row_id: int) -> bool:
    """Just before a sender sends a broadcast row: is it still claimed, or did a Pause hold it meanwhile?"""
    async with db.read() as session:
        status = (
            await session.execute(select(OutboxMessage.status).where(OutboxMessage.id == outbox_row_id))
        ).scalar_one_or_none()
    return status == "sending"


# A paused broadcast may still change while a row a sender was already sending is marked sent: the chain goes
# on until the figures stood still this many steps in a row, then rests until Resume.
PAUSED_QUIET_STEPS = 5


@dataclass(frozen=True)
class ProgressRef:
    """What a progress event carries in its `ref`: the broadcast, the admin's message, which of the two keys it
    is, the fingerprint of what the message shows, and how many steps a paused broadcast stood still."""

    broadcast_id: int
    message_id: int
    parity: int
    shown: str
    quiet: int = 0

    def pack(self) -> str:
        return f"{self.broadcast_id}:{self.message_id}:{self.parity}:{self.shown}:{self.quiet}"

    @classmethod
    def parse(cls, ref: str) -> ProgressRef:
        broadcast_id, message_id, parity, shown, quiet = ref.split(":")
        return cls(int(broadcast_id), int(message_id), int(parity), shown, int(quiet))

    @property
    def key(self) -> str:
        return f"{PROGRESS_JOB}:{self.broadcast_id}:{self.parity}"


async def schedule_progress(session: AsyncSession, ref: ProgressRef, run_at: datetime) -> None:
    """The next progress event. Two keys take turns, so an event can schedule its successor while the scheduler
    still holds its own row (which it marks done after the event), and a broadcast leaves two rows, not one per
    update."""
    await scheduling.schedule(session, PROGRESS_JOB, ref.pack(), run_at, key=ref.key)
    job = (await session.execute(select(ScheduledJob).where(ScheduledJob.key == ref.key))).scalar_one()
    job.ref = ref.pack()  # schedule() moves an existing event but keeps its ref: this one carries what is shown


def next_step(ref: ProgressRef, now: Progress) -> ProgressRef | None:
    """The event after `ref` once the figures are `now`; None when the chain should rest (finished, or paused
    and still for PAUSED_QUIET_STEPS steps)."""
    if now.status == "done":
        return None
    quiet = ref.quiet + 1 if now.fingerprint == ref.shown else 0
    if now.status == "paused" and quiet >= PAUSED_QUIET_STEPS:
        return None
    return ProgressRef(ref.broadcast_id, ref.message_id, 1 - ref.parity, now.fingerprint, quiet)


async def after_tap(db: Database, broadcast_id: int, message_id: int, shown: str, every: float) -> None:
    """A tap (Send, Pause, Resume) just drew the progress message: the pending progress event must know what
    is shown, or it would redraw the same figures. Without one (a paused broadcast whose chain rested), one is
    scheduled while the broadcast may still change."""
    async with db.tx() as session:
        pending = (
            (
                await session.execute(
                    select(ScheduledJob).where(
                        ScheduledJob.key.like(f"{PROGRESS_JOB}:{broadcast_id}:%"), ScheduledJob.status == "pending"
                    )
                )
            )
            .scalars()
            .all()
        )
        for job in pending:
            parity = ProgressRef.parse(job.ref).parity
            job.ref = ProgressRef(broadcast_id, message_id, parity, shown).pack()
        if pending:
            return
        now = await progress_in(session, broadcast_id)
        if now is not None and now.status != "done":
            await schedule_progress(
                session, ProgressRef(broadcast_id, message_id, 0, shown), utcnow() + timedelta(seconds=every)
            )
