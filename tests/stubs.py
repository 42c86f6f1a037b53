"""An in-memory Bot API for tests of background machinery that do not need the whole emulator: the
benchmarks' stub, plus a record of every call's parameters and switches to make a chat fail."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

from benchmarks import _stub


class StubSession(_stub.StubSession):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.blocked: set[int] = set()
        self.retry_after_once: dict[int, int] = {}

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None) -> Any:
        chat_id = getattr(method, "chat_id", None)
        if isinstance(chat_id, int):
            if chat_id in self.blocked:
                raise TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")
            if chat_id in self.retry_after_once:
                raise TelegramRetryAfter(method, "Too Many Requests", self.retry_after_once.pop(chat_id))
        self.sent.append((method.__api_method__, method.model_dump(exclude_none=True)))
        return await super().make_request(bot, method, timeout)

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        return [params for _, params in self.sent if params.get("chat_id") == chat_id]


def stub_bot() -> tuple[Bot, StubSession]:
    session = StubSession()
    return Bot("123456:TEST", session=session), session
