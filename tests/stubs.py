"""An aiogram session that answers Bot API calls in memory, for tests of background machinery that do not
need the whole emulator. It records calls and can be told to fail for a chat."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.types import Chat, Message


class StubSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.blocked: set[int] = set()
        self.retry_after_once: dict[int, int] = {}
        self._ids = itertools.count(1)

    async def close(self) -> None:
        return None

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:  # pragma: no cover - not used
        yield b""

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        name = type(method).__name__
        params = method.model_dump(exclude_none=True)
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int):
            if chat_id in self.blocked:
                raise TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")
            if chat_id in self.retry_after_once:
                raise TelegramRetryAfter(method, "Too Many Requests", self.retry_after_once.pop(chat_id))
        self.calls.append((name, params))
        if name in ("SendMessage", "SendPhoto", "SendDocument", "EditMessageText", "EditMessageCaption"):
            return Message(
                message_id=params.get("message_id") or next(self._ids),
                date=datetime.now(UTC),
                chat=Chat(id=chat_id if isinstance(chat_id, int) else 0, type="private"),
                text=params.get("text") or params.get("caption"),
            )
        return True

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if params.get("chat_id") == chat_id]


def stub_bot() -> tuple[Bot, StubSession]:
    session = StubSession()
    return Bot("123456:TEST", session=session), session
