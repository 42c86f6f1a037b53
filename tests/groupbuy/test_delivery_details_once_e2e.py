"""Outside tester: in a group buy, a shopper who gave their delivery details, went back to pickup and then chose
delivery again was asked for the same details a second time. Now the details given in this buy are kept for it:
switching back to delivery uses them (with what delivery adds, as the first choice said), and the order made at
the deadline is delivered to that address. Tapping Delivery while already on delivery still asks (the way to
change the address). In English and Chinese, end to end against the emulator."""

from __future__ import annotations

import pytest

from bot.emulator.client import UserHandle
from bot.groupbuy_cards import refresher
from bot.sandbox import Stack
from store import groupbuy, orders
from tests.groupbuy.scene import group_buy_scene
from tests.groupbuy.test_groupbuy_e2e import fire_deadline
from tests.groupbuy.test_groupbuy_tester_d12_d15_e2e import text_of

DETAILS = "Ann Lee, +86 138 0013 8000, 9 Garden Road"
WORDS = {
    "en": {
        "pickup": "📍 Pickup",
        "delivery": "🚚 Delivery",
        "ask": "Please send your delivery details",
        "to": "Receive: delivery to 9 Garden Road.",
        "at_pickup": "Receive: pickup at",
        "saved": "Saved. 🚚 Delivery: ¥8.00",
    },
    "zh": {
        "pickup": "📍 自提",
        "delivery": "🚚 快递",
        "ask": "请在一条消息中发送收货信息",
        "to": "收货方式：快递到 9 Garden Road。",
        "at_pickup": "收货方式：到",
        "saved": "已保存。",
    },
}


async def _asked(user: UserHandle, ask: str) -> int:
    """How many of the bot's messages in the chat are (or were edited into) the delivery-details prompt."""
    return sum(1 for m in await user.messages() if m.from_bot and ask in text_of(m))


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_switching_back_to_delivery_asks_for_the_details_once(shop: Stack, lang: str) -> None:
    await shop.client.set_flood_limits(False)
    words = WORDS[lang]
    scene = await group_buy_scene(shop, "GB-SHIP", ["Ann"], lang=lang, minimum=1)
    (ann,), view = scene.shoppers, scene.view

    # Pickup, then delivery: asked once, answered.
    panel = await ann.last_message()
    assert panel is not None
    await ann.tap(words["pickup"], message=panel)
    await ann.tap(words["delivery"], message=panel)
    assert await _asked(ann, words["ask"]) == 1
    await ann.send(DETAILS)
    panel = await ann.last_message()
    assert panel is not None and words["to"] in text_of(panel), text_of(panel)

    # Back to pickup, then delivery again: the details given are used, not asked for again.
    await ann.tap(words["pickup"], message=panel)
    assert words["at_pickup"] in text_of(await ann.last_message())
    tap = await ann.tap(words["delivery"], message=panel)
    assert tap.toast is not None and (tap.toast.text or "").startswith(words["saved"]), tap.toast
    assert await _asked(ann, words["ask"]) == 1, "the details were asked for once"
    now = await ann.last_message()
    assert now is not None and now.message_id == panel.message_id and words["to"] in text_of(now), text_of(now)
    part = await groupbuy.participant(shop.db, view.id, ann.id)
    assert part is not None and (part.delivery_method, part.address) == ("delivery", "9 Garden Road")

    # Already on delivery, Delivery again is the way to change the address: it asks.
    await ann.tap(words["delivery"], message=now)
    assert await _asked(ann, words["ask"]) == 2

    # The order is delivered to the address given once.
    await fire_deadline(shop, view.id)
    part = await groupbuy.participant(shop.db, view.id, ann.id)
    assert part is not None and part.order_id is not None
    order = await orders.get_order(shop.db, part.order_id, user_id=ann.id)
    assert (order.delivery_method, order.address, order.phone) == ("delivery", "9 Garden Road", "+8613800138000")
    await refresher(shop.app.ctx).idle()
