"""Answers to users' taps and inline queries."""

from __future__ import annotations

from typing import Any

from bot.emulator.engine import Emulator
from bot.emulator.entities import format_text
from bot.emulator.errors import QUERY_TOO_OLD, bad_request
from bot.emulator.lengths import byte_length, check_raw_text, counted_length
from bot.emulator.methods.common import validate_markup
from bot.emulator.methods.registry import method
from bot.emulator.params import Params
from bot.emulator.rules import (
    CALLBACK_ANSWER_LIMIT,
    INLINE_OFFSET_LIMIT,
    INLINE_RESULTS_LIMIT,
    TEXT_LIMIT,
)
from bot.emulator.state import JSON


@method("answerCallbackQuery")
async def answer_callback_query(emu: Emulator, p: Params) -> bool:
    record = emu.callbacks.get(p.str("callback_query_id") or "")
    window = emu.clock.seconds(emu.limits.callback_answer_window)
    if record is None or record.answered or emu.clock.now() - record.created > window:
        raise bad_request(QUERY_TOO_OLD)
    text = p.str("text") or ""
    # Neither the Bot API server nor TDLib checks this text; Telegram's own "0-200 characters" is counted here in
    # code points like every other text limit (unverified server-side: nothing documents UTF-16 for it).
    if len(text) > CALLBACK_ANSWER_LIMIT:
        raise bad_request("MESSAGE_TOO_LONG")
    url = p.str("url")
    if url and not url.startswith(("https://t.me/", "http://t.me/", "tg://")):
        raise bad_request("URL_INVALID")
    record.answered = True
    record.answer = {"text": text or None, "show_alert": p.bool("show_alert"), "url": url or None}
    if text:
        toast = {
            "text": text,
            "show_alert": p.bool("show_alert"),
            "callback_query_id": record.id,
            "chat_id": record.chat_id,
            "message_id": record.message_id,
        }
        emu.users[record.user_id].toasts.append(toast)
        await emu.emit("toast", user_id=record.user_id, **toast)
    record.done.set()
    return True


def _check_result(result: Any, seen: set[str]) -> JSON:
    if not isinstance(result, dict) or not isinstance(result.get("type"), str):
        raise bad_request('can\'t parse inline query result: field "type" must be of type String')
    result_id = str(result.get("id", ""))
    if not 1 <= byte_length(result_id) <= 64:  # "1-64 bytes", so 21 Chinese characters at most
        raise bad_request("RESULT_ID_INVALID")
    if result_id in seen:
        raise bad_request("RESULT_ID_DUPLICATE")
    seen.add(result_id)
    if result["type"] == "article" and not result.get("title"):
        raise bad_request('can\'t parse inline query result: field "title" must be of type String')
    content = result.get("input_message_content")
    if result["type"] == "article" and not isinstance(content, dict):
        raise bad_request("input message content is not specified")
    if isinstance(content, dict) and "message_text" in content:
        text = str(content["message_text"])
        if not text.strip():
            raise bad_request("MESSAGE_EMPTY")
        check_raw_text(text)
        plain, entities = format_text(text, content.get("parse_mode"), content.get("entities"))
        if counted_length(plain, entities) > TEXT_LIMIT:  # as for sendMessage: code points after parsing
            raise bad_request("MESSAGE_TOO_LONG")
        content = {**content, "message_text": plain, "entities": entities}
    markup = validate_markup(result.get("reply_markup"))
    return {**result, "id": result_id, "input_message_content": content, "reply_markup": markup}


@method("answerInlineQuery")
async def answer_inline_query(emu: Emulator, p: Params) -> bool:
    record = emu.inline_queries.get(p.str("inline_query_id") or "")
    window = emu.clock.seconds(emu.limits.inline_answer_window)
    if record is None or record.answer.done() or emu.clock.now() - record.created > window:
        raise bad_request(QUERY_TOO_OLD)
    results: Any = p.json("results", "inline query results")
    if not isinstance(results, list):
        raise bad_request("can't parse JSON encoded inline query results")
    if len(results) > INLINE_RESULTS_LIMIT:
        raise bad_request("too many inline query results specified")
    next_offset = p.str("next_offset", "") or ""
    if byte_length(next_offset) > INLINE_OFFSET_LIMIT:
        raise bad_request("NEXT_OFFSET_INVALID")
    seen: set[str] = set()
    checked = [_check_result(result, seen) for result in results]
    record.answer.set_result(
        {
            "results": checked,
            "next_offset": next_offset,
            "cache_time": p.int("cache_time"),
            "is_personal": p.bool("is_personal"),
        }
    )
    return True
