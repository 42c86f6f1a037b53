"""Callback queries, deep links and inline mode."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.emulator.conftest import Harness

TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


async def _card(h: Harness, chat_id: int) -> dict[str, Any]:
    kb = {"inline_keyboard": [[{"text": "Add to cart", "callback_data": "add:SKU1"},
                               {"text": "Open shop", "url": "https://t.me/groupcart_bot?start=p_SKU1"}],
                              [{"text": "Bad link", "url": "https://t.me/groupcart_bot?start=bad payload!"}]]}
    result: dict[str, Any] = await h.ok("sendMessage", chat_id=chat_id, text="Tea", reply_markup=kb)
    return result


async def test_tap_answer_and_windows(h: Harness) -> None:
    alice = await h.user()
    card = await _card(h, alice["id"])
    tap = await h.control("tap", {"user_id": alice["id"], "label": "Add to cart"})
    query = (await h.drain())[0]["callback_query"]
    assert tap["update_id"] and query["data"] == "add:SKU1"
    assert query["message"]["message_id"] == card["message_id"] and query["chat_instance"]
    assert query["from"]["id"] == alice["id"]
    body = await h.error("answerCallbackQuery", callback_query_id=query["id"], text="x" * 201)
    assert body["description"] == "Bad Request: MESSAGE_TOO_LONG"
    assert await h.ok("answerCallbackQuery", callback_query_id=query["id"], text="Added ✓" + "!" * 192)
    body = await h.error("answerCallbackQuery", callback_query_id=query["id"])
    assert body["description"] == TOO_OLD
    toasts = await h.get(f"users/{alice['id']}/toasts")
    assert toasts[-1]["text"].startswith("Added ✓")
    await h.control("tap", {"user_id": alice["id"], "row": 0, "col": 0})
    late = (await h.drain())[0]["callback_query"]
    h.emu.clock.advance(15.05)  # past the answer window
    body = await h.error("answerCallbackQuery", callback_query_id=late["id"], text="too late")
    assert body["description"] == TOO_OLD
    body = await h.error("answerCallbackQuery", callback_query_id="123")
    assert body["description"] == TOO_OLD


async def test_url_buttons_and_deeplinks(h: Harness) -> None:
    alice = await h.user()
    await _card(h, alice["id"])
    tap = await h.control("tap", {"user_id": alice["id"], "label": "Open shop"})
    assert tap["update_id"] is None and tap["url"] == "https://t.me/groupcart_bot?start=p_SKU1"
    assert tap["deeplink"] == "p_SKU1" and tap["deeplink_error"] is None
    bad = await h.control("tap", {"user_id": alice["id"], "label": "Bad link"})
    assert bad["deeplink_error"]
    assert await h.drain() == []
    await h.control("deeplink", {"user_id": alice["id"], "payload": tap["deeplink"]})
    message = (await h.drain())[0]["message"]
    assert message["text"] == "/start p_SKU1"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    for payload in ("x" * 65, "has space", "", "ünïcode"):
        body = await h.control("deeplink", {"user_id": alice["id"], "payload": payload}, expect=400)
        assert "invalid start parameter" in body["error"]
    assert (await h.control("deeplink", {"user_id": alice["id"], "payload": "A-z_9" * 12 + "abcd"}))
    body = await h.control("tap", {"user_id": alice["id"], "label": "Nope"}, expect=400)
    assert "Add to cart" in body["error"]


async def test_inline_query_and_choice(h: Harness) -> None:
    alice = await h.user()
    group = await h.group([alice])
    asking = asyncio.create_task(h.control("inline", {"user_id": alice["id"], "query": "tea"}))
    update = (await h.updates(timeout=2))[0]
    await h.updates(offset=update["update_id"] + 1)
    query = update["inline_query"]
    assert (query["query"], query["offset"], query["from"]["id"]) == ("tea", "", alice["id"])
    results = [{"type": "article", "id": "SKU1", "title": "Green tea",
                "input_message_content": {"message_text": "<b>Green tea</b> 15.00", "parse_mode": "HTML"},
                "reply_markup": {"inline_keyboard": [[{"text": "Buy", "callback_data": "buy:SKU1"}]]}}]
    body = await h.error("answerInlineQuery", inline_query_id=query["id"], results=results * 2)
    assert body["description"] == "Bad Request: RESULT_ID_DUPLICATE"
    assert await h.ok("answerInlineQuery", inline_query_id=query["id"], results=results)
    offered = await asking
    assert offered["answered"] and offered["results"][0]["id"] == "SKU1"
    chosen = await h.control("inline/choose", {"user_id": alice["id"], "result_id": "SKU1",
                                               "chat_id": group["id"]})
    got = await h.drain()
    message = got[0]["message"]
    assert message["text"] == "Green tea 15.00" and message["via_bot"]["id"] == h.emu.bot.id
    assert message["entities"][0]["type"] == "bold"
    result = got[1]["chosen_inline_result"]
    assert result["result_id"] == "SKU1" and result["inline_message_id"] == chosen["inline_message_id"]
    assert await h.ok("editMessageText", inline_message_id=result["inline_message_id"], text="Sold out") is True
    # the edit without reply_markup removed the keyboard, so there is nothing to tap any more
    body = await h.control("tap", {"user_id": alice["id"], "chat_id": group["id"],
                                   "message_id": chosen["message_id"]}, expect=400)
    assert body["error"] == f"message {chosen['message_id']} has no inline keyboard"
    transcript = await h.get(f"chats/{group['id']}/messages")
    assert transcript[-1]["text"] == "Sold out"


async def test_tap_in_group_requires_membership(h: Harness) -> None:
    alice = await h.user()
    bob = await h.user("Bob")
    group = await h.group([alice])
    await _card(h, group["id"])
    body = await h.control("tap", {"user_id": bob["id"], "chat_id": group["id"], "label": "Add"}, expect=400)
    assert "not a member" in body["error"]
    await h.control("tap", {"user_id": alice["id"], "chat_id": group["id"], "label": "Add"})
    query = (await h.drain())[0]["callback_query"]
    assert query["message"]["chat"]["id"] == group["id"]
