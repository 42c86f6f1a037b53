"""An outside tester's findings (dec7b), end to end against the emulator, in English and Chinese:
1. "Price now" is the price the people who joined have reached (the regular price below the minimum), never a
   tier nobody reached yet; what the minimum would give is said in its own words, and the orders get the price
   reached;
2. a tap on the leader's old screen of a buy that ended redraws it as it is now, with the alert, and Cancel on
   an ended buy does not ask the question;
3. a leader's /groupbuy in a group is answered there, with the way to the private chat (or, when the bot cannot
   write to them, that it cannot, with the start link);
4. a participant who used /forgetme is "(erased)" in the leader's list and CSV, not an empty name."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.callbacks.groupbuy import LeaderCB
from bot.emulator.client import MessageView, UserHandle
from bot.groupbuy_cards import refresher
from bot.i18n import t
from bot.sandbox import Stack
from store import groupbuy, users
from store.models import utcnow
from tests.groupbuy.helpers import POLICY, make_product
from tests.groupbuy.test_groupbuy_e2e import bot_messages, fire_deadline, labels, started
from tests.groupbuy.test_groupbuy_tester_d12_d15_e2e import current, leader_and_group, posted, text_of

LANGS = [("en", "en"), ("zh-hans", "zh")]


async def _published(
    shop: Stack,
    lena: UserHandle,
    group_id: int,
    *,
    lang: str,
    price: int,
    sku: str,
    tiers: tuple[groupbuy.Tier, ...],
    minimum: int,
) -> groupbuy.GroupBuyView:
    spec = groupbuy.GroupBuySpec(
        chat_id=group_id,
        product_id=await make_product(shop.db, stock=40, price=price, sku=sku),
        tiers=tiers,
        min_participants=minimum,
        max_participants=None,
        per_person_limit=3,
        deadline=utcnow() + timedelta(hours=24),
        pickup_point="central",
        lang=lang,
    )
    return await groupbuy.publish(shop.db, lena.id, spec, POLICY)


async def _panel(user: UserHandle, needle: str) -> MessageView:
    return next(m for m in await user.messages() if m.from_bot and needle in text_of(m))


async def _newest(user: UserHandle, keep: Callable[[MessageView], bool]) -> MessageView | None:
    for message in reversed(await user.messages()):
        if message.from_bot and keep(message):
            return message
    return None


async def _any_has(user: UserHandle, needle: str) -> bool:
    return any(needle in text_of(m) for m in await user.messages() if m.from_bot)


# ---------------------------------------------------------------------------------------------- 1. price now


async def test_price_now_is_the_regular_price_until_the_minimum_reaches_the_tier(shop: Stack) -> None:
    """Published as the wizard makes "25" (one group price, from 1 person) with a minimum of 2: Bob alone read
    "Price now: ¥25.00 (regular ¥29.90)" and "(now ¥25.00)", a price nobody pays unless a second person joins."""
    await shop.client.set_flood_limits(False)
    alice, bob = await started(shop, "Alice"), await started(shop, "Bob")
    lena, group = await leader_and_group(shop, alice, bob)
    assert groupbuy.parse_tiers("25", 2990, "CNY") == [groupbuy.Tier(1, 2500)]
    view = await _published(
        shop, lena, group.id, lang="en", price=2990, sku="GB-P25", tiers=(groupbuy.Tier(1, 2500),), minimum=2
    )
    card = await posted(shop, group, view)
    assert "2+ people: ¥25.00" in text_of(card)
    assert "Price now: ¥29.90 (the regular price)" in text_of(card), text_of(card)

    await bob.tap("Join", message=card, chat=group)
    panel = await _panel(bob, "You are in")
    said = text_of(panel)
    assert "Price now: ¥29.90 (the regular price)" in said, said
    assert "¥25.00 (regular" not in said and "now ¥25.00" not in said, said
    assert "Needs 1 more person to go ahead: then ¥25.00 each." in said, said
    assert "at the price reached (¥25.00 each once 2 people have joined)" in said, said
    cards = refresher(shop.app.ctx)
    await cards.idle()
    on_card = text_of(await current(shop, group, card.message_id))
    assert "Price now: ¥29.90 (the regular price)" in on_card and "1 joined · 2 needed" in on_card, on_card

    # The minimum reaches the tier: now it is the price, and the orders get it.
    await alice.tap("Join", message=card, chat=group)
    await cards.idle()
    on_card = text_of(await current(shop, group, card.message_id))
    assert "Price now: ¥25.00 (regular ¥29.90)" in on_card, on_card
    panel_now = text_of(await _panel(alice, "You are in"))
    assert "Price now: ¥25.00 (regular ¥29.90)" in panel_now and "(now ¥25.00)" in panel_now, panel_now
    await fire_deadline(shop, view.id)
    assert await shop.client.wait_for(lambda: _any_has(bob, "1 × ¥25.00 (regular ¥29.90)"), timeout=10)
    assert (await groupbuy.get(shop.db, view.id)).final_price == 2500
    await cards.idle()


async def test_price_now_in_chinese_is_the_regular_price_below_the_minimum(shop: Stack) -> None:
    """zh: "当前价格：¥8.50 … 📊 已参团 2 人 · 需 3 人成团 …（当前 ¥8.50）" while the card lists "3人及以上：¥8.50"."""
    await shop.client.set_flood_limits(False)
    li, mei = await started(shop, "李雷", lang="zh-hans"), await started(shop, "韩梅梅", lang="zh-hans")
    lena, group = await leader_and_group(shop, li, mei)
    view = await _published(
        shop, lena, group.id, lang="zh", price=1000, sku="GB-ZH85", tiers=(groupbuy.Tier(2, 850),), minimum=3
    )
    card = await posted(shop, group, view)
    for person in (li, mei):
        await person.tap(t("zh", "groupbuy.btn.join"), message=card, chat=group)
    await refresher(shop.app.ctx).idle()
    on_card = text_of(await current(shop, group, card.message_id))
    assert "3人及以上：¥8.50" in on_card and "已参团 2 人 · 需 3 人成团" in on_card, on_card
    assert "当前价格：¥10.00（原价）" in on_card and "当前价格：¥8.50" not in on_card, on_card
    assert "还差 1 人成团，成团后每份 ¥8.50。" in on_card, on_card
    said = text_of(await _panel(li, "您已参团"))
    assert "当前价格：¥10.00（原价）" in said and "当前 ¥8.50" not in said, said
    assert "（3 人成团时每份 ¥8.50）" in said, said


async def _two_joined(
    shop: Stack, user_lang: str, sku: str, price: int, tier_price: int
) -> tuple[UserHandle, UserHandle, UserHandle, groupbuy.GroupBuyView]:
    """Leader Lena (in `user_lang`) published a buy (minimum 2, one tier at 2) in a group; Alice and Bob joined."""
    await shop.client.set_flood_limits(False)
    alice, bob = await started(shop, "Alice"), await started(shop, "Bob")
    lena = await started(shop, "Lena", lang=user_lang)
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group("Street", members=[lena, alice, bob], bot_admin=True)
    view = await _published(
        shop, lena, group.id, lang="en", price=price, sku=sku, tiers=(groupbuy.Tier(2, tier_price),), minimum=2
    )
    card = await posted(shop, group, view)
    for person in (alice, bob):
        await person.tap("Join", message=card, chat=group)
    return lena, alice, bob, view


# ---------------------------------------------------------------------------------------------- 2. old screen


@pytest.mark.parametrize(("user_lang", "lang"), LANGS)
async def test_the_leaders_old_screen_of_an_ended_buy_is_redrawn_and_cancel_is_not_asked(
    shop: Stack, user_lang: str, lang: str
) -> None:
    lena, _alice, _bob, view = await _two_joined(shop, user_lang, "GB-OLD", 5000, 4000)
    await lena.send("/leader")
    await lena.tap(f"#{view.id}")
    screen = await lena.last_message()
    assert screen is not None
    extend = t(lang, "groupbuy.btn.extend", h=24)
    cancel = t(lang, "groupbuy.btn.cancel_buy")
    assert extend in labels(screen) and cancel in labels(screen)

    await fire_deadline(shop, view.id)
    assert (await groupbuy.get(shop.db, view.id)).status == groupbuy.SUCCEEDED
    ended = t(lang, "errors.gb_closed")
    succeeded = t(lang, "groupbuy.state.succeeded")

    async def tapped(data: str) -> MessageView:
        await lena.tap_data(data, message=screen)
        toast = (await lena.toasts())[-1]
        assert (toast.text, toast.show_alert) == (ended, True), toast
        return await current(shop, lena, screen.message_id)

    after = await tapped(LeaderCB(a="ext", g=view.id, v=24).pack())
    assert extend not in labels(after) and cancel not in labels(after), labels(after)
    assert f" · {succeeded} · " in text_of(after) and ended in text_of(after), text_of(after)
    assert (await groupbuy.get(shop.db, view.id)).status == groupbuy.SUCCEEDED

    # Cancel on the buy that succeeded: no question of cancelling it, the buy as it is.
    after = await tapped(LeaderCB(a="cancel", g=view.id).pack())
    assert t(lang, "groupbuy.btn.cancel_yes") not in labels(after), labels(after)
    assert t(lang, "groupbuy.leader.cancel_ask", title="Oolong tea", n=2) not in text_of(after)
    assert f" · {succeeded} · " in text_of(after), text_of(after)

    after = await tapped(LeaderCB(a="max", g=view.id, v=10).pack())
    assert not any("Max" in label or "上限" in label for label in labels(after)), labels(after)
    assert (await groupbuy.get(shop.db, view.id)).max_participants is None
    await refresher(shop.app.ctx).idle()


# ---------------------------------------------------------------------------------------------- 3. /groupbuy


@pytest.mark.parametrize(("user_lang", "lang"), LANGS)
async def test_a_leaders_groupbuy_in_a_group_is_answered_there(shop: Stack, user_lang: str, lang: str) -> None:
    lena = await started(shop, "Lena", lang=user_lang)
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group("Street", members=[lena], bot_admin=True)
    sent = await lena.send("/groupbuy", chat=group)
    reply = (await bot_messages(shop, group))[-1]
    assert text_of(reply) == t(lang, "groupbuy.wizard_opened"), text_of(reply)
    command_id = (sent.get("message") or sent).get("message_id")
    assert (reply.raw.get("reply_to_message") or {}).get("message_id") == command_id, reply.raw
    button = reply.buttons[0][0]
    assert button.text == t(lang, "groupbuy.btn.open_bot") and (button.url or "").endswith("?start=gw_go")
    question = text_of(await lena.last_message())
    assert t(lang, "groupbuy.wizard.product") in question, question


@pytest.mark.parametrize(("user_lang", "lang"), LANGS)
async def test_a_leader_the_bot_cannot_write_to_is_told_so_with_the_start_link(
    shop: Stack, user_lang: str, lang: str
) -> None:
    zoe = await shop.client.user("Zoe", lang=user_lang)  # never opened the bot
    await users.grant_role(shop.db, zoe.id, "leader")
    group = await shop.client.group("Block 9", members=[zoe], bot_admin=True)
    await zoe.send("/groupbuy", chat=group)
    hint = (await bot_messages(shop, group))[-1]
    said = text_of(hint)
    assert said.startswith("I can't message you privately yet" if lang == "en" else "我还无法私信您"), said
    assert (hint.buttons[0][0].url or "").endswith("?start=gw_go")


# ---------------------------------------------------------------------------------------------- 4. /forgetme


@pytest.mark.parametrize(("user_lang", "lang"), LANGS)
async def test_a_participant_who_used_forgetme_is_erased_not_blank_in_the_list_and_csv(
    shop: Stack, user_lang: str, lang: str
) -> None:
    lena, _alice, bob, view = await _two_joined(shop, user_lang, "GB-ERASE", 1000, 850)
    await fire_deadline(shop, view.id)
    await bob.send("/forgetme")
    await bob.tap("Yes, erase my data")
    assert await shop.client.wait_for(lambda: _any_has(bob, "Done: your contact details are erased"), timeout=10)

    placeholder = t(lang, "groupbuy.leader.erased_name")
    colon = ": " if lang == "en" else "："
    await lena.send("/leader")
    await lena.tap(f"#{view.id}")
    # Found by what it says, not as the last message: the buy's outcome notice may still arrive through the outbox.
    shown = await shop.client.wait_for(lambda: _newest(lena, lambda m: f"• Alice{colon}1" in text_of(m)), timeout=10)
    detail = text_of(shown)
    assert f"• {placeholder}{colon}1" in detail, detail
    assert "• : " not in detail and "• ：" not in detail, detail
    await lena.tap(t(lang, "groupbuy.btn.csv"), message=shown)
    document = await shop.client.wait_for(lambda: _newest(lena, lambda m: m.document is not None), timeout=10)
    assert document is not None and document.document is not None
    rows = list(csv.DictReader(io.StringIO(document.document.data.decode("utf-8-sig"))))
    assert sorted(row["name"] for row in rows) == sorted(["Alice", placeholder]), rows
    await refresher(shop.app.ctx).idle()
