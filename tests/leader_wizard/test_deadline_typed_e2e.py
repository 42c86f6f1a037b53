"""Outside tester: "1m" typed at the group-buy deadline step published a buy that ended one minute later. Now a
leader new to the bot, in English or Chinese, is asked whether "m" means minutes or months, is told that a buy
runs at least an hour (with examples of what works), and a Chinese duration such as 3天 or 2小时 goes through to
a published buy that ends that long after Publish. Real bot, emulator."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.emulator.client import UserHandle
from store import groupbuy, users
from store.models import utcnow
from tests.groupbuy.helpers import make_product
from tests.staff.test_groupbuy_wizard_e2e import text_of


async def leader_at_deadline(shop: Any, name: str, lang: str) -> UserHandle:
    """A user the bot has never seen, made a leader, at the deadline step (everything before it typed)."""
    await make_product(shop.db, stock=40, price=10000, sku="GB-TEA")
    leader = await shop.client.user(name, lang=lang)
    await leader.send("/start")
    await users.grant_role(shop.db, leader.id, "leader")
    group = await shop.client.group("Neighbours", members=[leader], bot_admin=True)
    await leader.send("/groupbuy", chat=group)
    for answer in ("GB-TEA", "3+ 10%", "2 - 1"):
        await leader.send(answer)
    return leader


async def _answer(leader: UserHandle, typed: str) -> str:
    await leader.send(typed)
    return text_of(await leader.last_message())


async def test_english_leader_is_asked_about_m_and_refused_under_an_hour(shop: Any) -> None:
    lena = await leader_at_deadline(shop, "Lena", "en")
    prompt = text_of(await lena.last_message())
    assert "90min" in prompt and "from 1 hour to 14 days" in prompt, prompt

    asked = await _answer(lena, "1m")
    assert "Does «1m» mean minutes or months?" in asked and "from 1 hour to 14 days" in asked, asked
    assert "Pickup point" not in asked, "nothing was taken: the step is still the deadline"
    refused = await _answer(lena, "30min")
    assert "too soon" in refused and "at least 1 hour" in refused and "2h" in refused, refused
    assert "at most 14 days" in await _answer(lena, "1mo")

    await lena.send("2h")
    await lena.tap("No pickup point")
    assert "Ends: 2h 0m after publishing" in text_of(await lena.last_message())
    before = utcnow()
    await lena.tap("Publish")
    after = utcnow()
    assert "is live in the group" in text_of(await lena.last_message())
    [line] = (await groupbuy.leader_overview(shop.db, lena.id)).open
    assert before + timedelta(hours=2) <= line.group_buy.deadline <= after + timedelta(hours=2)


async def test_chinese_leader_gets_the_same_in_chinese_and_3_days_is_taken(shop: Any) -> None:
    li = await leader_at_deadline(shop, "李雷", "zh")
    prompt = text_of(await li.last_message())
    assert "2小时" in prompt and "1 小时到 14 天" in prompt, prompt

    asked = await _answer(li, "1m")
    assert "「1m」是指分钟还是月" in asked and "<code>" not in asked, asked
    refused = await _answer(li, "30分钟")
    assert "至少 1 小时" in refused and "3天" in refused, refused
    refused = await _answer(li, "45min")
    assert "至少 1 小时" in refused, refused

    await li.send("3天")
    await li.tap("不设自提点")
    assert "截止：发布后 3天0小时" in text_of(await li.last_message())
    before = utcnow()
    await li.tap("发布到群")
    after = utcnow()
    [line] = (await groupbuy.leader_overview(shop.db, li.id)).open
    assert before + timedelta(days=3) <= line.group_buy.deadline <= after + timedelta(days=3)
