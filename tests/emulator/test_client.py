"""EmulatorClient and the control API against a minimal raw-HTTP bot (echo + CSV export)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.emulator.client import EmulatorClient, EmulatorError
from tests.emulator.conftest import Harness, png


async def _echo_bot(h: Harness) -> None:
    offset = None
    while True:
        params: dict[str, Any] = {"timeout": 1}
        if offset is not None:
            params["offset"] = offset
        for update in await h.updates(**params):
            offset = update["update_id"] + 1
            message = update.get("message") or {}
            chat_id = message.get("chat", {}).get("id")
            if message.get("text") == "/export":
                form = aiohttp.FormData()
                form.add_field("chat_id", str(chat_id))
                form.add_field("document", b"id,total\n1,100\n", filename="orders.csv", content_type="text/csv")
                async with h.session.post(f"{h.api}/sendDocument", data=form) as resp:
                    assert resp.status == 200
            elif "text" in message:
                keyboard = {"keyboard": [["Menu"]], "one_time_keyboard": True}
                await h.ok("sendMessage", chat_id=chat_id, text=f"echo: {message['text']}",
                           message_thread_id=message.get("message_thread_id"), reply_markup=keyboard)


@pytest.fixture
async def echo(h: Harness) -> AsyncIterator[Harness]:
    await h.control("config", {"flood_limits": False})
    task = asyncio.create_task(_echo_bot(h))
    yield h
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


async def test_client_flows(echo: Harness, sb: EmulatorClient) -> None:
    alice = await sb.user("Alice Smith", lang="en", username="alice")
    bob = await sb.user("Bob")
    assert alice.name == "Alice Smith" and alice.username == "alice"
    await alice.send("hello")
    reply = await alice.last_message()
    assert reply is not None and reply.text == "echo: hello"
    assert reply.reply_keyboard == [["Menu"]]
    await alice.press("Menu")
    assert (await alice.last_message()).text == "echo: Menu"  # type: ignore[union-attr]
    await alice.send("/export")
    exported = await alice.last_message()
    assert exported is not None and exported.document is not None
    assert exported.document.file_name == "orders.csv" and exported.document.data == b"id,total\n1,100\n"
    group = await sb.group("Neighbours", members=[alice, bob], supergroup=True, forum=True, bot_admin=True)
    topic = await group.create_topic("Alice")
    await alice.send("/help", chat=group, thread=topic)
    in_topic = await alice.last_message(chat=group, thread=topic)
    assert in_topic is not None and in_topic.text == "echo: /help" and in_topic.thread_id == topic.message_thread_id
    await alice.send_photo(png(50, 50), caption="look")
    photo_echo = [m for m in await alice.messages() if m.photo]
    assert photo_echo and photo_echo[0].caption == "look"
    assert await sb.download(photo_echo[0].photo[-1]["file_id"]) == png(50, 50)  # type: ignore[index]
    with pytest.raises(EmulatorError, match="no message with an inline keyboard"):
        await alice.tap("Nothing")
    state = await sb.state()
    assert {u["first_name"] for u in state["users"]} == {"Alice", "Bob"}
    assert any(c.get("is_forum") for c in state["chats"])
    assert await sb.wait_for(lambda: True, timeout=0.1)
    with pytest.raises(TimeoutError):
        await sb.wait_for(lambda: False, timeout=0.1)


async def test_events_long_poll_and_reset(h: Harness, sb: EmulatorClient) -> None:
    alice = await h.user()
    seen = len(await sb.events())
    polls = h.emu.event_polls_received
    waiting = asyncio.create_task(sb.events(since=seen, timeout=5))
    await asyncio.wait_for(h.event_poll_arrived(polls), timeout=10)
    assert not waiting.done()
    await h.ok("sendMessage", chat_id=alice["id"], text="live")
    events = await waiting
    assert events[0]["type"] == "message" and events[0]["message"]["text"] == "live"
    assert events[0]["seq"] == seen + 1
    await sb.set_time_scale(0.5)
    assert (await sb.state())["config"]["time_scale"] == 0.5
    await sb.reset()
    state = await sb.state()
    assert state["users"] == [] and state["chats"] == []
