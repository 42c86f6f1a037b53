"""Outside tester, 2026-12-07, end to end through the emulator, en and zh.

1. A group-buy order delivered to an address carries the delivery fee in its total, but its success notice and the
   participant's panel said "1 × ¥25.00 = ¥33.00" with no line for the fee. They now show the goods, the delivery
   fee and the total as separate lines, as the order's detail in /orders (and the admin's /order) does.
2. The leader's screen of a delivery-only buy (no pickup point) listed a participant who had not chosen yet as
   "pickup", and offered a "Pickup list": the buy only delivers, and that participant's order is a delivery."""

from __future__ import annotations

import csv
import io

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.groupbuy_cards import post_card, refresher
from bot.sandbox import Stack
from store import groupbuy, users
from tests.conftest import ADMIN_ID
from tests.groupbuy.helpers import make_product, publish
from tests.groupbuy.test_groupbuy_e2e import bot_messages, fire_deadline, labels, started
from tests.groupbuy.test_groupbuy_tester_d12_d15_e2e import text_of

# By language: the delivery button, the details typed, then the goods, fee and total as the shopper reads them.
WORDS = {
    "en": ("🚚 Delivery", "Li Lei, 138 0013 8000, 1 Market Street", "= ¥25.00", "Delivery: ¥8.00", "Total: ¥33.00"),
    "zh-hans": ("🚚 快递", "李雷，138 0013 8000，市场街1号", "= ¥25.00", "运费：¥8.00", "合计：¥33.00"),
}


async def _delivery_only_buy(
    shop: Stack, sku: str, lang: str, *people: UserHandle
) -> tuple[UserHandle, groupbuy.GroupBuyView]:
    """Lena's buy without a pickup point (¥30.00, ¥25.00 from one person) in a group where `people` joined it."""
    await shop.client.set_flood_limits(False)
    product = await make_product(shop.db, stock=10, price=3000, sku=sku)
    lena = await started(shop, "Lena", lang=lang)
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group("Street", members=[lena, *people], bot_admin=True)
    view = await publish(
        shop.db, product, leader_id=lena.id, chat_id=group.id, minimum=1, pickup=None, tiers=(groupbuy.Tier(1, 2500),)
    )
    await post_card(shop.app.ctx, view)
    card = (await bot_messages(shop, group))[-1]
    for person in people:
        await person.tap(message=card, chat=group, row=0, col=0)  # Join, in the group card's language
    return lena, view


async def _bot_text_with(user: UserHandle, *words: str) -> MessageView | None:
    for message in reversed(await user.messages()):
        if message.from_bot and all(word in text_of(message) for word in words):
            return message
    return None


async def _with_button(user: UserHandle, label: str) -> MessageView | None:
    return next((m for m in await user.messages() if m.from_bot and label in labels(m)), None)


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
async def test_a_group_buy_orders_delivery_fee_is_a_line_wherever_the_order_is_shown(shop: Stack, lang: str) -> None:
    delivery, details, goods, fee, total = WORDS[lang]
    alice = await started(shop, "Alice", lang=lang)
    _, view = await _delivery_only_buy(shop, "GB-FEE", lang, alice)
    panel = await shop.client.wait_for(lambda: _with_button(alice, delivery), timeout=10)  # the private panel
    await alice.tap(delivery, message=panel)
    await alice.send(details)

    await fire_deadline(shop, view.id)
    notice = await shop.client.wait_for(lambda: _bot_text_with(alice, "🎉", total), timeout=10)
    text = text_of(notice)
    assert goods in text and fee in text and total in text, text
    assert text.index(goods) < text.index(fee) < text.index(total), "goods, then the fee, then the total"
    assert any("¥33.00" in label for label in labels(notice)), labels(notice)

    await refresher(shop.app.ctx).idle()
    ended = text_of(await _bot_text_with(alice, "🧾"))  # the private panel, redrawn with the order
    assert goods in ended and fee in ended and total in ended, ended

    # The order's own screens said so already; they stay the same breakdown.
    order_id = (await groupbuy.participant(shop.db, view.id, alice.id)).order_id  # type: ignore[union-attr]
    await alice.send("/orders")
    await alice.tap(f"#{order_id}")
    detail = text_of(await alice.last_message())
    assert fee in detail and total in detail, detail
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    await ada.send(f"/order {order_id}")
    admin = text_of(await ada.last_message())
    assert "Delivery: ¥8.00" in admin and "Total: ¥33.00" in admin, admin


@pytest.mark.parametrize(
    ("lang", "delivery", "pickup", "only", "button", "caption"),
    [
        ("en", "· delivery ·", "pickup", "🚚 Delivery only", "📄 Delivery list (CSV)", "Delivery list of group buy"),
        ("zh-hans", "· 快递 ·", "自提", "🚚 仅快递", "📄 快递名单（CSV）", "快递名单"),
    ],
)
async def test_the_leader_sees_delivery_for_a_buy_that_only_delivers(
    shop: Stack, lang: str, delivery: str, pickup: str, only: str, button: str, caption: str
) -> None:
    bob = await started(shop, "Bob", lang=lang)  # joins and chooses nothing: the row keeps its default
    lena, view = await _delivery_only_buy(shop, "GB-ONLY", lang, bob)

    await lena.send("/leader")
    await lena.tap(f"#{view.id}")
    screen = await lena.last_message()
    text = text_of(screen)
    bob_line = next(line for line in text.splitlines() if "Bob" in line)
    assert delivery in bob_line and pickup not in bob_line, bob_line
    assert only in text and "📍" not in text, text
    assert button in labels(screen), labels(screen)

    await lena.tap(button, message=screen)
    document = await lena.last_message()
    assert document is not None and document.document is not None
    assert caption in text_of(document) and pickup not in text_of(document), text_of(document)
    [row] = list(csv.DictReader(io.StringIO(document.document.data.decode("utf-8-sig"))))
    assert (row["name"], row["receive"], row["pickup_point"]) == ("Bob", "delivery", "")

    # Once it succeeds Bob's order is a delivery (no pickup point to collect it from): the screen agrees.
    await fire_deadline(shop, view.id)
    await shop.client.wait_for(lambda: _bot_text_with(lena, "🎉"), timeout=10)  # told how it ended
    await lena.send("/leader")
    await lena.tap(f"#{view.id}")
    bob_line = next(line for line in text_of(await lena.last_message()).splitlines() if "Bob" in line)
    assert delivery in bob_line and pickup not in bob_line, bob_line
    await refresher(shop.app.ctx).idle()
