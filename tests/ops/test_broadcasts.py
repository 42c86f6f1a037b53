"""Broadcasts: the audience respects opt-outs, blocks and subscriptions; confirm queues each recipient once
however often it is tapped (SQLite and PostgreSQL); rows are spaced at the broadcast pace; end to end the
admin previews, confirms twice, and a Chinese shopper gets the Chinese text once and opts out with a tap."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from sqlalchemy import select, update

from store import audit, broadcasts
from store.db import Database
from store.errors import Conflict
from store.models import OutboxMessage, User
from tests.conftest import ADMIN_ID
from tests.ops.helpers import broadcast_for
from tests.orders.helpers import make_users


async def _rows(db: Database) -> list[OutboxMessage]:
    async with db.read() as session:
        query = select(OutboxMessage).where(OutboxMessage.template == broadcasts.TEMPLATE).order_by(OutboxMessage.id)
        return list((await session.execute(query)).scalars())


async def test_audience_and_idempotent_paced_send(any_db: Database) -> None:
    await make_users(any_db, list(range(1, 11)))
    async with any_db.tx() as session:
        await session.execute(update(User).where(User.id <= 6).values(subscribed_flash=True))
        await session.execute(update(User).where(User.id == 2).values(unreachable=True))
    assert await broadcasts.opt_out(any_db, 3) and not await broadcasts.opt_out(any_db, 3)
    assert await broadcasts.audience_size(any_db, "flash") == 4  # 1, 4, 5, 6
    assert await broadcasts.audience_size(any_db, "all") == 8
    draft = await broadcasts.create_draft(any_db, ADMIN_ID, "flash", "Sale at noon\n---\n中午开抢")
    assert (draft.text_en, draft.text_zh) == ("Sale at noon", "中午开抢")

    async def confirm() -> int | None:
        try:
            return await broadcasts.send(any_db, draft.id, ADMIN_ID, per_second=10)
        except Conflict:
            return None

    results = await asyncio.gather(*(confirm() for _ in range(5)))
    assert sorted(r for r in results if r is not None) == [4] and results.count(None) == 4
    rows = await _rows(any_db)
    assert [r.chat_id for r in rows] == [1, 4, 5, 6]
    gaps = [(b.not_before - a.not_before).total_seconds() for a, b in itertools.pairwise(rows)]
    assert all(gap == pytest.approx(0.1, abs=0.01) for gap in gaps)
    with pytest.raises(Conflict):
        await broadcasts.send(any_db, draft.id, ADMIN_ID, per_second=10)
    assert [e.action for e in await audit.latest(any_db)] == ["broadcast.send"]


async def test_admin_broadcast_end_to_end(shop: Any) -> None:
    admin, (li, alice) = await broadcast_for(shop, "👥 All shoppers (3)", {"李雷": "zh", "Alice": "en"})
    assert "Type the message for 3 recipients" in ((await admin.last_message()).text or "")
    await admin.send("New teas <b>arrived</b>\n---\n新茶到店")
    preview = await admin.last_message()
    assert "3 recipients" in preview.buttons[1][0].text  # the label row above the admin's own buttons
    assert "<b>arrived</b>" in (preview.text or "")  # the admin's text is shown as typed, never as markup
    await admin.tap("🌐 Show the Chinese version", message=preview)
    assert "新茶到店" in ((await admin.last_message()).text or "")
    first = await admin.tap("✅ Send to 3", message=preview)
    assert first.toast is not None and "Sending to 3" in first.toast.text
    await admin.tap_data(preview.button("✅ Send to 3").callback_data or "", message=preview)  # a double tap
    got = await li.bot_says("新茶到店")
    assert "来自店铺的通知" in (got.text or "")
    await alice.bot_says("New teas")
    tapped = await li.tap("🔕 不再接收通知", message=got)
    assert tapped.toast is not None and "不再收到" in tapped.toast.text
    await shop.client.settle()
    assert len(await _rows(shop.db)) == 3
    assert sum(1 for m in await li.messages() if m.from_bot and "新茶到店" in (m.text or "")) == 1
    assert await broadcasts.opted_out(shop.db, li.id)
    assert await broadcasts.audience_size(shop.db, "all") == 2


async def test_broadcast_skips_a_shopper_seen_only_in_a_group(shop: Any) -> None:
    """Gus only ever wrote in a group: he is not counted, nothing is queued for him (a send would be refused
    with 403 "bot can't initiate conversation"), and once he opens the bot he is an ordinary recipient."""
    await shop.client.set_flood_limits(False)
    admin = await shop.client.user("Ada", id=ADMIN_ID)
    await admin.send("/start")
    alice = await shop.client.user("Alice")
    await alice.send("/start")
    gus = await shop.client.user("Gus")
    group = await shop.client.group("Neighbours", members=[alice, gus], bot_admin=True)
    await gus.send("/catalog", chat=group)
    await admin.send("/admin")
    await admin.tap("📣 Broadcast")
    await admin.tap("👥 All shoppers (2)")
    await admin.send("Weekend market")
    preview = await admin.last_message()
    await admin.tap("✅ Send to 2", message=preview)
    await alice.bot_says("Weekend market")
    await shop.client.settle()
    assert sorted(row.user_id for row in await _rows(shop.db)) == sorted([ADMIN_ID, alice.id])
    assert not [m for m in await gus.messages() if m.from_bot and "Weekend market" in (m.text or "")]
    await gus.send("/start")
    assert await broadcasts.audience_size(shop.db, "all") == 3
