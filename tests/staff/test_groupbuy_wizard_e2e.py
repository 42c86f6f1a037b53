"""Issue 14, the leader's /groupbuy wizard by taps: the product tapped or found by name (typos too), price tiers
from presets worked out from the product's own price, the minimum, maximum and per-person limit on one screen of
steppers with defaults from the tiers and the stock (or typed at once), the deadline from buttons, one live
question at the bottom of the chat (older keyboards removed), the price at the minimum stated, at most six taps
from /groupbuy to a published buy, and a published buy closed early."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.emulator.client import ChatHandle, MessageView, UserHandle
from bot.emulator.server import EmulatorConfig
from bot.sandbox import start_stack
from store import groupbuy, users
from store.models.groupbuy import GroupBuy
from tests.conftest import USER_PACE_SECONDS, arm_strict, verify_strict
from tests.groupbuy.helpers import make_product
from tests.shop_clock import shop_fixture_at


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [b.text for row in message.buttons for b in row]


def text_of(message: MessageView | None) -> str:
    assert message is not None
    return message.text or message.caption or ""


async def started(shop: Any, name: str) -> UserHandle:
    user: UserHandle = await shop.client.user(name)
    await user.send("/start")
    return user


async def private(user: UserHandle) -> list[MessageView]:
    return [m for m in await user.messages() if m.from_bot]


async def leader_in_group(shop: Any, *others: UserHandle) -> tuple[UserHandle, ChatHandle]:
    lena = await started(shop, "Lena")
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group("Neighbours", members=[lena, *others], bot_admin=True)
    return lena, group


# 10:00 in the shop (Asia/Shanghai, UTC+8): "Tonight 20:00" is still ahead (after 20:00 it gives way to tomorrow's).
MORNING = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)


morning = shop_fixture_at(MORNING)


async def test_leader_sets_up_a_group_buy_by_taps_with_prices_from_the_product(morning: Any) -> None:
    shop = morning
    await make_product(shop.db, stock=40, price=1690, sku="GB-TEA")  # ¥16.90
    lena, group = await leader_in_group(shop)

    await lena.send("/groupbuy", chat=group)
    picker = await lena.last_message()
    assert "Which product" in text_of(picker) and "SKU" not in " ".join(labels(picker))
    await lena.send("oolong")  # part of the name, never a SKU
    tiers = await lena.last_message()
    assert "«Oolong tea» costs ¥16.90" in text_of(tiers)
    assert "<code>89</code>" not in text_of(tiers) and "13.52" in text_of(tiers), "examples from the real price"
    assert picker is not None
    answered = next(m for m in await private(lena) if m.message_id == picker.message_id)
    assert labels(answered) == [], "the product question lost its buttons once answered"
    assert "3+ ¥15.21 · 10+ ¥13.52" in labels(tiers)

    await lena.tap("3+ ¥15.21 · 10+ ¥13.52")
    counts = await lena.last_message()
    assert counts is not None and tiers is not None
    assert counts.message_id == tiers.message_id, "taps answer the live question in place"
    # Defaults from the tiers and the stock: the minimum is the first tier's 3 people; 40 in stock serve twice
    # the 10 people of the best tier at 2 each, so no maximum.
    assert "People: at least 3, no maximum" in text_of(counts) and "Per person: up to 2" in text_of(counts)
    assert "at most no maximum" not in text_of(counts)
    assert labels(counts)[:9] == ["➖", "👥 at least 3", "➕", "➖", "🔝 no maximum", "·", "➖", "🛍 up to 2 each", "➕"]
    taps = 1
    await lena.tap(row=1, col=0)  # the maximum one step down from none: as many as the stock serves at 2 each
    await lena.tap(row=0, col=0)  # the minimum down to 2
    taps += 2
    counts = await lena.last_message()
    assert counts is not None and counts.message_id == tiers.message_id, "the steppers edit the screen in place"
    assert "People: at least 2, at most 20" in text_of(counts)
    await lena.tap("Continue")
    taps += 1
    deadline = await lena.last_message()
    assert deadline is not None and deadline.message_id == tiers.message_id
    example = re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", text_of(deadline))
    assert example is not None and "UTC+8" in text_of(deadline)
    shown = datetime.strptime(example.group(0), "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    assert shown > datetime.now(ZoneInfo("Asia/Shanghai")), "the example deadline is in the future"
    assert any(label.startswith("Tonight") for label in labels(deadline))
    await lena.tap("48 h after publishing")
    await lena.tap("Central Store")  # two pickup points: a real choice, so the step is asked
    taps += 2
    summary = await lena.last_message()
    assert "People: at least 2, at most 20" in text_of(summary)
    assert "Price with 2 people: ¥16.90 (regular price)" in text_of(summary), "the price at the minimum is stated"
    await lena.tap("Publish")
    taps += 1
    assert taps <= 7
    assert "is live in the group" in text_of(await lena.last_message())
    card = [m for m in await group.messages() if m.from_bot][-1]
    assert "Oolong tea" in text_of(card) and "¥15.21" in text_of(card)
    # Every earlier wizard keyboard is gone: only one Stop set-up ever worked.
    stops = [m for m in await private(lena) if any("Stop set-up" in label for label in labels(m))]
    assert stops == []


async def _published(shop: Any) -> groupbuy.GroupBuyView:
    async with shop.db.read() as session:
        newest = (await session.execute(select(func.max(GroupBuy.id)))).scalar_one()
    return await groupbuy.get(shop.db, int(newest))


async def test_six_taps_from_groupbuy_with_the_product_tapped_and_the_defaults_published(shop: Any) -> None:
    """Issue 14: product, price, counts, deadline, pickup, Publish, nothing typed; what the counts screen
    suggested is what the group gets. A product the leader ran before comes first next time."""
    await make_product(shop.db, stock=40, price=1690, sku="GB-TEA")
    rice = await make_product(shop.db, stock=30, price=5000, sku="GB-RICE", title="Jasmine rice")
    lena, group = await leader_in_group(shop)

    await lena.send("/groupbuy", chat=group)
    picker = await lena.last_message()
    assert labels(picker)[0].startswith("Oolong tea"), "the most stock first before any buy"
    sequence = ["Jasmine rice", "3+ ¥45.00 · 10+ ¥40.00", "Continue", "48 h after publishing", "Central Store"]
    shown = ""
    for label in sequence:
        if label == "Continue":
            shown = text_of(await lena.last_message())
        await lena.tap(label)
    assert "People: at least 3, at most 15" in shown and "Per person: up to 2" in shown, "30 in stock: capped"
    summary = text_of(await lena.last_message())
    assert "People: at least 3, at most 15" in summary and "Per person: up to 2" in summary
    assert "Pickup: Central Store" in summary
    await lena.tap("Publish")
    taps = len(sequence) + 1
    assert taps <= 6
    assert "is live in the group" in text_of(await lena.last_message())
    view = await _published(shop)
    assert view.product.id == rice
    assert (view.min_participants, view.max_participants, view.per_person_limit) == (3, 15, 2)
    assert view.pickup_point == "central"

    await lena.send("/groupbuy", chat=group)
    assert labels(await lena.last_message())[0].startswith("Jasmine rice"), "the leader's recent product first"


async def test_a_double_tap_on_a_stepper_or_publish_acts_once(shop: Any) -> None:
    await make_product(shop.db, stock=40, price=1690, sku="GB-TEA")
    lena, group = await leader_in_group(shop)
    await lena.send("/groupbuy", chat=group)
    await lena.send("oolong")
    await lena.tap("3+ ¥15.21 · 10+ ¥13.52")
    counts = await lena.last_message()
    await asyncio.gather(lena.tap(row=0, col=2, message=counts), lena.tap(row=0, col=2, message=counts))
    assert "People: at least 4, no maximum" in text_of(await lena.last_message()), "one step, not two"
    for label in ("Continue", "48 h after publishing", "Central Store"):
        await lena.tap(label)
    summary = await lena.last_message()
    await asyncio.gather(lena.tap("Publish", message=summary), lena.tap("Publish", message=summary))
    await shop.client.settle()
    cards = [m for m in await group.messages() if m.from_bot and "Oolong tea" in text_of(m)]
    assert len(cards) == 1, "one buy published"


async def test_next_question_goes_below_the_leaders_typed_reply(shop: Any) -> None:
    await make_product(shop.db, stock=40, price=1690, sku="GB-TEA")
    lena, group = await leader_in_group(shop)
    await lena.send("/groupbuy", chat=group)
    await lena.send("NO-SUCH-THING")
    assert "No product matches" in text_of(await lena.last_message())
    await lena.send("gb-tea")  # a SKU still works
    await lena.tap("3+ ¥15.21")
    counts = await lena.last_message()
    await lena.send("0")  # out of range: the error appears below the typed answer
    error = await lena.last_message()
    assert error is not None and error.message_id > counts.message_id  # type: ignore[union-attr]
    await lena.send("50 - 2")  # more people than the stock: refused with the reason
    assert "Only 40 in stock" in text_of(await lena.last_message())
    await lena.tap("Continue", message=counts)  # a tap on the question above
    deadline = await lena.last_message()
    assert deadline is not None and deadline.message_id > error.message_id, "the next question is sent below"
    assert "When does it end" in text_of(deadline)
    above = next(m for m in await private(lena) if m.message_id == counts.message_id)  # type: ignore[union-attr]
    assert labels(above) == [], "the superseded question lost its buttons"


async def test_counts_typed_in_one_message_and_a_misspelt_product_offered_by_the_shops_search(shop: Any) -> None:
    await make_product(shop.db, stock=40, price=1690, sku="GB-TEA")
    await make_product(shop.db, stock=60, price=990, sku="GB-BAN", title="Bananas")
    lena, group = await leader_in_group(shop)
    await lena.send("/groupbuy", chat=group)
    await lena.send("bananna")  # no title contains it: the typo-tolerant search finds the bananas
    offered = await lena.last_message()
    assert "matching «bananna»" in text_of(offered) and labels(offered)[0].startswith("Bananas"), labels(offered)
    await lena.send("oolnog")
    assert labels(await lena.last_message())[0].startswith("Oolong tea"), "a guess is offered, never chosen alone"
    await lena.tap("Oolong tea")
    await lena.tap("3+ ¥15.21 · 10+ ¥13.52")
    await lena.send("2 13 3")  # minimum, maximum, per person
    assert "When does it end" in text_of(await lena.last_message())
    await lena.send("24h")
    await lena.tap("North Community Locker")
    summary = text_of(await lena.last_message())
    assert "People: at least 2, at most 13" in summary and "Per person: up to 3" in summary


async def test_leader_edits_and_closes_early_once_the_minimum_is_reached(shop: Any) -> None:
    await make_product(shop.db, stock=40, price=1690, sku="GB-TEA")
    alice, bob = await started(shop, "Alice"), await started(shop, "Bob")
    lena, group = await leader_in_group(shop, alice, bob)
    await lena.send("/groupbuy", chat=group)
    await lena.send("oolong")
    await lena.tap("3+ ¥15.21")
    await lena.send("2 - 1")  # typed: at least 2, no maximum, 1 each
    for label in ("48 h after publishing", "Central Store", "Publish"):
        await lena.tap(label)
    card = [m for m in await group.messages() if m.from_bot][-1]
    await alice.tap("Join", message=card, chat=group)

    await lena.send("/leader")
    await lena.tap("Oolong tea")
    detail = await lena.last_message()
    assert not any("Close now" in label for label in labels(detail)), "not before the minimum"
    # Live edits of the published buy; whoever joined is told of each change.
    await lena.tap("+24h")
    await lena.tap("Max 15")

    async def told_of(needle: str) -> bool:
        return any(needle in text_of(m) for m in await private(alice))

    await shop.client.wait_for(lambda: told_of("now ends"), timeout=10)
    await shop.client.wait_for(lambda: told_of("at most 15 people"), timeout=10)
    await bob.tap("Join", message=card, chat=group)
    await lena.tap("Back")
    await lena.tap("Oolong tea")
    await lena.tap("Close now")
    await lena.tap("Yes, close now")  # asks first (D12)

    async def told() -> bool:
        last = await alice.last_message()
        return last is not None and "succeeded" in text_of(last)

    await shop.client.wait_for(told, timeout=10)
    assert "1 × ¥16.90" in text_of(await alice.last_message()), "2 people: below the first tier, regular price"


@pytest.fixture
async def one_point_shop(settings: Settings, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """The `shop` stack for a shop with a single pickup point."""
    shop_settings = settings.shop.model_copy(update={"pickup_points": settings.shop.pickup_points[:1]})
    stack = await start_stack(
        settings.model_copy(update={"shop": shop_settings}),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}",
        emulator_config=EmulatorConfig(flood_limits=True, time_scale=1.0, user_pace_seconds=USER_PACE_SECONDS),
    )
    arm_strict(stack, request)
    try:
        yield stack
        await verify_strict(stack, request)
    finally:
        await stack.stop()


async def test_one_pickup_point_is_taken_without_a_question_and_can_still_be_changed(one_point_shop: Any) -> None:
    shop = one_point_shop
    await make_product(shop.db, stock=40, price=1690, sku="GB-TEA")
    lena, group = await leader_in_group(shop)
    await lena.send("/groupbuy", chat=group)
    for label in ("Oolong tea", "3+ ¥15.21 · 10+ ¥13.52", "Continue", "48 h after publishing"):
        await lena.tap(label)
    summary = await lena.last_message()
    assert "Please check" in text_of(summary), "no pickup question: the only point is the answer"
    assert "Pickup: Central Store — 1 Market Street, Gate B" in text_of(summary)
    assert "📍 Change pickup" in labels(summary)
    await lena.tap("Change pickup")
    assert labels(await lena.last_message())[:2] == ["Central Store", "No pickup point"]
    await lena.tap("No pickup point")
    summary = await lena.last_message()
    assert "Pickup: no pickup point (delivery)" in text_of(summary) and "📍 Change pickup" not in labels(summary)
    await lena.tap("Publish")
    assert "is live in the group" in text_of(await lena.last_message())
    assert (await _published(shop)).pickup_point is None


@pytest.mark.seeded
async def test_a_product_tapped_from_a_category(shop: Any) -> None:
    """Through a category the product takes two taps: seven in all while the pickup is a real choice (two
    points), six with one point or none."""
    lena, group = await leader_in_group(shop)
    await lena.send("/groupbuy", chat=group)
    picker = await lena.last_message()
    assert "🗂 Fresh fruit" in labels(picker) and "🗂 Snacks" in labels(picker)
    await lena.tap("Vegetables")
    shelf = await lena.last_message()
    assert shelf is not None and picker is not None and shelf.message_id == picker.message_id, "edited in place"
    assert "Products in «Vegetables»" in text_of(shelf)
    assert any(label.startswith("Baby bok choy") for label in labels(shelf))
    assert not any(label.startswith("Fuji apples") for label in labels(shelf))
    await lena.tap("Back")
    assert "Which product" in text_of(await lena.last_message())
    taps = 0
    for label in ("Fresh fruit", "Fuji apples", "3+ ¥26.91 · 10+ ¥23.92", "Continue", "48 h after publishing"):
        if label == "Fuji apples":
            fruit = labels(await lena.last_message())
            assert not any(offered.startswith("Hainan mangoes") for offered in fruit), "out of stock: not offered"
        await lena.tap(label)
        taps += 1
    await lena.tap("Central Store")
    await lena.tap("Publish")
    taps += 2
    assert taps == 7
    assert "is live in the group" in text_of(await lena.last_message())
    assert "Fuji apples" in (await _published(shop)).title("en")


async def test_counts_that_do_not_fit_are_refused_with_the_reason_and_the_prices_can_be_changed(shop: Any) -> None:
    await make_product(shop.db, stock=5, price=1500, sku="GB-FIVE")
    lena, group = await leader_in_group(shop)
    await lena.send("/groupbuy", chat=group)
    await lena.send("GB-FIVE")
    # 10 people for the best price, 5 in stock: typed (no such preset is offered, test_wizard_buttons_e2e)
    await lena.send("3: 13.50, 10: 12")
    counts = await lena.last_message()
    assert "People: at least 3, at most 5" in text_of(counts) and "Per person: up to 1" in text_of(counts)
    assert "⚠️ These numbers do not fit: A tier needs 10 people but at most 5 can join." in text_of(counts)
    tap = await lena.tap("Continue")
    assert tap.toast is not None and tap.toast.show_alert
    assert "A tier needs 10 people but at most 5 can join" in (tap.toast.text or "")
    assert text_of(await lena.last_message()) == text_of(counts), "nothing changed"
    await lena.tap("Back to the prices")
    assert "«Oolong tea» costs ¥15.00" in text_of(await lena.last_message())
    await lena.tap("5+ ¥12.75")
    fitting = await lena.last_message()
    assert "People: at least 5, at most 5" in text_of(fitting) and "⚠️" not in text_of(fitting)
    assert labels(fitting)[8] == "·", "5 people × 2 each would need 10 units of 5"
    # 2 each (5 people × 2 would need 10 units) is not offered (D11): the ➕ is a dot that says why.
    tap = await lena.tap(row=2, col=2)
    assert tap.toast is not None and "cannot go further" in (tap.toast.text or "")
    assert "Per person: up to 1" in text_of(await lena.last_message())
    for label in ("Continue", "48 h after publishing", "Central Store", "Publish"):
        await lena.tap(label)
    assert "is live in the group" in text_of(await lena.last_message())


async def test_a_chinese_leader_sees_the_counts_screen_in_chinese(shop: Any) -> None:
    await make_product(shop.db, stock=40, price=1690, sku="GB-TEA")
    lilei: UserHandle = await shop.client.user("李雷", lang="zh-hans")
    await lilei.send("/start")
    await users.grant_role(shop.db, lilei.id, "leader")
    group = await shop.client.group("邻居", members=[lilei], bot_admin=True)
    await lilei.send("/groupbuy", chat=group)
    await lilei.tap("乌龙茶")
    await lilei.tap("3+ ¥15.21 · 10+ ¥13.52")
    counts = text_of(await lilei.last_message())
    assert "人数：至少 3，不限人数" in counts and "每人：最多 2 份" in counts, counts
    for label in ("继续", "发布后 48 小时", "中心门店"):
        await lilei.tap(label)
    summary = text_of(await lilei.last_message())
    assert "人数：至少 3，不限人数" in summary and "最多 不限" not in summary
    await lilei.tap("发布到群")
    assert "已在群里发布" in text_of(await lilei.last_message())


@pytest.mark.seeded
async def test_misspelt_names_find_the_demo_catalogs_products(shop: Any) -> None:
    lena, group = await leader_in_group(shop)
    await lena.send("/groupbuy", chat=group)
    for typed, wanted in (("bananna", "Bananas, 1 kg"), ("appels", "Fuji apples, 2 kg")):
        await lena.send(typed)
        offered = await lena.last_message()
        assert f"matching «{typed}»" in text_of(offered) and labels(offered)[0].startswith(wanted), labels(offered)
    await lena.tap("Fuji apples")
    assert "«Fuji apples, 2 kg» costs ¥29.90" in text_of(await lena.last_message())


async def test_every_counts_button_double_tapped_is_answered_without_an_error(shop: Any) -> None:
    """Each stepper, label and dot of the counts screen tapped twice at once (the strict fixture fails on any
    Bot API error or unanswered tap): one acts, the other is quiet, and Continue still works."""
    await shop.client.set_flood_limits(False)
    await make_product(shop.db, stock=12, price=1690, sku="GB-TEA")
    lena, group = await leader_in_group(shop)
    await lena.send("/groupbuy", chat=group)
    await lena.send("oolong")
    await lena.tap("3+ ¥15.21 · 10+ ¥13.52")
    for row, col in [(r, c) for r in range(3) for c in range(3)] * 2:
        screen = await lena.last_message()
        taps = await asyncio.gather(
            lena.tap(row=row, col=col, message=screen), lena.tap(row=row, col=col, message=screen)
        )
        assert all(tap.raw.get("answered") for tap in taps), (row, col, taps)
    await shop.client.settle()
    text = text_of(await lena.last_message())
    assert "People: at least" in text
    await lena.tap("Continue")  # every value a stepper set was checked first, so what is shown fits
    assert "When does it end" in text_of(await lena.last_message())
