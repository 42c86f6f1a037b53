"""Limits Telegram states in bytes (callback_data, inline result ids, next_offset) and the callback answer text."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.emulator_limits.conftest import Harness

EMOJI = "\U0001f600"  # four UTF-8 bytes
TEA = "茶"  # three UTF-8 bytes


def _keyboard(data: str) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": "Buy", "callback_data": data}]]}


async def test_callback_data_is_1_to_64_utf8_bytes(h: Harness) -> None:
    h.emu.limiter.enabled = False
    chat = int((await h.user())["id"])
    for fits in (TEA * 21, EMOJI * 16, "x" * 64):
        assert await h.ok("sendMessage", chat_id=chat, text="ok", reply_markup=_keyboard(fits))
    for too_long in (TEA * 40, TEA * 22, EMOJI * 17, "x" * 65, ""):
        body = await h.error("sendMessage", chat_id=chat, text="no", reply_markup=_keyboard(too_long))
        assert body["description"] == "Bad Request: BUTTON_DATA_INVALID", too_long


async def test_callback_answer_text_is_200_characters(h: Harness) -> None:
    h.emu.limiter.enabled = False
    alice = await h.user()
    await h.ok("sendMessage", chat_id=alice["id"], text="Tea", reply_markup=_keyboard("add:1"))
    ids = []
    for _ in range(2):
        await h.control("tap", {"user_id": alice["id"], "label": "Buy"})
        ids.append((await h.drain())[0]["callback_query"]["id"])
    body = await h.error("answerCallbackQuery", callback_query_id=ids[0], text=TEA * 201)
    assert body["description"] == "Bad Request: MESSAGE_TOO_LONG"
    # 200 emoji are 400 UTF-16 units and 800 bytes, but 200 characters
    assert await h.ok("answerCallbackQuery", callback_query_id=ids[0], text=EMOJI * 200)
    assert await h.ok("answerCallbackQuery", callback_query_id=ids[1], text=TEA * 200)


async def _inline_query(h: Harness) -> tuple[str, asyncio.Task[Any]]:
    alice = await h.user()
    asking = asyncio.create_task(h.control("inline", {"user_id": alice["id"], "query": "tea"}))
    update = (await h.updates(timeout=2))[0]
    await h.updates(offset=update["update_id"] + 1)
    return str(update["inline_query"]["id"]), asking


def _article(result_id: str, text: str = "Tea") -> dict[str, Any]:
    return {"type": "article", "id": result_id, "title": "Tea", "input_message_content": {"message_text": text}}


async def test_inline_result_ids_and_offset_are_bytes_and_text_counts_like_a_message(h: Harness) -> None:
    query_id, asking = await _inline_query(h)
    refused = [
        (_article(TEA * 22), "RESULT_ID_INVALID"),  # 66 bytes
        (_article("a", "x" * 4000 + EMOJI * 97), "MESSAGE_TOO_LONG"),  # 4,097 characters
        (_article("a", "&lt;" * 8193), "text is too long"),  # 32,772 bytes before parsing
    ]
    for result, message in refused:
        body = await h.error("answerInlineQuery", inline_query_id=query_id, results=[result])
        assert body["description"] == f"Bad Request: {message}", message
    body = await h.error("answerInlineQuery", inline_query_id=query_id, results=[_article("a")], next_offset=TEA * 22)
    assert body["description"] == "Bad Request: NEXT_OFFSET_INVALID"
    results = [_article(TEA * 21, EMOJI * 4096 + "\n")]
    assert await h.ok("answerInlineQuery", inline_query_id=query_id, results=results, next_offset=TEA * 21)
    offered = await asking
    assert offered["results"][0]["id"] == TEA * 21
