"""Conversation state rows behind the bot's FSM storage."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from store.db import Database
from store.models import ConversationState


async def get_state(db: Database, key: str) -> str | None:
    async with db.read() as session:
        return (
            await session.execute(select(ConversationState.state).where(ConversationState.key == key))
        ).scalar_one_or_none()


async def get_data(db: Database, key: str) -> dict[str, Any]:
    async with db.read() as session:
        data = (
            await session.execute(select(ConversationState.data).where(ConversationState.key == key))
        ).scalar_one_or_none()
        return dict(data or {})


async def set_state(db: Database, key: str, state: str | None) -> None:
    async with db.tx() as session:
        row = await session.get(ConversationState, key)
        if row is None:
            if state is None:
                return
            session.add(ConversationState(key=key, state=state, data={}))
        else:
            row.state = state
            if state is None and not row.data:
                await session.execute(delete(ConversationState).where(ConversationState.key == key))


async def set_data(db: Database, key: str, data: dict[str, Any]) -> None:
    async with db.tx() as session:
        row = await session.get(ConversationState, key)
        if row is None:
            if not data:
                return
            session.add(ConversationState(key=key, state=None, data=data))
        else:
            row.data = data
