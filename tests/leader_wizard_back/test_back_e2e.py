"""Outside tester: a leader who picked the wrong deadline in the group-buy set-up had to stop and start over.
Now the deadline, pickup and preview steps carry «⬅️ Back» (the calendar and the hour picker their own), each
going one step back with what was chosen kept, and forward again works: the group gets what was chosen after
going back. English and Chinese, one pickup point or two. Real bot, emulator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import tap_guard
from bot.emulator.client import ChatHandle, MessageView, UserHandle
from store import groupbuy, users
from store.models import utcnow
from tests.groupbuy.helpers import make_product
from tests.shop_clock import shop_fixture_at
from tests.staff.test_groupbuy_wizard_e2e import labels, leader_in_group, one_point_shop, text_of

__all__ = ["one_point_shop"]  # the fixture, imported for pytest

# 10:00 on 30 December in the shop (Asia/Shanghai, UTC+8): the calendar's days are known.
morning = shop_fixture_at(datetime(2026, 12, 30, 2, 0, tzinfo=UTC))

BACK = {"en": "⬅️ Back", "zh": "⬅️ 返回"}


async def same_screen(user: UserHandle, before: MessageView | None) -> MessageView:
    """The bot's latest message, which must be `before` edited in place (a step back replaces the question)."""
    shown = await user.last_message()
    assert shown is not None and before is not None and shown.message_id == before.message_id
    return shown


async def oolong_wizard(shop: Any) -> tuple[UserHandle, ChatHandle]:
    """Lena, a leader in a group, has started a set-up from the group and picked the Oolong tea (40 in stock)."""
    await make_product(shop.db, stock=40, price=1690, sku="GB-TEA")
    lena, group = await leader_in_group(shop)
    await lena.send("/groupbuy", chat=group)
    await lena.send("oolong")
    return lena, group


async def chinese_wizard(shop: Any) -> UserHandle:
    """李雷, a Chinese leader in the group 邻居, has started a set-up from the group (Oolong tea, 40 in stock)."""
    await make_product(shop.db, stock=40, price=1690, sku="GB-TEA")
    li = await shop.client.user("李雷", lang="zh-hans")
    await li.send("/start")
    await users.grant_role(shop.db, li.id, "leader")
    group = await shop.client.group("邻居", members=[li], bot_admin=True)
    await li.send("/groupbuy", chat=group)
    return li


async def a_person_reads_first() -> None:
    """The same button on the same message tapped again within a second is taken for a double tap (bot.tap_guard,
    on real time): a person reads the screen they came back to before tapping «Continue» again."""
    await asyncio.sleep(tap_guard.WINDOW_SECONDS)


async def _published(shop: Any, leader: UserHandle) -> groupbuy.GroupBuyView:
    [line] = (await groupbuy.leader_overview(shop.db, leader.id)).open
    return line.group_buy


async def test_back_from_the_deadline_to_the_counts_keeps_them_and_the_changed_counts_are_published(
    morning: Any,
) -> None:
    shop = morning
    lena, _group = await oolong_wizard(shop)
    await lena.tap("3+ ¥15.21 · 10+ ¥13.52")
    await lena.tap(row=0, col=0)  # the minimum 3 -> 2
    await lena.tap("Continue")
    deadline = await lena.last_message()
    assert "When does it end" in text_of(deadline) and BACK["en"] in labels(deadline), labels(deadline)

    await lena.tap(BACK["en"])
    counts = await same_screen(lena, deadline)
    assert "People: at least 2, no maximum" in text_of(counts), "the minimum chosen before is kept"
    assert "Per person: up to 2" in text_of(counts)
    await lena.tap(row=0, col=2)  # 2 -> 3
    await lena.tap(row=0, col=2)  # 3 -> 4
    assert "People: at least 4, no maximum" in text_of(await lena.last_message())
    await a_person_reads_first()
    await lena.tap("Continue")
    assert "When does it end" in text_of(await same_screen(lena, deadline))
    await lena.tap("48 h after publishing")
    await lena.tap("Central Store")
    summary = text_of(await same_screen(lena, deadline))
    assert "People: at least 4, no maximum" in summary and "Pickup: Central Store" in summary, summary
    await lena.tap("Publish")
    assert "is live in the group" in text_of(await lena.last_message())
    view = await _published(shop, lena)
    assert (view.min_participants, view.max_participants, view.per_person_limit) == (4, None, 2)


async def test_back_from_the_preview_to_the_pickup_and_the_deadline_publishes_the_new_deadline(
    morning: Any,
) -> None:
    shop = morning
    lena, group = await oolong_wizard(shop)
    for label in ("3+ ¥15.21 · 10+ ¥13.52", "Continue", "48 h after publishing", "North Community Locker"):
        await lena.tap(label)
    summary = await lena.last_message()
    assert "Ends: 2d 0h after publishing" in text_of(summary) and BACK["en"] in labels(summary)

    await lena.tap(BACK["en"])  # two pickup points: the pickup question was asked, so back to it
    pickup = await same_screen(lena, summary)
    assert "Pickup point?" in text_of(pickup) and labels(pickup)[:2] == ["Central Store", "North Community Locker"]
    await lena.tap(BACK["en"])
    deadline = await same_screen(lena, summary)
    assert "When does it end" in text_of(deadline), text_of(deadline)

    # The calendar's screens go back one at a time too: hours -> days -> the deadline question.
    await lena.tap("Pick a day and hour")
    await lena.tap("31")
    assert "2026-12-31" in text_of(await same_screen(lena, summary))
    await lena.tap(BACK["en"])
    assert "Which day does it end?" in text_of(await same_screen(lena, summary))
    await lena.tap(BACK["en"])
    assert "When does it end" in text_of(await same_screen(lena, summary))
    await lena.tap("Pick a day and hour")
    await lena.tap("31")
    await lena.tap("15:00")
    await lena.tap("Central Store")
    summary = await same_screen(lena, summary)
    assert "Ends: 2026-12-31 15:00 UTC+8" in text_of(summary) and "Pickup: Central Store" in text_of(summary)
    await lena.tap("Publish")
    assert "is live in the group" in text_of(await lena.last_message())
    view = await _published(shop, lena)
    assert view.deadline == datetime(2026, 12, 31, 7, 0, tzinfo=UTC), "the deadline chosen after going back"
    assert view.pickup_point == "central"
    card = [m for m in await group.messages() if m.from_bot][-1]
    assert "Ends 2026-12-31 15:00 UTC+8" in text_of(card)


async def test_chinese_leader_with_one_pickup_point_goes_back_from_the_preview_to_the_deadline(
    one_point_shop: Any,
) -> None:
    shop = one_point_shop
    li = await chinese_wizard(shop)
    for label in ("乌龙茶", "3+ ¥15.21 · 10+ ¥13.52", "继续"):
        await li.tap(label)
    deadline = await li.last_message()
    assert "何时截止" in text_of(deadline) and BACK["zh"] in labels(deadline), labels(deadline)
    await li.tap(BACK["zh"])
    counts = await same_screen(li, deadline)
    assert "人数：至少 3，不限人数" in text_of(counts) and BACK["zh"] not in labels(counts)
    await a_person_reads_first()
    await li.tap("继续")
    await li.tap("发布后 48 小时")
    summary = await same_screen(li, deadline)
    assert "截止：发布后 2天0小时" in text_of(summary) and "自提：中心门店" in text_of(summary), text_of(summary)

    await li.tap(BACK["zh"])  # the only pickup point was taken without a question: back to the deadline
    assert "何时截止" in text_of(await same_screen(li, deadline))
    await li.send("3天")
    summary = await li.last_message()
    assert "截止：发布后 3天0小时" in text_of(summary) and "自提：中心门店" in text_of(summary), text_of(summary)
    before = utcnow()
    await li.tap("发布到群")
    after = utcnow()
    assert "已在群里发布" in text_of(await li.last_message())
    view = await _published(shop, li)
    assert before + timedelta(days=3) <= view.deadline <= after + timedelta(days=3)
    assert view.pickup_point == "central"
