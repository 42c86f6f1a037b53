"""How the shop core reaches people without knowing about Telegram: the transactional outbox.

`enqueue()` writes a message row in the caller's transaction, naming a template (a locale key or a view that
bot/ registers) and its parameters. bot/ delivers the rows in the recipient's language, paced under the
messenger's limits. Because the row commits with the state change, a notification is never lost when the
process dies, and never sent for a change that rolled back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import OutboxMessage, utcnow

SESSION_KEY = "outbox"


async def enqueue(
    session: AsyncSession,
    chat_id: int,
    template: str,
    *,
    user_id: int | None = None,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
    **params: Any,
) -> OutboxMessage | None:
    """Queue a message; with `dedupe_key`, a second call for the same event queues nothing."""
    if dedupe_key is not None:
        existing = await session.execute(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
        if existing.first() is not None:
            return None
    row = OutboxMessage(
        chat_id=chat_id,
        user_id=user_id if user_id is not None else (chat_id if chat_id > 0 else None),
        template=template,
        params=params,
        dedupe_key=dedupe_key,
        not_before=not_before or utcnow(),
        status="pending",
    )
    session.add(row)
    await session.flush()
    session.info[SESSION_KEY] = True
    return row


async def enqueue_many(session: AsyncSession, messages: Sequence[tuple[int, str, dict[str, Any]]]) -> None:
    """Private messages (user id, template, parameters) for many users in one statement, as `notify_user` would
    queue them one by one (no dedupe keys)."""
    if not messages:
        return
    now = utcnow()
    await session.execute(
        insert(OutboxMessage),
        [
            {
                "chat_id": uid,
                "user_id": uid,
                "template": template,
                "params": params,
                "not_before": now,
                "status": "pending",
            }
            for uid, template, params in messages
        ],
    )
    session.info[SESSION_KEY] = True


async def notify_user(session: AsyncSession, user_id: int, template: str, **params: Any) -> OutboxMessage | None:
    """A private message to a user (their private chat id is their user id)."""
    return await enqueue(session, user_id, template, user_id=user_id, **params)
