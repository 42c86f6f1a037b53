"""Issue 14, the leader's /groupbuy wizard by taps: the product found by name, price tiers from presets worked
out from the product's own price, counts and deadline from buttons, one live question at the bottom of the
chat (older keyboards removed), the price at the minimum stated, and a published buy closed early."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.emulator.client import ChatHandle, MessageView, UserHandle
from store import users
from tests.groupbuy.helpers import make_product


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


async def test_leader_sets_up_a_group_buy_by_taps_with_prices_from_the_product(shop: Any) -> None:
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

    taps = 0
    for label in ("3+ ¥15.21 · 10+ ¥13.52", "2", "20", "2"):  # 20 people × 2 fit the 40 in stock
        await lena.tap(label)
        taps += 1
    deadline = await lena.last_message()
    assert deadline is not None and tiers is not None
    assert deadline.message_id == tiers.message_id, "taps answer the live question in place"
    example = re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", text_of(deadline))
    assert example is not None and "UTC+8" in text_of(deadline)
    shown = datetime.strptime(example.group(0), "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    assert shown > datetime.now(ZoneInfo("Asia/Shanghai")), "the example deadline is in the future"
    assert any(label.startswith("Tonight") for label in labels(deadline))
    await lena.tap("48 h after publishing")
    await lena.tap("Central Store")
    taps += 2
    summary = await lena.last_message()
    assert "at least 2, at most 20" in text_of(summary)
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


async def test_next_question_goes_below_the_leaders_typed_reply(shop: Any) -> None:
    await make_product(shop.db, stock=40, price=1690, sku="GB-TEA")
    lena, group = await leader_in_group(shop)
    await lena.send("/groupbuy", chat=group)
    await lena.send("NO-SUCH-THING")
    assert "No product matches" in text_of(await lena.last_message())
    await lena.send("gb-tea")  # a SKU still works
    await lena.tap("3+ ¥15.21")
    minimum = await lena.last_message()
    await lena.send("0")  # out of range: the error appears below the typed answer
    error = await lena.last_message()
    assert error is not None and error.message_id > minimum.message_id  # type: ignore[union-attr]
    await lena.tap("2", message=minimum)  # a tap on the question above
    maximum = await lena.last_message()
    assert maximum is not None and maximum.message_id > error.message_id, "the next question is sent below"
    assert "Maximum number of people" in text_of(maximum)
    above = next(m for m in await private(lena) if m.message_id == minimum.message_id)  # type: ignore[union-attr]
    assert labels(above) == [], "the superseded question lost its buttons"


async def test_leader_edits_and_closes_early_once_the_minimum_is_reached(shop: Any) -> None:
    await make_product(shop.db, stock=40, price=1690, sku="GB-TEA")
    alice, bob = await started(shop, "Alice"), await started(shop, "Bob")
    lena, group = await leader_in_group(shop, alice, bob)
    await lena.send("/groupbuy", chat=group)
    await lena.send("oolong")
    for label in ("3+ ¥15.21", "2", "No maximum", "1", "48 h after publishing", "Central Store", "Publish"):
        await lena.tap(label)
    card = [m for m in await group.messages() if m.from_bot][-1]
    await alice.tap("Join", message=card, chat=group)

    await lena.send("/leader")
    await lena.tap("Oolong tea")
    detail = await lena.last_message()
    assert not any("Close now" in label for label in labels(detail)), "not before the minimum"
    # Live edits of the published buy; whoever joined is told of each change.
    await lena.tap("+24h")
    await lena.tap("Max 7")

    async def told_of(needle: str) -> bool:
        return any(needle in text_of(m) for m in await private(alice))

    await shop.client.wait_for(lambda: told_of("now ends"), timeout=10)
    await shop.client.wait_for(lambda: told_of("at most 7 people"), timeout=10)
    await bob.tap("Join", message=card, chat=group)
    await lena.tap("Back")
    await lena.tap("Oolong tea")
    await lena.tap("Close now")

    async def told() -> bool:
        last = await alice.last_message()
        return last is not None and "succeeded" in text_of(last)

    await shop.client.wait_for(told, timeout=10)
    assert "1 × ¥16.90" in text_of(await alice.last_message()), "2 people: below the first tier, regular price"
