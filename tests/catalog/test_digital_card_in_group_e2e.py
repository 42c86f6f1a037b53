"""A digital product's card said "delivered in this chat right after payment" (zh: 在本聊天中发放) also on the
group's shared card, where "this chat" is the group: the code is sent in the buyer's private chat. The card now
says where it really goes, which is as true on the private card."""

from __future__ import annotations

import pytest

from bot.sandbox import Stack

pytestmark = pytest.mark.seeded


@pytest.mark.parametrize(
    ("lang", "category", "product", "where", "wrong"),
    [
        ("en", "Gift cards & memberships", "VIP membership, 1 month", "in our private chat", "in this chat"),
        ("zh", "礼品卡与会员", "VIP会员 月卡", "私聊", "本聊天"),
    ],
)
async def test_group_card_of_a_digital_product_says_it_comes_in_private(
    shop: Stack, lang: str, category: str, product: str, where: str, wrong: str
) -> None:
    kim = await shop.client.user("Kim", lang=lang)
    group = await shop.client.group("Tower 2", members=[kim], bot_admin=True)
    await group.set_member(kim, "administrator")
    if lang == "zh":
        await kim.send("/language", chat=group)
        await kim.tap("中文", chat=group)
    await kim.send("/catalog", chat=group)
    await kim.tap(category, chat=group)
    await kim.tap(product, chat=group)
    card = await kim.last_message(group)
    assert card is not None
    text = card.text or card.caption or ""
    assert product in text and where in text and wrong not in text, text
