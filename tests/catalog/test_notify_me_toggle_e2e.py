"""Outside tester: after "Notify me" on a sold-out card the toast said so, but the button stayed "Notify me", so the
shopper could not tell they were on the list nor undo it. Now the button shows the subscribed state ("You'll be
notified · Cancel") and a tap on it takes the shopper off the list (toast, button back to "Notify me"). Each
drawing of the button carries its intent, so a double tap or a late repeat never flips the state twice; a card drawn
later shows the shopper's state (expected to fail until bot/social.decorate_card passes the card read's `watching`
on); a group card shows nobody's; a restock tells only who is on the list, once. The real bot against the emulator,
English and Chinese, shoppers the bot never saw before the product link."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from bot.callbacks.ops import WATCH_OFF, WatchCB
from bot.config import Settings
from bot.emulator.client import MessageView, UserHandle
from bot.i18n import t_plain
from bot.sandbox import Stack
from bot.tap_guard import WINDOW_SECONDS
from store import stock_alerts
from store.models import OutboxMessage
from tests.conftest import ADMIN_ID, make_test_settings
from tests.orders.helpers import make_product

LANGS = {"en": "en", "zh": "zh-hans"}  # our language -> the Telegram client's language_code


@pytest.fixture
def settings() -> Settings:
    """The stock sweep (which alerts the admin whose Restock button the last test taps) every second."""
    return make_test_settings(ops={"stock_check_seconds": 1})


def _notify(lang: str) -> str:
    return t_plain(lang, "ops.notify_me")


def _on(lang: str) -> str:
    return t_plain(lang, "notify_me.on_button")


def _labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [button.text for row in message.buttons for button in row]


def _bell(message: MessageView | None) -> list[str]:
    """The card's "Notify me" button(s), whichever state they show."""
    return [label for label in _labels(message) if label.startswith("🔔")]


def _data(message: MessageView | None, label: str) -> str:
    assert message is not None
    found = [b.callback_data for row in message.buttons for b in row if b.text == label]
    assert found and found[0], _labels(message)
    return found[0]


async def _now(user: UserHandle, message: MessageView, chat: Any = None) -> MessageView:
    return next(m for m in await user.messages(chat) if m.message_id == message.message_id)


async def _sold_out_card(shop: Stack, name: str, lang: str, sku: str = "GONE-1") -> tuple[UserHandle, MessageView]:
    """A shopper the bot never saw opens a sold-out product's link (their first contact) and gets its card."""
    person = await shop.client.user(name, lang=LANGS[lang])
    await person.send(f"/start p_{sku}")
    card = await person.last_message()
    assert card is not None and _bell(card) == [_notify(lang)], _labels(card)
    return person, card


async def _back_in_stock_rows(shop: Stack) -> list[int]:
    async with shop.db.read() as session:
        query = select(OutboxMessage.chat_id).where(OutboxMessage.template == stock_alerts.BACK_IN_STOCK_TEMPLATE)
        return sorted(int(chat) for chat in (await session.execute(query)).scalars())


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_button_shows_the_subscription_and_a_second_tap_cancels_it(shop: Stack, lang: str) -> None:
    await shop.client.set_flood_limits(False)
    gone = await make_product(shop.db, "GONE-1", stock=0)
    li, card = await _sold_out_card(shop, "李雷" if lang == "zh" else "Lee", lang)

    first = await li.tap(_notify(lang), message=card)
    assert first.toast is not None and first.toast.text == t_plain(lang, "ops.watching"), first.toast
    card = await _now(li, card)
    assert _bell(card) == [_on(lang)], "the button shows the shopper is on the list"
    assert await stock_alerts.is_watching(shop.db, li.id, gone)

    await asyncio.sleep(WINDOW_SECONDS + 0.2)  # a deliberate tap, not a double tap
    cancel = await li.tap(_on(lang), message=card)
    assert cancel.toast is not None and cancel.toast.text == t_plain(lang, "notify_me.off_toast"), cancel.toast
    assert not cancel.toast.show_alert
    card = await _now(li, card)
    assert _bell(card) == [_notify(lang)], "back to Notify me"
    assert not await stock_alerts.is_watching(shop.db, li.id, gone)
    assert await stock_alerts.waiting_count(shop.db, gone) == 0

    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    again = await li.tap(_notify(lang), message=card)  # and on again
    assert again.toast is not None and again.toast.text == t_plain(lang, "ops.watching")
    assert _bell(await _now(li, card)) == [_on(lang)]
    assert await stock_alerts.is_watching(shop.db, li.id, gone)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_double_taps_and_late_repeats_do_not_flip_the_state_twice(shop: Stack, lang: str) -> None:
    await shop.client.set_flood_limits(False)
    gone = await make_product(shop.db, "GONE-1", stock=0)
    erin, card = await _sold_out_card(shop, "Erin", lang)
    old_on = _data(card, _notify(lang))

    taps = await asyncio.gather(*(erin.tap(_notify(lang), message=card) for _ in range(2)))
    await shop.client.settle()
    assert all(tap.raw.get("answered") for tap in taps)
    assert await stock_alerts.is_watching(shop.db, erin.id, gone), "a double tap subscribes once, not on-off"
    card = await _now(erin, card)
    assert _bell(card) == [_on(lang)]
    old_off = _data(card, _on(lang))

    # The first drawing's "Notify me" arrives again later (a re-delivered update, a client showing the old card).
    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    await erin.tap_data(old_on, message=card)
    await shop.client.settle()
    assert (await erin.toasts())[-1].text == t_plain(lang, "ops.watching_already")
    assert await stock_alerts.is_watching(shop.db, erin.id, gone)
    assert _bell(await _now(erin, card)) == [_on(lang)]

    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    taps = await asyncio.gather(*(erin.tap(_on(lang), message=card) for _ in range(2)))
    await shop.client.settle()
    assert all(tap.raw.get("answered") for tap in taps)
    assert not await stock_alerts.is_watching(shop.db, erin.id, gone), "a double tap on Cancel cancels once"
    assert _bell(await _now(erin, card)) == [_notify(lang)]

    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    await erin.tap_data(old_off, message=card)  # the Cancel arrives again: still off
    await shop.client.settle()
    assert (await erin.toasts())[-1].text == t_plain(lang, "notify_me.off_toast")
    assert not await stock_alerts.is_watching(shop.db, erin.id, gone)
    assert _bell(await _now(erin, card)) == [_notify(lang)]

    # A card drawn before the button carried its intent (`wt:<id>`) still subscribes.
    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    await erin.tap_data(f"wt:{gone}", message=card)
    await shop.client.settle()
    assert await stock_alerts.is_watching(shop.db, erin.id, gone)
    assert _bell(await _now(erin, card)) == [_on(lang)]


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_card_drawn_later_shows_the_shoppers_state(shop: Stack, lang: str) -> None:
    await shop.client.set_flood_limits(False)
    await make_product(shop.db, "GONE-1", stock=0)
    erin, card = await _sold_out_card(shop, "Erin", lang)
    await erin.tap(_notify(lang), message=card)

    await erin.send("/start p_GONE-1")  # the product link again: a new card, read from the store
    later = await erin.last_message()
    assert later is not None and later.message_id != card.message_id
    assert _bell(later) == [_on(lang)], _labels(later)

    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    await erin.tap(_on(lang), message=later)
    await erin.send("/start p_GONE-1")
    latest = await erin.last_message()
    assert latest is not None and _bell(latest) == [_notify(lang)], _labels(latest)


async def test_a_group_card_shows_nobodys_subscription(shop: Stack) -> None:
    """A group's card is everyone's: it has no "Notify me" (the bot can only tell someone who opened its private
    chat) and is never drawn with one member's state. A tap on such a button there (an old or forwarded card)
    still acts for the tapper, with a toast, and leaves the shared message as it is."""
    await shop.client.set_flood_limits(False)
    gone = await make_product(shop.db, "GONE-1", stock=0)
    alice, card = await _sold_out_card(shop, "Alice", "en")
    await alice.tap(_notify("en"), message=card)
    assert _bell(await _now(alice, card)) == [_on("en")]

    group = await shop.client.group("Neighbours", members=[alice], bot_admin=True)
    await alice.send("/catalog", chat=group)

    async def last_in_group() -> MessageView | None:
        for message in reversed(await alice.messages(group)):
            if message.from_bot and message.buttons:
                return message
        return None

    shared = await shop.client.wait_for(last_in_group, timeout=10)
    await alice.tap(message=shared, chat=group)  # the category
    page = await _now(alice, shared, group)
    await alice.tap(next(label for label in _labels(page) if "GONE-1" in label), message=page, chat=group)

    async def card_shown() -> MessageView | None:
        shown = await _now(alice, shared, group)
        return shown if "GONE-1" in (shown.text or "") and shown.buttons else None

    group_card = await shop.client.wait_for(card_shown, timeout=10)
    assert _bell(group_card) == [], _labels(group_card)

    before = _labels(group_card)
    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    await alice.tap_data(WatchCB(p=gone, a=WATCH_OFF).pack(), message=group_card, chat=group)
    await shop.client.settle()
    assert (await alice.toasts())[-1].text == t_plain("en", "notify_me.off_toast")
    assert not await stock_alerts.is_watching(shop.db, alice.id, gone)
    await alice.tap_data(WatchCB(p=gone).pack(), message=group_card, chat=group)
    await shop.client.settle()
    assert (await alice.toasts())[-1].text == t_plain("en", "ops.watching")
    assert await stock_alerts.is_watching(shop.db, alice.id, gone)
    assert _labels(await _now(alice, group_card, group)) == before, "the shared card is not edited for one member"


async def test_a_restock_tells_only_who_is_on_the_list_once(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    gone = await make_product(shop.db, "GONE-1", stock=0)
    admin = await shop.client.user("Ada", id=ADMIN_ID)
    await admin.send("/start")
    alice, alices = await _sold_out_card(shop, "Alice", "en")
    li, lis = await _sold_out_card(shop, "李雷", "zh")
    bob, _ = await _sold_out_card(shop, "Bob", "en")  # never taps

    await alice.tap(_notify("en"), message=alices)
    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    await alice.tap(_on("en"), message=alices)  # changed her mind
    await li.tap(_notify("zh"), message=lis)
    assert await stock_alerts.waiting_count(shop.db, gone) == 1

    alert = await admin.bot_says("Sold out")
    await admin.tap("+50", message=alert)
    back = await li.bot_says("已到货")
    assert "商品 GONE-1" in (back.text or "")
    await shop.client.settle()
    assert await _back_in_stock_rows(shop) == [li.id], "only the shopper on the list is told"
    for person in (alice, bob):
        assert not any("back in stock" in (m.text or "") for m in await person.messages()), person.name
    assert await stock_alerts.waiting_count(shop.db, gone) == 0
    await asyncio.sleep(0.5)  # the sweep runs on: nobody is told twice
    await shop.client.settle()
    assert await _back_in_stock_rows(shop) == [li.id]
