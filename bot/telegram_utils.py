"""Small Telegram habits every handler shares."""

from __future__ import annotations

import contextlib
import logging

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InaccessibleMessage, InlineKeyboardMarkup, Message

log = logging.getLogger(__name__)


def is_not_modified(exc: TelegramBadRequest) -> bool:
    return "message is not modified" in exc.message


async def edit_or_answer(
    query: CallbackQuery, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Edit the message the button belongs to (navigation edits in place); identical content is success.

    A photo message cannot become text: it is replaced by a new text message.
    """
    message = query.message
    if message is None or isinstance(message, InaccessibleMessage):
        if query.from_user and query.bot:
            return await query.bot.send_message(query.from_user.id, text, reply_markup=reply_markup)
        return None
    try:
        if message.photo:
            with contextlib.suppress(TelegramBadRequest):
                await message.delete()
            return await message.answer(text, reply_markup=reply_markup)
        result = await message.edit_text(text, reply_markup=reply_markup)
        return result if isinstance(result, Message) else message
    except TelegramBadRequest as exc:
        if is_not_modified(exc):
            return message
        raise


def is_private(message: Message | None) -> bool:
    return message is not None and message.chat.type == "private"
