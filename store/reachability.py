"""Who the bot can write to, and the messages that wait for someone it could not reach.

Telegram refuses a private message to a user who blocked the bot or never opened a chat with it (403). The
outbox then parks the row (status `unreachable`) and sets `users.unreachable`, so nobody gets a retry storm.
When that user shows up again in a private chat (/start, a message, a button), `mark_reachable` clears the
mark and puts the parked rows back in the queue, oldest first, so "Payment received", a status change or a
paid digital good still arrives. A row whose offer ran out meanwhile (params `expires_at` in the past) is
dropped instead: "pay within 5 minutes" an hour later would only confuse.

"Never started" is recorded the same way: a user whose first update comes from a group (a tap on a card, a
command there, a flash tap) is created with `unreachable` set, since nothing proves the bot may write to them;
their first private update (/start, through a deep link or not) clears it like a return from a block. So
broadcasts, alerts and the outbox skip or park them, and a handler answering a group update asks
`may_write_privately()` before sending to the private chat (else: the group answer or toast with a deep link).
Rows from before this rule keep `unreachable` false until Telegram's 403 marks them.

Every update passes the bot's user middleware, which must not write on the hot path; it asks
`known_unreachable()` (this process's memory of the marks it made or saw), and /start checks the database,
so a mark made by another process is cleared at the latest when the user presses Start.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import Database, rowcount
from store.models import OutboxMessage, User, utcnow
from store.notify import SESSION_KEY

PARKED = "unreachable"
EXPIRED = "expired"
# session.info key: the users whose mark this transaction cleared. After commit, bot/ hands them what waited outside
# the outbox (an agent's support replies: bot.support_desk), so a return is one signal for every feature.
RETURNED_KEY = "reachable_again"
# Parked longer than this, a notification is history rather than news (the buyer sees it in /orders anyway).
REQUEUE_WINDOW = timedelta(days=30)
_KNOWN_LIMIT = 200_000

_known: set[int] = set()


def note_unreachable(user_id: int) -> None:
    """Remember (in this process) that the user is marked unreachable, so their next update clears it."""
    if len(_known) >= _KNOWN_LIMIT:
        # A bounded hint, not the truth (the database is): forgetting only delays the clear until /start.
        _known.clear()
    _known.add(user_id)


def forget_mark(user_id: int) -> None:
    """The database says the user is not marked: drop this process's hint."""
    _known.discard(user_id)


def known_unreachable(user_id: int) -> bool:
    return user_id in _known


async def is_unreachable(db: Database, user_id: int) -> bool:
    async with db.read() as session:
        flag = (await session.execute(select(User.unreachable).where(User.id == user_id))).scalar_one_or_none()
    return bool(flag)


async def may_write_privately(db: Database, user_id: int) -> bool:
    """Whether the bot may send to the user's private chat: they have a row and no unreachable mark."""
    async with db.read() as session:
        flag = (await session.execute(select(User.unreachable).where(User.id == user_id))).scalar_one_or_none()
    return flag is False


async def mark_unreachable(db: Database, user_id: int) -> None:
    async with db.tx() as session:
        await session.execute(update(User).where(User.id == user_id).values(unreachable=True))
    note_unreachable(user_id)


async def refused(db: Database, user_id: int, attempted_at: datetime) -> bool:
    """Telegram answered 403 to a private send (not through the outbox) that started at `attempted_at`: mark the
    user unreachable, unless they were seen since (their /start may have raced the send). True when marked."""
    async with db.tx() as session:
        result = await session.execute(
            update(User)
            .where(User.id == user_id, User.last_seen_at < attempted_at)
            .values(unreachable=True)
            .execution_options(synchronize_session=False)
        )
    marked = bool(rowcount(result))
    if marked:
        note_unreachable(user_id)
    return marked


async def mark_reachable(db: Database, user_id: int) -> int:
    """The user is in a private chat with the bot again: clear the mark, requeue what waited. Returns how many
    messages went back to the queue (0 when the user was not marked)."""
    if not await is_unreachable(db, user_id):  # a read first: /start in a storm must not queue for the writer
        _known.discard(user_id)
        return 0
    async with db.tx() as session:
        return await clear_in(session, user_id)


async def clear_in(session: AsyncSession, user_id: int) -> int:
    """In the caller's transaction: clear the mark (if set) and requeue the user's parked messages."""
    now = utcnow()
    cleared = await session.execute(
        update(User)
        .where(User.id == user_id, User.unreachable.is_(True))
        .values(unreachable=False, last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    _known.discard(user_id)
    if not rowcount(cleared):
        return 0
    session.info.setdefault(RETURNED_KEY, []).append(user_id)
    return await _requeue(session, user_id, now)


async def _requeue(session: AsyncSession, user_id: int, now: datetime) -> int:
    rows = (
        (
            await session.execute(
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == PARKED,
                    OutboxMessage.user_id == user_id,
                    OutboxMessage.chat_id == user_id,
                    OutboxMessage.created_at >= now - REQUEUE_WINDOW,
                )
                .order_by(OutboxMessage.id)
            )
        )
        .scalars()
        .all()
    )
    requeued = 0
    for row in rows:
        if _offer_ran_out(row.params or {}, now):
            row.status = EXPIRED
            continue
        row.status = "pending"
        row.not_before = now
        row.error = None
        requeued += 1
    if requeued:
        session.info[SESSION_KEY] = True  # wakes the sender after commit
    await session.flush()
    return requeued


def _offer_ran_out(params: dict[str, object], now: datetime) -> bool:
    raw = params.get("expires_at")
    if not isinstance(raw, str):
        return False
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return False
    return moment.tzinfo is not None and moment <= now


async def park(db: Database, row_id: int, user_id: int, error: str) -> bool:
    """The sender found the user marked unreachable: park the row, unless the user came back meanwhile (then the
    row goes straight back to the queue). True when parked.

    The user row is locked first, so a concurrent `mark_reachable` either runs before (and this requeues) or
    after (and finds the parked row to requeue): no message is stranded."""
    async with db.tx() as session:
        return await _park_in(session, row_id, user_id, error, None)


async def blocked(db: Database, row_id: int, user_id: int, error: str, attempted_at: datetime) -> bool:
    """Telegram answered 403 to a send that started at `attempted_at`: mark the user unreachable, unless they
    showed up in the meantime (their /start may have raced the send), and park the row. True when parked."""
    async with db.tx() as session:
        return await _park_in(session, row_id, user_id, error, attempted_at)


async def locked_user(session: AsyncSession, user_id: int, refused_at: datetime | None) -> User | None:
    """The user's row, locked for the caller's transaction. `refused_at`: Telegram answered 403 to a send that
    started then, so the user is marked unreachable, unless they were seen since (their /start raced the send,
    and sending again will do). Locking first means a concurrent return (`clear_in`) commits either before or
    after: whatever the caller parks is found by it."""
    user = (await session.execute(select(User).where(User.id == user_id).with_for_update())).scalar_one_or_none()
    if user is not None and refused_at is not None and user.last_seen_at < refused_at:
        user.unreachable = True
    return user


async def _park_in(session: AsyncSession, row_id: int, user_id: int, error: str, attempted_at: datetime | None) -> bool:
    user = await locked_user(session, user_id, attempted_at)
    parked = user is None or user.unreachable
    values: dict[str, object] = {"status": PARKED, "error": error[:2000]} if parked else {"status": "pending"}
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if parked:
        note_unreachable(user_id)
    else:
        session.info[SESSION_KEY] = True
    return parked
