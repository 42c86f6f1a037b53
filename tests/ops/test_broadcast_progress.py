"""Broadcast progress and Pause / Resume. On the store: a paused broadcast's rows are held (the outbox claims
none of them), a row a sender claimed before the pause is not sent after it, Resume re-queues exactly the held
rows, and the figures are counted from rows, so a new process reads the same progress. End to end: the admin's
preview becomes a live progress message edited in place (never to the same text), Pause stops delivery,
Resume finishes it, and every shopper gets the message exactly once, also when the bot restarts while the
broadcast is paused."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from store import audit, broadcasts, outbox_rows, scheduling
from store.db import Database
from store.models import OutboxMessage
from tests.conftest import ADMIN_ID, make_test_settings
from tests.orders.helpers import make_users


@pytest.fixture
def settings() -> Settings:
    # Four a second: a ten-shopper broadcast takes a few seconds, time enough to pause it halfway.
    return make_test_settings(ops={"broadcast_per_second": 4, "broadcast_progress_seconds": 0.5})


async def _statuses(db: Database, broadcast_id: int) -> Counter[str]:
    async with db.read() as session:
        rows = (
            await session.execute(
                select(OutboxMessage.status).where(OutboxMessage.dedupe_key.like(f"bc:{broadcast_id}:%"))
            )
        ).scalars()
        return Counter(rows)


async def test_pause_holds_rows_and_resume_requeues_them(any_db: Database) -> None:
    await make_users(any_db, list(range(1, 11)))
    draft = await broadcasts.create_draft(any_db, ADMIN_ID, "all", "Hello")
    assert await broadcasts.send(any_db, draft.id, ADMIN_ID, per_second=1000, progress_message_id=77) == 10
    claimed = await outbox_rows.claim_due(any_db, 4)  # a sender took four rows...
    await outbox_rows.mark(any_db, claimed[0].id, "sent")  # ...and sent one before the pause
    await outbox_rows.mark(any_db, claimed[1].id, "unreachable")
    assert await broadcasts.still_to_send(any_db, claimed[2].id)
    assert await broadcasts.pause(any_db, draft.id, ADMIN_ID)
    assert not await broadcasts.pause(any_db, draft.id, ADMIN_ID)  # a second tap changes nothing
    assert await _statuses(any_db, draft.id) == Counter({"held": 8, "sent": 1, "unreachable": 1})
    # The claimed rows are checked just before sending: neither goes out while paused.
    assert not await broadcasts.still_to_send(any_db, claimed[2].id)
    assert not await broadcasts.still_to_send(any_db, claimed[3].id)
    assert await outbox_rows.claim_due(any_db, 50) == []  # nothing of the broadcast is due while paused

    # A fresh reading (as a restarted process makes) counts the same figures from the rows.
    p = await broadcasts.progress(any_db, draft.id)
    assert (p.status, p.total, p.sent, p.failed, p.blocked, p.waiting, p.in_flight) == ("paused", 10, 1, 0, 1, 8, 0)
    async with any_db.read() as session:
        jobs = [j for j in await scheduling.pending_jobs(session) if j.kind == broadcasts.PROGRESS_JOB]
    assert [(r.broadcast_id, r.message_id) for r in (broadcasts.ProgressRef.parse(j.ref) for j in jobs)] == [
        (draft.id, 77)
    ]

    assert await broadcasts.resume(any_db, draft.id, ADMIN_ID, per_second=1000)
    assert not await broadcasts.resume(any_db, draft.id, ADMIN_ID, per_second=1000)
    assert await _statuses(any_db, draft.id) == Counter({"pending": 8, "sent": 1, "unreachable": 1})
    await asyncio.sleep(0.02)  # the requeued rows are spaced 1 ms apart from now
    again = await outbox_rows.claim_due(any_db, 50)
    assert sorted(r.chat_id for r in again) == sorted({r.chat_id for r in claimed[2:]} | set(range(5, 11)))
    for row in again:
        await outbox_rows.mark(any_db, row.id, "sent")
    done = await broadcasts.progress(any_db, draft.id)
    assert (done.status, done.sent, done.blocked, done.waiting, done.finished) == ("done", 9, 1, 0, True)
    assert not await broadcasts.pause(any_db, draft.id, ADMIN_ID)  # nothing left to hold: it is done
    assert (await broadcasts.get(any_db, draft.id)).status == "done"
    actions = [e.action for e in await audit.latest(any_db)]
    assert actions[:3] == ["broadcast.resume", "broadcast.pause", "broadcast.send"]


async def test_the_sender_sends_none_of_its_claimed_rows_after_a_pause(db: Database, settings: Settings) -> None:
    """The sender claimed the whole batch; Pause lands while it sends the first: the other five stay held."""
    from bot.app import standard_wiring
    from bot.context import AppContext
    from bot.outbox import OutboxSender
    from tests.stubs import stub_bot

    await make_users(db, list(range(1, 7)))
    draft = await broadcasts.create_draft(db, ADMIN_ID, "all", "Hello")
    await broadcasts.send(db, draft.id, ADMIN_ID, per_second=1000)
    await asyncio.sleep(0.01)  # all six rows due
    bot, stub = stub_bot()
    sent_before = stub.make_request

    async def pause_on_first_send(bot_: Any, method: Any, timeout: int | None = None) -> Any:
        if not stub.sent:
            assert await broadcasts.pause(db, draft.id, ADMIN_ID)
        return await sent_before(bot_, method, timeout)

    stub.make_request = pause_on_first_send  # type: ignore[method-assign]
    sender = OutboxSender(AppContext(settings=settings, db=db, bot=bot, wiring=standard_wiring()))
    assert await sender.drain_once()
    assert len(stub.sent) == 1
    assert await _statuses(db, draft.id) == Counter({"sent": 1, "held": 5})
    assert not await sender.drain_once()
    assert await broadcasts.resume(db, draft.id, ADMIN_ID, per_second=1000)
    await asyncio.sleep(0.01)
    while await sender.drain_once():
        pass
    assert sorted(params["chat_id"] for _m, params in stub.sent) == [1, 2, 3, 4, 5, 6]


def test_the_progress_chain_rests_only_when_nothing_can_change() -> None:
    ref = broadcasts.ProgressRef(7, 70, 0, "aaaa0000")

    def at(status: str, sent: int) -> broadcasts.Progress:
        return broadcasts.Progress(7, 1, status, 10, sent, 0, 0, 10 - sent, 0)

    assert broadcasts.ProgressRef.parse(ref.pack()) == ref
    sending = broadcasts.next_step(ref, at("sending", 3))
    assert sending is not None and (sending.parity, sending.shown, sending.quiet) == (
        1,
        at("sending", 3).fingerprint,
        0,
    )
    assert broadcasts.next_step(ref, at("done", 10)) is None
    step: broadcasts.ProgressRef | None = ref
    paused = at("paused", 4)
    steps = 0
    while step is not None:  # a late send shows up, then the figures stand still for the quiet steps
        step = broadcasts.next_step(step, paused)
        steps += 1
    assert steps == broadcasts.PAUSED_QUIET_STEPS + 1


async def _wait_sent(shop: Any, broadcast_id: int, at_least: int) -> Counter[str]:
    async def enough() -> Counter[str] | None:
        counts = await _statuses(shop.db, broadcast_id)
        return counts if counts["sent"] >= at_least else None

    found: Counter[str] = await shop.client.wait_for(enough, timeout=20)
    return found


@pytest.mark.api_errors("bot can't initiate conversation with a user")  # two shoppers never opened the bot
async def test_progress_pause_and_resume_end_to_end(shop: Any) -> None:
    await shop.client.set_flood_limits(False)
    admin = await shop.client.user("Ada", id=ADMIN_ID)
    await admin.send("/start")
    shoppers = [await shop.client.user(f"Shopper {i}", lang="zh" if i % 2 else "en") for i in range(8)]
    await asyncio.gather(*(s.send("/start") for s in shoppers))
    silent = [await shop.client.user(f"Silent {i}") for i in range(2)]  # known to the shop, never started
    await make_users(shop.db, [s.id for s in silent])

    await admin.send("/admin")
    await admin.tap("📣 Broadcast")
    await admin.tap("👥 All shoppers (11)")
    await admin.send("Spring teas are in\n---\n春茶到店")
    preview = await admin.last_message()
    assert preview is not None
    tapped = await admin.tap("✅ Send to 11", message=preview)
    assert tapped.toast is not None
    broadcast_id = (await _first_broadcast(shop.db)).id

    await _wait_sent(shop, broadcast_id, 3)
    live = next(m for m in await admin.messages() if m.message_id == preview.message_id)
    assert "Broadcast #" in (live.text or "") and live.buttons[0][0].text == "⏸ Pause"
    paused = await admin.tap("⏸ Pause", message=live)
    assert paused.toast is not None and "Paused" in paused.toast.text
    await shop.client.settle()
    held = await _statuses(shop.db, broadcast_id)
    assert held["held"] > 0 and held["pending"] == 0, held

    async def delivered_matches_rows() -> Counter[str] | None:
        # A message being sent as Pause landed is delivered and then marked sent by its sender.
        counts = await _statuses(shop.db, broadcast_id)
        received = [await _got(s) for s in [*shoppers, admin]]
        assert max(received) <= 1
        return counts if sum(received) == counts["sent"] and not counts["sending"] else None

    held = await shop.client.wait_for(delivered_matches_rows, timeout=10)
    assert held["held"] > 0 and held["sent"] >= 3, held

    async def shows_the_rows() -> Any:
        # A send that was under way as Pause landed is counted by the next progress step (throttled).
        current = next(m for m in await admin.messages() if m.message_id == preview.message_id)
        return current if f"Sent {held['sent']} of 11" in (current.text or "") else None

    view = await shop.client.wait_for(shows_the_rows, timeout=10)
    assert "paused" in (view.text or "") and view.buttons[0][0].text == "▶️ Resume"
    again = await admin.tap("▶️ Resume", message=view)
    assert again.toast is not None and again.toast.text == "Resumed."

    async def finished() -> str | None:
        current = next(m for m in await admin.messages() if m.message_id == preview.message_id)
        return current.text if current.text and "finished" in current.text else None

    final = await shop.client.wait_for(finished, timeout=30)
    assert "Sent 9 of 11 · ❌ failed 0 · 🚫 blocked 2" in final
    assert not next(m for m in await admin.messages() if m.message_id == preview.message_id).buttons
    assert await _statuses(shop.db, broadcast_id) == Counter({"sent": 9, "unreachable": 2})
    assert [await _got(s) for s in [*shoppers, admin]] == [1] * 9  # nobody twice, nobody skipped
    zh = next(m for m in await shoppers[1].messages() if m.from_bot and "春茶到店" in (m.text or ""))
    assert zh is not None

    edits = [
        c["params"].get("text")
        for c in await shop.client.calls("editMessageText")
        if int(c["params"].get("message_id", 0)) == preview.message_id and c.get("ok")
    ]
    assert len(edits) >= 3  # sending, paused, finished at least
    assert all(a != b for a, b in itertools.pairwise(edits)), edits  # never an edit to the same text
    async with shop.db.read() as session:
        assert not [j for j in await scheduling.pending_jobs(session) if j.kind == broadcasts.PROGRESS_JOB]
    actions = [e.action for e in await audit.latest(shop.db)]
    assert {"broadcast.send", "broadcast.pause", "broadcast.resume"} <= set(actions)


async def _got(user: Any) -> int:
    return sum(
        1
        for m in await user.messages()
        # The broadcast itself: from the bot, with the shop's footer (never the admin's own typed text).
        if m.from_bot and ("Spring teas" in (m.text or "") or "春茶到店" in (m.text or ""))
    )


async def _first_broadcast(db: Database) -> Any:
    from store.models.ops import Broadcast

    async with db.read() as session:
        return (await session.execute(select(Broadcast).order_by(Broadcast.id))).scalars().first()


# The old process's last long poll may still be open at the emulator when the new process polls.
@pytest.mark.api_errors("terminated by other getUpdates request")
async def test_paused_broadcast_survives_a_restart(shop: Any) -> None:
    await shop.client.set_flood_limits(False)
    admin = await shop.client.user("Ada", id=ADMIN_ID, lang="zh")
    await admin.send("/start")
    shoppers = [await shop.client.user(f"Shopper {i}") for i in range(7)]
    await asyncio.gather(*(s.send("/start") for s in shoppers))
    await admin.send("/admin")
    await admin.tap("📣 群发消息")
    await admin.tap("👥 全部顾客（8）")
    await admin.send("Spring teas are in")
    preview = await admin.last_message()
    assert preview is not None
    await admin.tap("✅ 发送给 8 人", message=preview)
    broadcast_id = (await _first_broadcast(shop.db)).id
    await _wait_sent(shop, broadcast_id, 2)
    live = next(m for m in await admin.messages() if m.message_id == preview.message_id)
    assert live.buttons[0][0].text == "⏸ 暂停"
    await admin.tap("⏸ 暂停", message=live)

    async def settled() -> broadcasts.Progress | None:
        p = await broadcasts.progress(shop.db, broadcast_id)
        received = sum([await _got(s) for s in [*shoppers, admin]])
        return p if not p.in_flight and received == p.sent else None

    before = await shop.client.wait_for(settled, timeout=10)
    assert before.status == "paused" and before.waiting > 0

    await shop.restart_bot()
    after = await broadcasts.progress(shop.db, broadcast_id)
    assert after == before  # the figures are the rows, not anything the old process kept
    await shop.client.settle()
    assert sum([await _got(s) for s in [*shoppers, admin]]) == before.sent  # still paused after the restart

    async def shows_the_rows() -> Any:
        current = next(m for m in await admin.messages() if m.message_id == preview.message_id)
        return current if f"已发送 {before.sent}/8" in (current.text or "") else None

    shown = await shop.client.wait_for(shows_the_rows, timeout=10)
    assert "已暂停" in (shown.text or "")
    resumed = await admin.tap("▶️ 继续", message=shown)  # the new process takes the old message's button
    assert resumed.toast is not None and resumed.toast.text == "已继续发送。"

    async def finished() -> str | None:
        current = next(m for m in await admin.messages() if m.message_id == preview.message_id)
        return current.text if current.text and "已完成" in current.text else None

    final = await shop.client.wait_for(finished, timeout=30)
    assert "已发送 8/8 · ❌ 失败 0 · 🚫 已屏蔽 0" in final
    assert [await _got(s) for s in [*shoppers, admin]] == [1] * 8
