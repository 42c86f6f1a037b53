"""The outbox queue's storage side (rows are written by store.notify, delivered by bot.outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, update

from store.db import Database, rowcount
from store.models import Chat, OutboxMessage, User, utcnow

HELD = "held"  # a paused broadcast's row (store.broadcasts): no sender claims it
# A live sender re-stamps the rows it holds (renew) well within this; a claim older than it was abandoned by a
# process that died (kill -9, power loss), and requeue_stuck puts it back. Short, so that a restarted process
# resumes a crashed one's claimed rows in seconds rather than minutes.
CLAIM_LEASE = timedelta(seconds=30)


@dataclass(frozen=True)
class DueMessage:
    id: int
    chat_id: int
    user_id: int | None
    template: str
    params: dict[str, Any]
    language: str
    user_unreachable: bool


def _current_language(now: datetime) -> ColumnElement[Any]:
    """store.users.current_language in SQL: a notice sent while the shopper's conversation is in the language they
    last wrote in (for CONVERSATION_WINDOW, unless they chose one with /language) comes in that language, like the
    replies around it (outside tester: "Order #7 has been refunded" in English between Chinese replies)."""
    return case(
        (
            and_(
                User.language_chosen.is_(False),
                User.conversation_language.is_not(None),
                User.conversation_until > now,
            ),
            User.conversation_language,
        ),
        else_=User.language,
    )


async def claim_due(db: Database, limit: int, now: datetime | None = None) -> list[DueMessage]:
    """Take due rows for sending (pending -> sending), oldest first; another process skips them. `now`: the
    sender's clock (the machine's by default).

    On PostgreSQL the rows are locked with FOR UPDATE SKIP LOCKED: several processes claiming at once each get
    different rows instead of queueing behind one another's locks (the conditional update below still makes a
    row go to one process only, which is all SQLite, with its one writer, needs). A claimed row's not_before
    becomes the time it was claimed, so requeue_stuck can tell a send in progress from one a crash abandoned."""
    due_by = now if now is not None else utcnow()
    async with db.tx() as session:
        rows = (
            await session.execute(
                # A row for a group (no user) is the group's shared message: in the group's language.
                select(OutboxMessage, func.coalesce(_current_language(due_by), Chat.language), User.unreachable)
                .outerjoin(User, User.id == OutboxMessage.user_id)
                .outerjoin(Chat, (Chat.id == OutboxMessage.chat_id) & OutboxMessage.user_id.is_(None))
                .where(OutboxMessage.status == "pending", OutboxMessage.not_before <= due_by)
                .order_by(OutboxMessage.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=OutboxMessage)
            )
        ).all()
        taken: list[DueMessage] = []
        for msg, language, unreachable in rows:
            claimed = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == msg.id, OutboxMessage.status == "pending")
                .values(status="sending", attempts=OutboxMessage.attempts + 1, not_before=due_by)
            )
            if rowcount(claimed):
                taken.append(
                    DueMessage(
                        msg.id,
                        msg.chat_id,
                        msg.user_id,
                        msg.template,
                        dict(msg.params or {}),
                        language or "",  # "": the shop's default language (bot/ knows it)
                        bool(unreachable),
                    )
                )
        return taken


async def mark(
    db: Database, row_id: int, status: str, *, error: str | None = None, message_id: int | None = None
) -> None:
    async with db.tx() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(status=status, error=error, message_id=message_id, sent_at=utcnow() if status == "sent" else None)
        )


async def retry_later(db: Database, row_id: int, when: datetime, error: str) -> None:
    """Back to the queue, unless a broadcast's Pause held the row meanwhile: it stays held until Resume."""
    async with db.tx() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.status != HELD)
            .values(status="pending", not_before=when, error=error)
        )


async def fail_or_retry(db: Database, row_id: int, max_attempts: int, error: str) -> None:
    async with db.tx() as session:
        row = await session.get(OutboxMessage, row_id)
        if row is None:
            return
        row.error = error[:2000]
        if row.attempts >= max_attempts:
            row.status = "failed"
        elif row.status != HELD:  # a paused broadcast's row waits for Resume, not for the retry time
            row.status = "pending"
            row.not_before = utcnow() + timedelta(seconds=2**row.attempts)


async def renew(db: Database, row_ids: list[int], now: datetime | None = None) -> None:
    """The sender holding these claimed rows is alive: their claim time moves to `now`, so requeue_stuck leaves
    them alone however long the sender takes to reach them (pacing, a slow Telegram)."""
    if not row_ids:
        return
    async with db.tx() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(row_ids), OutboxMessage.status == "sending")
            .values(not_before=now if now is not None else utcnow())
        )


async def requeue_stuck(db: Database, older_than: timedelta = CLAIM_LEASE) -> int:
    """Rows claimed (or last renewed) longer than `older_than` ago and never marked go back to the queue: their
    process died. Measured from the claim, not from the row's creation: another live process may be sending an
    old row now, and it renews its claims (renew) more often than that."""
    async with db.tx() as session:
        result = await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "sending", OutboxMessage.not_before < utcnow() - older_than)
            .values(status="pending")
        )
        return rowcount(result)


async def pending_count(db: Database) -> int:
    from sqlalchemy import func

    async with db.read() as session:
        return int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status.in_(("pending", "sending")))
                )
            ).scalar_one()
        )


async def backlog(db: Database) -> tuple[int, float]:
    """Rows pending or sending, and the age in seconds of the oldest one due (0 when none is)."""
    async with db.read() as session:
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(OutboxMessage.not_before)).where(
                    OutboxMessage.status.in_(("pending", "sending"))
                )
            )
        ).one()
    if oldest is None:
        return int(count), 0.0
    if isinstance(oldest, str):  # SQLite hands an aggregate back as text
        oldest = datetime.fromisoformat(oldest)
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return int(count), max(0.0, (utcnow() - oldest).total_seconds())
