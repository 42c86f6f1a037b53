"""A typed restock amount goes to the product whose prompt the admin answered (tester: with "Other amount"
open for two products, the number went to the other one): a reply to a prompt is for that prompt's product, a
number typed without a reply is for the latest prompt, and a prompt once answered takes no second number."""

from __future__ import annotations

from typing import Any

from bot.emulator.client import MessageView, UserHandle
from tests.conftest import ADMIN_ID
from tests.orders.helpers import make_product, stock_of

OTHER = "✏️ Other amount"


async def _prompts(ada: UserHandle, *skus: str) -> list[MessageView]:
    """Opens the stock screen of each SKU, then taps Other amount on each in turn: the prompts, in order."""
    cards = []
    for sku in skus:
        await ada.send(f"/stock {sku}")
        card = await ada.last_message()
        assert card is not None and sku in (card.text or "")
        cards.append(card)
    prompts = []
    for sku, card in zip(skus, cards, strict=True):
        await ada.tap(OTHER, message=card)
        prompt = await ada.last_message()
        assert prompt is not None and f"How many units of Product {sku}" in (prompt.text or "")
        prompts.append(prompt)
    return prompts


async def _admin(shop: Any) -> UserHandle:
    await shop.client.set_flood_limits(False)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    return ada


async def test_a_number_without_a_reply_goes_to_the_latest_prompt(shop: Any) -> None:
    apple = await make_product(shop.db, "APL-1", stock=3)
    pear = await make_product(shop.db, "PEAR-1", stock=7)
    ada = await _admin(shop)
    await _prompts(ada, "PEAR-1", "APL-1")  # B first, then A: A's prompt is the latest
    await ada.send("5")
    done = await ada.last_message()
    assert done is not None and "APL-1" in (done.text or "") and "3 → 8" in (done.text or "")
    assert (await stock_of(shop.db, apple), await stock_of(shop.db, pear)) == (8, 7)


async def test_a_reply_goes_to_the_prompt_replied_to_and_the_latest_still_waits(shop: Any) -> None:
    apple = await make_product(shop.db, "APL-1", stock=3)
    pear = await make_product(shop.db, "PEAR-1", stock=7)
    ada = await _admin(shop)
    apple_prompt, _pear_prompt = await _prompts(ada, "APL-1", "PEAR-1")

    await ada.send("4", reply_to=apple_prompt)  # the earlier prompt, answered by replying to it
    done = await ada.last_message()
    assert done is not None and "APL-1" in (done.text or "") and "3 → 7" in (done.text or "")
    assert (await stock_of(shop.db, apple), await stock_of(shop.db, pear)) == (7, 7)

    await ada.send("6")  # Pear's prompt, the latest, is still open
    done = await ada.last_message()
    assert done is not None and "PEAR-1" in (done.text or "") and "7 → 13" in (done.text or "")
    assert (await stock_of(shop.db, apple), await stock_of(shop.db, pear)) == (7, 13)


async def test_a_reply_to_the_latest_prompt_leaves_the_earlier_one_for_a_reply(shop: Any) -> None:
    apple = await make_product(shop.db, "APL-1", stock=3)
    pear = await make_product(shop.db, "PEAR-1", stock=7)
    ada = await _admin(shop)
    apple_prompt, pear_prompt = await _prompts(ada, "APL-1", "PEAR-1")

    await ada.send("2", reply_to=pear_prompt)
    assert (await stock_of(shop.db, apple), await stock_of(shop.db, pear)) == (3, 9)
    await ada.send("10", reply_to=apple_prompt)  # answered after the latest: still its own product
    done = await ada.last_message()
    assert done is not None and "APL-1" in (done.text or "") and "3 → 13" in (done.text or "")
    assert (await stock_of(shop.db, apple), await stock_of(shop.db, pear)) == (13, 9)

    await ada.send("10", reply_to=apple_prompt)  # that prompt was answered: no second restock
    assert (await stock_of(shop.db, apple), await stock_of(shop.db, pear)) == (13, 9)


async def test_a_reply_to_a_restock_prompt_while_a_threshold_is_being_typed(shop: Any) -> None:
    """The stepper opened last takes a bare number; a reply to the restock prompt is still a restock."""
    apple = await make_product(shop.db, "APL-1", stock=3)
    pear = await make_product(shop.db, "PEAR-1", stock=7)
    ada = await _admin(shop)
    (apple_prompt,) = await _prompts(ada, "APL-1")
    await ada.send("/stock PEAR-1")
    pear_card = await ada.last_message()
    assert pear_card is not None
    await ada.tap("🔔 Low-stock alert: 5 (default)", message=pear_card)

    await ada.send("9", reply_to=apple_prompt)
    assert (await stock_of(shop.db, apple), await stock_of(shop.db, pear)) == (12, 7)
    await ada.send("2")  # the stepper is still open: a threshold for Pear
    saved = await ada.last_message()
    assert saved is not None and "PEAR-1: low-stock alert below 2" in (saved.text or "")
    assert (await stock_of(shop.db, apple), await stock_of(shop.db, pear)) == (12, 7)
