"""Every tap is answered, exactly once.

Telegram keeps a button's spinner turning until answerCallbackQuery (up to 15 s) and refuses a second answer.
Handlers answer when they have something to say; this module makes sure the rest are answered too: a tap no
handler took (stale or forged buttons) gets a short "no longer active" toast in the tapper's language, a handled
tap that forgot to answer gets a silent answer, and a second answer to one tap is never sent.
A tap whose handler failed is answered by the error handler, which runs outside this middleware.
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update

from bot.i18n import t

log = logging.getLogger(__name__)


class AnsweredTaps:
    """The ids of recently answered callback queries (bounded: a tap older than 15 s cannot be answered)."""

    def __init__(self, size: int = 100_000) -> None:
        self._size = size
        self._ids: OrderedDict[str, None] = OrderedDict()
        self.fallbacks = 0

    def mark(self, query_id: str) -> None:
        self._ids[query_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)

    def __contains__(self, query_id: object) -> bool:
        return query_id in self._ids


class AnswerOnce(BaseRequestMiddleware):
    """A second answer to one tap would be refused by Telegram: it is dropped here instead."""

    def __init__(self, answered: AnsweredTaps) -> None:
        self.answered = answered

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        query_id = method.callback_query_id if isinstance(method, AnswerCallbackQuery) else None
        if query_id is not None and query_id in self.answered:
            log.debug("tap %s was answered already", query_id)
            # aiogram's request chain hands back the method's result itself (True here), whatever its annotation says
            return cast(Response[TelegramType], True)
        try:
            response = await make_request(bot, method)
        except TelegramBadRequest as exc:
            if query_id is None or not _cannot_answer(exc):
                raise
            # Another worker answered it before it died (the update was handled again after its lease), or it is
            # past Telegram's 15 s: either way nothing more can be said to that tap, and the handler carries on.
            log.info("tap %s cannot be answered any more: %s", query_id, exc.message)
            self.answered.mark(query_id)
            return cast(Response[TelegramType], True)
        if query_id is not None:
            self.answered.mark(query_id)
        return response


def _cannot_answer(exc: TelegramBadRequest) -> bool:
    message = exc.message.lower()
    return "query is too old" in message or "query id is invalid" in message


class EveryTapAnswered(BaseMiddleware):
    """Outer update middleware: after a callback query's handling, answer it if nobody did."""

    def __init__(self, answered: AnsweredTaps, default_language: str) -> None:
        self.answered = answered
        self.default_language = default_language

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        query = event.callback_query if isinstance(event, Update) else None
        result = await handler(event, data)
        if query is None or query.id in self.answered:
            return result
        text = None
        if result is UNHANDLED:
            self.answered.fallbacks += 1
            text = t(data.get("lang") or self.default_language, "buttons.inactive")
            log.info("tap %r matched no handler", query.data)
        bot: Bot | None = data.get("bot")
        if bot is not None:
            with contextlib.suppress(TelegramAPIError):
                await bot.answer_callback_query(query.id, text=text)
        return result
