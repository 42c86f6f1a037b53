"""Checks shared by the sending and editing methods."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

from bot.emulator.engine import Emulator
from bot.emulator.entities import format_text
from bot.emulator.errors import bad_request
from bot.emulator.lengths import byte_length, check_raw_text, counted_length
from bot.emulator.params import Params, chat_id_arg
from bot.emulator.rules import CALLBACK_DATA_LIMIT, CAPTION_LIMIT, TEXT_LIMIT
from bot.emulator.state import JSON, Chat, InvoiceInfo, StoredMessage

INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def formatted_text(
    p: Params, field: str = "text", mode: str = "parse_mode", entities: str = "entities"
) -> tuple[str, list[JSON]]:
    """Message text after entity parsing; empty text is refused before the chat is even looked at."""
    raw = p.str(field) or ""
    if not raw.strip():
        raise bad_request("message text is empty")
    check_raw_text(raw)
    plain, found = format_text(raw, p.str(mode), _explicit_entities(p, entities))
    if not plain.strip():
        raise bad_request("message text is empty")
    return plain, found


def formatted_caption(p: Params, field: str = "caption") -> tuple[str, list[JSON]]:
    raw = p.str(field) or ""
    if not raw:
        return "", []
    check_raw_text(raw)
    return format_text(raw, p.str("parse_mode"), _explicit_entities(p, "caption_entities"))


def _explicit_entities(p: Params, field: str) -> list[JSON] | None:
    value = p.json(field, "entities")
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in value
    ):
        raise bad_request("can't parse entities JSON object")
    return value


def check_text_length(text: str, entities: list[JSON]) -> None:
    """Code points of the parsed, trimmed text (as TDLib counts for bots), not UTF-16 units: see lengths.py."""
    if counted_length(text, entities) > TEXT_LIMIT:
        raise bad_request("message is too long")


def check_caption_length(caption: str, entities: list[JSON]) -> None:
    if counted_length(caption, entities) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")


def text_content(text: str, entities: list[JSON], field: str = "text") -> JSON:
    content: JSON = {field: text}
    if entities:
        content["entities" if field == "text" else "caption_entities"] = entities
    return content


def reply_markup(p: Params, field: str = "reply_markup") -> JSON | None:
    return validate_markup(p.json(field, "reply keyboard markup"))


def validate_markup(raw: Any) -> JSON | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        return {"inline_keyboard": _inline_rows(raw["inline_keyboard"])}
    if "keyboard" in raw:
        rows = raw["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
        normalized = [[{"text": b} if isinstance(b, str) else b for b in row] for row in rows]
        if any(not isinstance(b, dict) or not isinstance(b.get("text"), str) for row in normalized for b in row):
            raise bad_request('can\'t parse keyboard button: field "text" must be of type String')
        return {**raw, "keyboard": normalized}
    if raw.get("remove_keyboard") or raw.get("force_reply"):
        return raw
    raise bad_request("can't parse reply keyboard markup JSON object")


def _inline_rows(rows: Any) -> list[list[JSON]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            _check_inline_button(button)
    return rows


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [key for key in INLINE_ACTIONS if key in button]
    if not actions:
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        size = byte_length(data) if isinstance(data, str) else -1  # bytes: 21 Chinese characters (63 bytes) at most
        if not 1 <= size <= CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        parsed = urlparse(str(button["url"]))
        if parsed.scheme not in ("http", "https", "tg") or (parsed.scheme != "tg" and not parsed.netloc):
            raise bad_request("BUTTON_URL_INVALID")


def markup_key(markup: JSON | None) -> str:
    return json.dumps(markup or None, sort_keys=True)


def target_chat(emu: Emulator, p: Params) -> Chat:
    return emu.writable_chat(chat_id_arg(p))


def message_thread(emu: Emulator, chat: Chat, p: Params, reply_to: StoredMessage | None) -> int | None:
    thread = p.int("message_thread_id")
    if not chat.is_forum:
        return None
    if thread is None or thread == 1:
        return reply_to.thread_id if reply_to is not None else None
    topic = chat.topics.get(thread)
    if topic is None:
        raise bad_request("message thread not found")
    if topic.closed and not emu.bot_is_admin(chat):
        raise bad_request("TOPIC_CLOSED")
    return thread


def reply_target(emu: Emulator, chat: Chat, p: Params) -> StoredMessage | None:
    params: Any = p.json("reply_parameters", "reply parameters")
    message_id: int | None
    allow_missing = p.bool("allow_sending_without_reply")
    if isinstance(params, dict):
        message_id = params.get("message_id")
        allow_missing = bool(params.get("allow_sending_without_reply", allow_missing))
    else:
        message_id = p.int("reply_to_message_id")
    if message_id is None:
        return None
    stored = emu.message(chat, int(message_id))
    if stored is None and not allow_missing:
        raise bad_request("message to be replied not found")
    return stored


async def deliver(
    emu: Emulator, chat: Chat, p: Params, content: JSON, *, markup: JSON | None, invoice: InvoiceInfo | None = None
) -> JSON:
    """Post a bot message after the reply/thread checks and the flood limiter."""
    reply_to = reply_target(emu, chat, p)
    thread = message_thread(emu, chat, p, reply_to)
    emu.limiter.check_send(chat.id, chat.is_group)
    stored = await emu.post(
        chat, emu.bot, content, thread_id=thread, reply_to=reply_to, reply_markup=markup, invoice=invoice
    )
    return stored.data


def editable_message(emu: Emulator, p: Params) -> tuple[Chat, StoredMessage, bool]:
    """(chat, message, is_inline) for the edit methods, with Telegram's errors for missing targets."""
    inline_id = p.str("inline_message_id")
    if inline_id:
        ref = emu.inline_messages.get(inline_id)
        if ref is None:
            raise bad_request("MESSAGE_ID_INVALID")
        chat = emu.chats[ref[0]]
        stored = emu.message(chat, ref[1])
        if stored is None:
            raise bad_request("MESSAGE_ID_INVALID")
        return chat, stored, True
    chat = emu.writable_chat(chat_id_arg(p))
    message_id = p.int("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    stored = emu.message(chat, message_id)
    if stored is None:
        raise bad_request("message to edit not found")
    if not stored.from_bot and "via_bot" not in stored.data:
        raise bad_request("message can't be edited")
    return chat, stored, False
