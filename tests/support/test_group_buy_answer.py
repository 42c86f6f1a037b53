"""Asked about group buys, the assistant shows the shopper's own open group buys before the rules."""

from __future__ import annotations

from bot.sandbox import Stack
from store import groupbuy
from tests.groupbuy.helpers import make_product, make_users, publish


async def test_group_buy_question_answers_with_the_shoppers_own_group_buys(shop: Stack) -> None:
    await make_users(shop.db, [1])  # the leader
    product_id = await make_product(shop.db, stock=20, price=10000, sku="GB-RICE")
    view = await publish(shop.db, product_id, minimum=3)
    zoe = await shop.client.user("Zoe")
    await zoe.send("/start")
    assert (await groupbuy.join(shop.db, view.id, zoe.id)).status == "joined"
    await zoe.send("how does group buying work")
    answer = (await zoe.last_message()).text or ""
    assert "Your group buys right now" in answer
    assert "1 joined, 3 needed" in answer and "¥100.00" in answer

    newcomer = await shop.client.user("Nia")
    await newcomer.send("how does group buying work")
    assert "Your group buys right now" not in ((await newcomer.last_message()).text or "")
