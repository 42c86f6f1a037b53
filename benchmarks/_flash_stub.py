"""A stand-in for the Bot API used by the flash-sale benchmark: no HTTP, but every call still goes through
aiogram's request and response models (the reply is JSON text parsed by `check_response`), so the bot pays the
same serialisation costs it would pay against Telegram.

`StubSession.on_answer` is called with the callback query id whenever the bot answers one, which is how the
benchmark measures time-to-answer per tap.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from collections.abc import AsyncGenerator, Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

BOT_ID = 123456
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "groupcart", "username": "groupcart_bot"}
TOKEN = f"{BOT_ID}:BENCHMARK"

# Methods whose result is a Message; everything else in the benchmark returns True.
_MESSAGE_METHODS = {
    "sendMessage",
    "sendPhoto",
    "sendInvoice",
    "sendDocument",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
}


class StubSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()
        self.on_answer: Callable[[str, str | None], None] | None = None
        self._message_ids = itertools.count(1)

    async def close(self) -> None:
        return None

    def _result(self, name: str, method: TelegramMethod[Any]) -> Any:
        if name == "getMe":
            return BOT_USER
        if name in _MESSAGE_METHODS:
            chat_id = int(getattr(method, "chat_id", 0) or 0)
            message_id = getattr(method, "message_id", None) or next(self._message_ids)
            return {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group", "title": "bench"},
                "from": BOT_USER,
                "text": str(getattr(method, "text", None) or getattr(method, "title", None) or "ok"),
            }
        return True

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None) -> Any:
        name = method.__api_method__
        self.calls[name] += 1
        if name == "answerCallbackQuery" and self.on_answer is not None:
            self.on_answer(getattr(method, "callback_query_id", ""), getattr(method, "text", None))
        content = json.dumps({"ok": True, "result": self._result(name, method)})
        response = self.check_response(bot, method, 200, content)
        return response.result

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""


def stub_bot() -> tuple[Bot, StubSession]:
    from aiogram.client.default import DefaultBotProperties
    from aiogram.enums import ParseMode

    session = StubSession()
    return Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)), session
