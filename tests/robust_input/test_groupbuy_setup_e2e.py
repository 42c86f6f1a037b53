"""Group-buy set-up edges through the emulator (issue 9, item 10): a deadline accepted at its step is accepted
at Publish and counts from publishing; a buy with no maximum never reads "50/10 joined"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.emulator.client import ChatHandle, MessageView, UserHandle
from bot.sandbox import Stack
from store import groupbuy, users
from store.db import Database
from store.groupbuy import DeadlineChoice
from store.models import utcnow
from tests.groupbuy.helpers import POLICY, make_product, make_users


async def started(shop: Stack, name: str, lang: str = "en") -> UserHandle:
    user = await shop.client.user(name, lang=lang)
    await user.send("/start")
    return user


async def last_text(user: UserHandle) -> str:
    message = await user.last_message()
    return (message.text or "") if message is not None else ""


async def bot_messages(shop: Stack, chat: ChatHandle) -> list[MessageView]:
    return [m for m in await shop.client.messages(chat.id) if m.from_bot]


async def card_has(shop: Stack, chat: ChatHandle, message_id: int, text: str) -> bool:
    card = next(m for m in await bot_messages(shop, chat) if m.message_id == message_id)
    return text in (card.text or card.caption or "")


async def test_one_hour_deadline_counts_from_publish_and_no_maximum_shows_the_goal(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    await make_product(shop.db, stock=40, price=10000, sku="GB-TEA")
    lena = await started(shop, "Lena")
    await users.grant_role(shop.db, lena.id, "leader")
    shoppers = [await started(shop, name) for name in ("Alice", "Bob", "Carol")]
    group = await shop.client.group("Neighbours", members=[lena, *shoppers], bot_admin=True)

    await lena.send("/groupbuy", chat=group)
    await lena.send("GB-TEA")
    await lena.send("3+ 10%")
    await lena.send("2 - 1")  # at least 2, no maximum, 1 each
    await lena.send("1h")  # accepted: exactly the minimum lead
    await lena.tap("No pickup point")
    summary = await lena.last_message()
    assert summary is not None and "Ends: 1h 0m after publishing" in (summary.text or ""), summary
    before_publish = utcnow()
    await lena.tap("Publish")
    after_publish = utcnow()
    published = await lena.last_message()
    assert published is not None and "is live in the group" in (published.text or ""), published.text

    [line] = (await groupbuy.leader_overview(shop.db, lena.id)).open
    deadline = line.group_buy.deadline
    # One hour from Publish, not from typing "1h" (which came before `before_publish`).
    assert before_publish + timedelta(hours=1) <= deadline <= after_publish + timedelta(hours=1)

    card = (await bot_messages(shop, group))[-1]
    assert "0 joined · 2 needed" in (card.text or "")
    for person in shoppers:
        await person.tap("Join", message=card, chat=group)
    await shop.client.wait_for(
        lambda: card_has(shop, group, card.message_id, "3 joined · goal of 2 reached"), timeout=10
    )
    final = next(m for m in await bot_messages(shop, group) if m.message_id == card.message_id)
    assert "3/2" not in (final.text or "")


async def test_a_chosen_time_that_passed_during_set_up_asks_for_a_new_one(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    await make_product(shop.db, stock=40, price=10000, sku="GB-TEA")
    lena = await started(shop, "Lena")
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group("Neighbours", members=[lena], bot_admin=True)
    await lena.send("/groupbuy", chat=group)
    for answer in ("GB-TEA", "3+ 10%", "2 10 1"):
        await lena.send(answer)
    soon = (utcnow() + timedelta(hours=2)).astimezone(ZoneInfo(shop.app.ctx.settings.shop.timezone))
    await lena.send(soon.strftime("%Y-%m-%d %H:%M"))
    await lena.tap("No pickup point")
    # The leader is slow: the time chosen passes before Publish (the wizard's saved answer is moved back).
    state = await shop.app.dp.fsm.get_context(shop.app.ctx.bot, lena.id, lena.id).get_data()
    past = datetime(2020, 1, 1, tzinfo=UTC).isoformat()
    await shop.app.dp.fsm.get_context(shop.app.ctx.bot, lena.id, lena.id).set_data({**state, "deadline": past})
    tap = await lena.tap("Publish")
    assert tap.toast is not None and "has passed" in (tap.toast.text or "")
    assert "When does it end?" in await last_text(lena)
    await lena.send("2h")
    await lena.tap("No pickup point")
    await lena.tap("Publish")
    assert "is live in the group" in await last_text(lena)


@pytest.mark.parametrize(
    ("choice", "slow", "expected"),
    [
        (DeadlineChoice(duration=timedelta(hours=1)), timedelta(minutes=5), timedelta(hours=1)),
        (DeadlineChoice(duration=timedelta(days=3)), timedelta(hours=1), timedelta(days=3)),
    ],
)
def test_a_duration_accepted_at_its_step_is_accepted_at_publish(
    choice: DeadlineChoice, slow: timedelta, expected: timedelta
) -> None:
    typed = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    assert (
        groupbuy.parse_deadline_choice(f"{int(expected.total_seconds() // 60)}min", typed, "Asia/Shanghai", 14)
        == choice
    )
    published = typed + slow
    assert groupbuy.publish_deadline(choice, published, 14) == published + expected


def test_a_time_that_came_too_close_moves_to_the_minimum_lead() -> None:
    typed = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    choice = groupbuy.parse_deadline_choice("2026-12-04 21:00", typed, "Asia/Shanghai", 14)  # 13:00 UTC
    published = typed + timedelta(minutes=59, seconds=30)
    assert groupbuy.publish_deadline(choice, published, 14) == published + groupbuy.MIN_DURATION


async def test_publish_counts_a_duration_from_publishing(any_db: Database) -> None:
    product_id = await make_product(any_db)
    await make_users(any_db, [1])
    spec = groupbuy.GroupBuySpec(
        chat_id=-100,
        product_id=product_id,
        tiers=(groupbuy.Tier(3, 9000),),
        min_participants=2,
        max_participants=None,
        per_person_limit=1,
        duration=timedelta(minutes=1),
    )
    before = utcnow()
    view = await groupbuy.publish(any_db, 1, spec, POLICY)
    assert before + timedelta(minutes=1) <= view.deadline <= utcnow() + timedelta(minutes=1)
