"""Outside tester: a shopper who taps Join on a group-buy card before ever opening the private chat with the bot
lost their panel (quantity, how to receive, pay): the private send got 403 "bot can't initiate conversation" and
nothing was kept. Now the join toast opens the bot, the unsent panel is remembered in the database, and their
first /start in private chat (with the deep link or without) delivers it right after the welcome, once; a
restart in between does not lose it. A 403 marks the shopper unreachable; their /start clears the mark.

Two kinds of newcomer: one first seen in the group (stored unreachable, so the bot does not even try), and one
with an older row that says nothing about reachability (the bot tries, Telegram answers 403)."""

from __future__ import annotations

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from store import groupbuy, users
from store.db import Database
from store.models import User
from tests.groupbuy.helpers import make_product, make_users, publish
from tests.groupbuy.test_groupbuy_e2e import started
from tests.groupbuy.test_groupbuy_tester_d12_d15_e2e import posted

# What each language's shopper sees: the join toast's "open the bot", the panel's "you are in", the welcome.
TEXTS = {
    "en": {"open_bot": "Open the chat with me", "joined": "You joined!", "in": "You are in: ", "welcome": "Welcome"},
    "zh": {"open_bot": "请打开与我的私聊", "joined": "参团成功", "in": "您已参团：", "welcome": "欢迎光临"},
}
TELEGRAM_LANG = {"en": "en", "zh": "zh-hans"}


async def _unreachable(db: Database, user_id: int) -> bool:
    async with db.read() as session:
        user = await session.get(User, user_id)
    return user is not None and user.unreachable


def _panels(messages: list[MessageView], title: str, marker: str) -> list[MessageView]:
    return [m for m in messages if m.from_bot and title in (m.text or "") and marker in (m.text or "")]


async def _private(user: UserHandle) -> list[MessageView]:
    return [m for m in await user.messages() if m.from_bot]


@pytest.mark.api_errors("bot can't initiate conversation")  # the older row's join: how the bot learns it
@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_join_before_start_delivers_the_panel_on_first_start_once(shop: Stack, lang: str) -> None:
    words = TEXTS[lang]
    tea = await make_product(shop.db, stock=30, price=5000, sku="GB-TEA", title="Oolong tea")
    rice = await make_product(shop.db, stock=30, price=3000, sku="GB-RICE", title="Jasmine rice")
    tea_title, rice_title = ("乌龙茶", "Jasmine rice") if lang == "zh" else ("Oolong tea", "Jasmine rice")
    lena = await started(shop, "Lena", lang=TELEGRAM_LANG[lang])
    await users.grant_role(shop.db, lena.id, "leader")
    cara = await started(shop, "Cara", lang=TELEGRAM_LANG[lang])  # opened the bot before: nothing changes
    ann = await shop.client.user("Ann", lang=TELEGRAM_LANG[lang])  # first seen when she taps in the group
    ben = await shop.client.user("Ben", lang=TELEGRAM_LANG[lang])
    await make_users(shop.db, [ben.id], lang=lang)  # an older row: nothing says the bot cannot write to him
    group = await shop.client.group("Street", members=[lena, cara, ann, ben], bot_admin=True)
    tea_buy = await publish(shop.db, tea, leader_id=lena.id, chat_id=group.id, tiers=(groupbuy.Tier(3, 4000),))
    rice_buy = await publish(shop.db, rice, leader_id=lena.id, chat_id=group.id, tiers=(groupbuy.Tier(3, 2500),))
    tea_card, rice_card = await posted(shop, group, tea_buy), await posted(shop, group, rice_buy)
    join = tea_card.buttons[0][0].text  # the card speaks the group's language; toasts and panels the tapper's

    # Join in the group before ever opening the bot: the toast says to open it, and its link opens it on this buy.
    for person in (ann, ben):
        for card, buy in ((tea_card, tea_buy), (rice_card, rice_buy)):
            tap = await person.tap(join, message=card, chat=group)
            assert tap.toast is not None and words["open_bot"] in (tap.toast.text or ""), tap.toast
            assert (tap.toast.url or tap.url or "").endswith(f"start=g_{buy.id}")
    assert await _private(ann) == [] and await _private(ben) == []
    tap = await cara.tap(join, message=tea_card, chat=group)
    assert tap.toast is not None and words["joined"] in (tap.toast.text or "")
    assert _panels(await _private(cara), tea_title, words["in"] + "1")
    # Telegram's 403 to the private send marked Ben unreachable, as the outbox does for any 403.
    assert await _unreachable(shop.db, ben.id) and await _unreachable(shop.db, ann.id)
    assert not await _unreachable(shop.db, cara.id)

    # A new bot process on the same database: the unsent panels are not lost.
    await shop.restart_bot()

    # Ann opens the bot by its name (no deep link): the welcome, then both of her panels, once each.
    await ann.send("/start")
    said = await _private(ann)
    assert words["welcome"] in (said[0].text or ""), [m.text for m in said]
    assert len(_panels(said[1:], tea_title, words["in"] + "1")) == 1, [m.text for m in said]
    assert len(_panels(said[1:], rice_title, words["in"] + "1")) == 1, [m.text for m in said]
    assert len(said) == 3, [m.text for m in said]
    assert not await _unreachable(shop.db, ann.id)
    # A delivered panel is the live one: its buttons work.
    tea_panel = _panels(said, tea_title, words["in"])[0]
    await ann.tap("➕", message=tea_panel)
    now = next(m for m in await _private(ann) if m.message_id == tea_panel.message_id)
    assert words["in"] + "2" in (now.text or ""), now.text
    # A second /start is only the welcome: nothing is sent twice.
    before = len(await _private(ann))
    await ann.send("/start")
    again = (await _private(ann))[before:]
    assert len(again) == 1 and words["welcome"] in (again[0].text or ""), [m.text for m in again]

    # Ben follows the toast's link to the tea buy: that panel, then the other one that waited; never twice.
    await ben.open_deeplink(f"g_{tea_buy.id}")
    said = await _private(ben)
    assert len(_panels(said, tea_title, words["in"] + "1")) == 1, [m.text for m in said]
    assert len(_panels(said, rice_title, words["in"] + "1")) == 1, [m.text for m in said]
    assert tea_title in (said[0].text or ""), [m.text for m in said]
    assert len(said) == 2, [m.text for m in said]
    assert not await _unreachable(shop.db, ben.id)
    await ben.send("/start")
    again = (await _private(ben))[2:]
    assert len(again) == 1 and words["welcome"] in (again[0].text or ""), [m.text for m in again]

    # Cara's panel was delivered at her join: her /start owes her nothing.
    before = len(await _private(cara))
    await cara.send("/start")
    again = (await _private(cara))[before:]
    assert len(again) == 1 and words["welcome"] in (again[0].text or ""), [m.text for m in again]
