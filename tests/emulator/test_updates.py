"""getUpdates: offsets, limits, long polling, allowed_updates, conflicts."""

from __future__ import annotations

import asyncio
import time

from tests.emulator.conftest import Harness


async def _three_messages(h: Harness) -> dict[str, object]:
    alice = await h.user()
    for text in ("one", "two", "three"):
        await h.control("send", {"user_id": alice["id"], "text": text})
    return alice


async def test_update_ids_increase_by_one_and_offset_confirms(h: Harness) -> None:
    await _three_messages(h)
    got = await h.updates()
    assert [u["message"]["text"] for u in got] == ["one", "two", "three"]
    ids = [u["update_id"] for u in got]
    assert ids == list(range(ids[0], ids[0] + 3))
    again = await h.updates()  # not confirmed yet: same updates
    assert [u["update_id"] for u in again] == ids
    rest = await h.updates(offset=ids[1])
    assert [u["update_id"] for u in rest] == ids[1:]
    assert await h.updates(offset=ids[2] + 1) == []


async def test_limit_and_negative_offset(h: Harness) -> None:
    await _three_messages(h)
    assert [u["message"]["text"] for u in await h.updates(limit=2)] == ["one", "two"]
    assert len(await h.updates(limit=0)) == 1  # clamped to 1..100 like Telegram
    assert len(await h.updates(limit=500)) == 3
    last = await h.updates(offset=-1)
    assert [u["message"]["text"] for u in last] == ["three"]
    assert [u["message"]["text"] for u in await h.updates()] == ["three"]  # older ones were forgotten


async def test_long_poll_waits_then_returns_new_update(h: Harness) -> None:
    alice = await h.user()
    started = time.monotonic()
    assert await h.updates(timeout=0) == []
    assert time.monotonic() - started < 0.5

    polls = h.emu.queue.polls_received
    waiting = asyncio.create_task(h.updates(timeout=5))
    await asyncio.wait_for(h.poll_arrived(polls), timeout=10)
    for _ in range(20):
        await asyncio.sleep(0)
    assert not waiting.done(), "a long poll with nothing pending waits"
    await h.control("send", {"user_id": alice["id"], "text": "wake up"})
    got = await asyncio.wait_for(waiting, timeout=10)
    assert [u["message"]["text"] for u in got] == ["wake up"]
    started = time.monotonic()
    assert await h.updates(offset=got[0]["update_id"] + 1, timeout=1) == []
    assert time.monotonic() - started >= 0.9


async def test_allowed_updates_filters_new_updates(h: Harness) -> None:
    alice = await h.user()
    await h.updates(allowed_updates=["callback_query"])
    await h.control("send", {"user_id": alice["id"], "text": "ignored"})
    assert await h.updates() == []
    assert h.emu.queue.dropped[-1]["message"]["text"] == "ignored"
    await h.updates(allowed_updates=[])  # empty list: back to the default set
    await h.control("send", {"user_id": alice["id"], "text": "seen"})
    assert [u["message"]["text"] for u in await h.updates()] == ["seen"]


async def test_chat_member_updates_only_when_asked_for(h: Harness) -> None:
    alice = await h.user()
    bob = await h.user("Bob")
    group = await h.group([alice], bot_admin=True)
    await h.control(f"chats/{group['id']}/members", {"user_id": bob["id"], "status": "member"})
    kinds = [next(k for k in u if k != "update_id") for u in await h.drain()]
    assert "chat_member" not in kinds and "message" in kinds  # default excludes chat_member
    await h.updates(allowed_updates=["message", "chat_member", "my_chat_member"])
    await h.control(f"chats/{group['id']}/members", {"user_id": bob["id"], "status": "left"})
    got = await h.drain()
    member = next(u["chat_member"] for u in got if "chat_member" in u)
    assert member["old_chat_member"]["status"] == "member"
    assert member["new_chat_member"]["status"] == "left"
    assert member["new_chat_member"]["user"]["id"] == bob["id"]
    assert any(u.get("message", {}).get("left_chat_member", {}).get("id") == bob["id"] for u in got)


async def test_second_poller_terminates_first_with_conflict(h: Harness) -> None:
    polls = h.emu.queue.polls_received
    first = asyncio.create_task(h.call("getUpdates", timeout=5))
    await asyncio.wait_for(h.poll_arrived(polls), timeout=10)
    second = asyncio.create_task(h.call("getUpdates", timeout=0))
    status, body = await first
    await second
    assert status == 409
    assert body["description"] == ("Conflict: terminated by other getUpdates request; make sure that only one "
                                   "bot instance is running")
