"""Outside tester: the success notice of a group-buy order paid on pickup had no pickup code, while an ordinary
pay-on-pickup order's confirmation shows one. Now it carries what that confirmation gives: where to pick it up,
what to pay there, that it is held, the pickup code to show at the counter, and a button to the order; in English
and Chinese. An order paid by card gets no code before it is paid (as an ordinary one).

End to end against the emulator: fresh shoppers join from the group, one chooses "Pickup, pay there" in her panel,
and the buy succeeds at its deadline."""

from __future__ import annotations

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.groupbuy_cards import refresher
from bot.sandbox import Stack
from store import groupbuy, orders
from tests.groupbuy.scene import group_buy_scene
from tests.groupbuy.test_groupbuy_e2e import fire_deadline, labels
from tests.groupbuy.test_groupbuy_tester_d12_d15_e2e import text_of

WORDS = {
    "en": {
        "pay_there": "📍 Pickup, pay there",
        "notice": "🎉 The group buy «Oolong tea» succeeded! Your order #{n}: 1 × ¥40.00",
        "where": "Pick it up at Central Store — 1 Market Street, Gate B and pay ¥40.00 there. We hold your items",
        "code": "🔑 Pickup code: {code} — show it at the counter.",
        "code_word": "Pickup code",
        "view": "📦 View order",
        "pay": "💳 Pay ¥40.00",
    },
    "zh": {
        "pay_there": "📍 自提，到店付款",
        "notice": "🎉 拼团「乌龙茶」成功！您的订单 #{n}：1 × ¥40.00",
        "where": "请到中心门店 — 市场街1号B门自提并当场支付 ¥40.00。商品已为您保留。",
        "code": "🔑 取货码：{code}（取货时出示）",
        "code_word": "取货码",
        "view": "📦 查看订单",
        "pay": "💳 支付 ¥40.00",
    },
}


async def _notice(user: UserHandle, needle: str) -> MessageView | None:
    return next((m for m in await user.messages() if m.from_bot and needle in text_of(m)), None)


async def _order(shop: Stack, group_buy_id: int, user_id: int) -> orders.OrderDetail:
    part = await groupbuy.participant(shop.db, group_buy_id, user_id)
    assert part is not None and part.order_id is not None
    return await orders.get_order(shop.db, part.order_id, user_id=user_id)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_pay_on_pickup_group_buy_notice_carries_the_pickup_code(shop: Stack, lang: str) -> None:
    await shop.client.set_flood_limits(False)
    words = WORDS[lang]
    scene = await group_buy_scene(shop, "GB-CODE", ["Ann", "Bo"], lang=lang)
    (ann, bo), view = scene.shoppers, scene.view
    panel = await ann.last_message()
    assert panel is not None and words["pay_there"] in labels(panel), labels(panel)
    await ann.tap(words["pay_there"], message=panel)

    await fire_deadline(shop, view.id)

    # Ann pays at the counter: her order is confirmed, with a pickup code, and her notice carries it.
    order = await _order(shop, view.id, ann.id)
    assert (order.status, order.payment_method, order.delivery_method) == ("confirmed", "pickup", "pickup")
    assert order.pickup_code
    notice = await shop.client.wait_for(lambda: _notice(ann, words["notice"].format(n=order.id)), timeout=10)
    text = text_of(notice)
    assert words["code"].format(code=order.pickup_code) in text, text
    assert words["where"] in text, text
    assert labels(notice) == [words["view"]], labels(notice)

    # Bo pays by card: no code before he has paid, and his notice keeps its Pay button.
    bo_order = await _order(shop, view.id, bo.id)
    bo_notice = await shop.client.wait_for(lambda: _notice(bo, words["notice"].format(n=bo_order.id)), timeout=10)
    assert words["code_word"] not in text_of(bo_notice), text_of(bo_notice)
    assert labels(bo_notice) == [words["pay"]]
    await refresher(shop.app.ctx).idle()
