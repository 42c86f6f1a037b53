""" "You may also like" on the payment's confirmation: a card payment (the "paid" notice) and a Stars payment for
digital goods (the first good confirms it), never what is sold out or was just bought, in both languages."""

from __future__ import annotations

import pytest

from bot import social
from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from store import catalog
from tests.orders.helpers import make_product
from tests.social.helpers import bought, make_user

pytestmark = pytest.mark.seeded

TEA_DRINKERS = range(730_001, 730_006)


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [button.text for row in message.buttons for button in row]


async def confirmation(user: UserHandle, needle: str) -> MessageView:
    async def find() -> MessageView | None:
        for message in reversed(await user.messages()):
            if message.from_bot and needle in (message.text or message.caption or ""):
                return message
        return None

    found: MessageView = await user.sb.wait_for(find, timeout=10)
    return found


async def history(shop: Stack, skus: list[str]) -> None:
    for user in TEA_DRINKERS:
        await make_user(shop.db, user)
        await bought(shop.db, user, skus)
    await social.recommender(shop.app.ctx).refresh()


@pytest.mark.parametrize(
    ("lang", "add", "pickup", "card", "paid", "also", "puer", "oolong"),
    [
        (
            "en",
            "Add 1",
            "Pick up: Central Store",
            "by card",
            "Payment received",
            "You may also like",
            "Pu'er",
            "Tieguanyin",
        ),
        ("zh", "加入购物车（1 件）", "自提：", "银行卡", "已收到付款", "猜您喜欢", "普洱", "铁观音"),
    ],
)
async def test_card_payment_confirmation_suggests_what_others_bought_with_it(
    shop: Stack, lang: str, add: str, pickup: str, card: str, paid: str, also: str, puer: str, oolong: str
) -> None:
    await shop.client.set_flood_limits(False)
    await history(shop, ["TEA-PUER", "TEA-OOLONG", "TEA-LONGJING", "HOM-TISSUE"])
    oolong_row = await catalog.get_product_by_sku(shop.db, "TEA-OOLONG")
    assert oolong_row is not None
    await catalog.adjust_stock(shop.db, "TEA-OOLONG", -oolong_row.stock)  # sold out: never suggested

    carol = await shop.client.user("Carol", lang=lang)
    await carol.send("/start")
    await carol.open_deeplink("p_TEA-PUER")
    await carol.tap(add)
    await carol.send("/checkout")
    await carol.tap(pickup)
    await carol.tap(card)
    assert (await carol.pay())["status"] == "paid"
    notice = await confirmation(carol, paid)
    suggestions = [label for label in labels(notice) if also in label]
    assert 1 <= len(suggestions) <= 3, labels(notice)
    assert not any(puer in label for label in suggestions), "not what was just bought"
    assert not any(oolong in label for label in suggestions), "not what is sold out"
    assert any("Longjing" in label or "龙井" in label for label in suggestions), suggestions
    # A suggestion opens its product's card.
    await carol.tap(next(label for label in suggestions if "Longjing" in label or "龙井" in label), message=notice)
    card_message = await carol.last_message()
    assert card_message is not None
    assert "Longjing" in ((card_message.text or "") + (card_message.caption or "")) or "龙井" in (
        (card_message.text or "") + (card_message.caption or "")
    )


async def test_stars_payment_confirmation_suggests_too(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    await make_product(shop.db, "EBOOK", price=1999, stock=100, digital=True, stars=50)
    await history(shop, ["EBOOK", "TEA-LONGJING"])
    dan = await shop.client.user("Dan", lang="en")
    await dan.send("/start")
    await dan.open_deeplink("p_EBOOK")
    await dan.tap("Add 1")
    await dan.send("/checkout")
    await dan.tap("Pay ⭐ 50")
    assert (await dan.pay())["status"] == "paid"
    notice = await confirmation(dan, "Payment received")
    suggestions = [label for label in labels(notice) if "You may also like" in label]
    assert suggestions and any("Longjing" in label for label in suggestions), labels(notice)
    assert not any("EBOOK" in label for label in suggestions)
