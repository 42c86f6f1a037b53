"""Admin broadcasts to shoppers who may hear them: flash-sale subscribers or every reachable shopper, minus
those who opted out (one tap under any broadcast).

An admin's draft is a row; Confirm moves it draft -> sending with a conditional update, so a double tap (or
a repeated update) queues nothing twice. The same transaction writes one outbox row per recipient, keyed
`bc:<id>:<user>`, spaced by `not_before` at the broadcast pace, so the paced outbox delivers it under
Telegram's limits, leaves room for other messages, and resumes after a crash without repeating anyone.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import audit, notify
from store.db import Database
from store.errors import Conflict, DomainError, NotFound
from store.models import User, utcnow
from store.models.ops import Broadcast, MarketingOptOut

TEMPLATE = "ops.broadcast"
AUDIENCES = ("flash", "all")
MAX_TEXT = 3500  # leaves room for the frame under Telegram's 4096
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
    async with db.read() as session:
        sub = _audience(audience).subquery()
        return int((await session.execute(select(func.count()).select_from(sub))).scalar_one())


@dataclass(frozen=True)
class Draft:
    id: int
    audience: str
    text_en: str
    text_zh: str
    status: str
    total: int


def _draft(row: Broadcast) -> Draft:
    return Draft(row.id, row.audience, row.text_en, row.text_zh, row.status, row.total)


async def create_draft(db: Database, admin_id: int, audience: str, text: str) -> Draft:
    en, zh = split_languages(text)
    if not en or not zh or len(en) > MAX_TEXT or len(zh) > MAX_TEXT:
        raise DomainError("ops_broadcast_bad_text", max=MAX_TEXT)
    _audience(audience)
    async with db.tx() as session:
        row = Broadcast(
            token=secrets.token_hex(8), admin_id=admin_id, audience=audience, text_en=en, text_zh=zh, status="draft"
        )
        session.add(row)
        await session.flush()
        return _draft(row)


async def get(db: Database, broadcast_id: int) -> Draft:
    async with db.read() as session:
        row = await session.get(Broadcast, broadcast_id)
    if row is None:
        raise NotFound("ops_broadcast_gone")
    return _draft(row)


async def send(db: Database, broadcast_id: int, admin_id: int, per_second: float) -> int:
    """Queue the broadcast once; returns the number of recipients. A second confirm raises Conflict."""
    async with db.tx() as session:
        claimed = await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == "draft")
            .values(status="sending", sent_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            raise Conflict("ops_broadcast_already_sent")
        row = await session.get(Broadcast, broadcast_id)
        assert row is not None
        recipients = list((await session.execute(_audience(row.audience).order_by(User.id))).scalars())
        await _enqueue(session, row, recipients, per_second)
        row.total = len(recipients)
        row.status = "done"
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


async def _enqueue(session: AsyncSession, row: Broadcast, recipients: list[int], per_second: float) -> None:
    start = utcnow()
    step = 1.0 / per_second
    for i, user_id in enumerate(recipients):
        await notify.enqueue(
            session,
            user_id,
            TEMPLATE,
            user_id=user_id,
            dedupe_key=f"bc:{row.id}:{user_id}",
            not_before=start + timedelta(seconds=i * step),
            broadcast_id=row.id,
            text_en=row.text_en,
            text_zh=row.text_zh,
        )


async def cancel(db: Database, broadcast_id: int) -> bool:
    async with db.tx() as session:
        result = await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == "draft")
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


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


async def opted_out(db: Database, user_id: int) -> bool:
    async with db.read() as session:
        return await session.get(MarketingOptOut, user_id) is not None
