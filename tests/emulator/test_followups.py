"""Follow-ups for the web chat: reset detection, empty private chats, reply keyboards in views, hashtags."""

from __future__ import annotations

import asyncio

import aiohttp

from bot.emulator.entities import auto_entities
from tests.emulator.conftest import Harness


async def test_event_seq_in_state_and_poll_past_a_reset_returns_at_once(h: Harness) -> None:
    alice = await h.user()
    await h.ok("sendMessage", chat_id=alice["id"], text="one")
    before = await h.get("state")
    events = await h.get("events", since=0)
    assert before["event_seq"] == len(events) == events[-1]["seq"]
    await h.control("reset")
    after = await h.get("state")
    assert after["event_seq"] == 1  # the reset event itself, numbering restarted
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with h.session.get(f"{h.base}/control/events", params={"since": before["event_seq"], "timeout": 5}) as resp:
        body = await resp.json()
        assert resp.headers["X-Event-Seq"] == "1"
    assert body == [] and loop.time() - started < 1.0
    # a caller still inside the numbering keeps long-polling as before
    polls = h.emu.event_polls_received
    waiting = asyncio.create_task(h.get("events", since=1, timeout=5))
    await asyncio.wait_for(h.event_poll_arrived(polls), timeout=10)
    assert not waiting.done()
    await h.control("users", {"name": "Bob"})
    fresh = await waiting
    assert fresh[0]["type"] == "user" and fresh[0]["seq"] == 2


async def test_private_chat_of_a_silent_user_is_an_empty_transcript(h: Harness) -> None:
    bob = await h.user("Bob", started=False)
    async with h.session.get(f"{h.base}/control/chats/{bob['id']}/messages") as resp:
        assert resp.status == 200
        assert await resp.json() == []
    async with h.session.get(f"{h.base}/control/chats/424242/messages") as resp:
        assert resp.status == 400 and "unknown chat" in (await resp.json())["error"]
    await h.control("send", {"user_id": bob["id"], "chat_id": bob["id"], "text": "hi"})
    messages = await h.get(f"chats/{bob['id']}/messages")
    assert [m["text"] for m in messages] == ["hi"]


async def test_message_view_carries_the_reply_keyboard_it_set(h: Harness) -> None:
    alice = await h.user()
    keyboard = {"keyboard": [[{"text": "Catalog"}]], "resize_keyboard": True}
    await h.ok("sendMessage", chat_id=alice["id"], text="Pick", reply_markup=keyboard)
    await h.ok("sendMessage", chat_id=alice["id"], text="plain")
    await h.ok("sendMessage", chat_id=alice["id"], text="gone", reply_markup={"remove_keyboard": True})
    views = {m["text"]: m for m in await h.get(f"chats/{alice['id']}/messages")}
    assert views["Pick"]["reply_keyboard"]["keyboard"] == [[{"text": "Catalog"}]]
    assert views["Pick"]["reply_keyboard"]["resize_keyboard"] is True
    assert views["plain"]["reply_keyboard"] is None and views["gone"]["reply_keyboard"] is None
    assert "reply_markup" not in views["Pick"]  # Telegram never echoes a reply keyboard in the message


async def test_hashtags_need_a_non_digit(h: Harness) -> None:
    text = "order #1 and #a1 #2b #_x #123 x#no #tea"
    tags = [text[e["offset"] : e["offset"] + e["length"]] for e in auto_entities(text) if e["type"] == "hashtag"]
    assert tags == ["#a1", "#2b", "#_x", "#tea"]
    alice = await h.user()
    sent = await h.ok("sendMessage", chat_id=alice["id"], text="Order #1 for #tea")
    assert sent["entities"] == [{"type": "hashtag", "offset": 13, "length": 4}]


async def test_events_header_reports_current_seq(h: Harness) -> None:
    await h.control("users", {"name": "Carol"})
    async with aiohttp.ClientSession() as session, session.get(f"{h.base}/control/events") as resp:
        events = await resp.json()
        assert resp.headers["X-Event-Seq"] == str(events[-1]["seq"])


async def test_inline_query_offset_and_answer_fields(h: Harness) -> None:
    alice = await h.user()
    asking = asyncio.create_task(h.control("inline", {"user_id": alice["id"], "query": "tea", "offset": "2"}))
    update = (await h.updates(timeout=2))[0]
    await h.updates(offset=update["update_id"] + 1)
    query = update["inline_query"]
    assert (query["query"], query["offset"]) == ("tea", "2")
    results = [{"type": "article", "id": "a", "title": "Tea", "input_message_content": {"message_text": "Tea"}}]
    body = await h.error("answerInlineQuery", inline_query_id=query["id"], results=results, next_offset="9" * 65)
    assert body["description"] == "Bad Request: NEXT_OFFSET_INVALID"
    assert await h.ok(
        "answerInlineQuery",
        inline_query_id=query["id"],
        results=results,
        next_offset="3",
        cache_time=5,
        is_personal=True,
    )
    offered = await asking
    assert (offered["next_offset"], offered["cache_time"], offered["is_personal"]) == ("3", 5, True)
    body = await h.control("inline", {"user_id": alice["id"], "query": "x" * 257}, expect=400)
    assert "at most 256 characters" in body["error"]
