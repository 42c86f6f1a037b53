"""A double tap on the product card's ➕ is one tap: the quantity goes up by one, both taps are answered, and the
bot sends no edit that Telegram would refuse as "message is not modified" (the tester saw a 400 for the second
one). The real bot against the emulator; both taps leave the client before the bot has redrawn the card."""

from __future__ import annotations

import asyncio

import pytest

from bot.emulator.client import MessageView, TapResult, UserHandle
from bot.sandbox import Stack

pytestmark = pytest.mark.seeded


def _labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [button.text for row in message.buttons for button in row]


async def _card(shop: Stack) -> tuple[UserHandle, MessageView]:
    erin = await shop.client.user("Erin")
    await erin.send("/start")
    await erin.open_deeplink("p_VEG-POTATO")
    card = await erin.last_message()
    assert card is not None and "Qty: 1" in _labels(card)
    return erin, card


async def _double_tap(shop: Stack, user: UserHandle, label: str, card: MessageView) -> tuple[TapResult, TapResult]:
    first, second = await asyncio.gather(user.tap(label, message=card), user.tap(label, message=card))
    await shop.client.settle()
    return first, second


async def _edits_of(shop: Stack, message: MessageView) -> int:
    calls = await shop.client.calls()
    return sum(
        1
        for call in calls
        if str(call.get("method", "")).startswith("editMessage")
        and str((call.get("params") or {}).get("message_id")) == str(message.message_id)
    )


async def test_a_double_tap_on_plus_or_minus_moves_the_quantity_by_one(shop: Stack) -> None:
    # Several double taps: whether the second tap's edit overlapped the first's depends on timing, so one round
    # alone did not always show the 400 the tester saw.
    await shop.client.set_flood_limits(False)  # the rounds tap faster than a person
    erin, card = await _card(shop)
    quantity = 1
    for label, step in [("➕", 1)] * 5 + [("➖", -1)] * 3:
        edits_before = await _edits_of(shop, card)
        first, second = await _double_tap(shop, erin, label, card)
        quantity += step

        assert first.raw.get("answered") and second.raw.get("answered"), (first.raw, second.raw)
        assert not (await shop.client.unanswered()).callback_queries
        assert not await shop.client.error_responses(), [str(e) for e in await shop.client.error_responses()]
        now = await erin.last_message()
        assert now is not None and now.message_id == card.message_id
        assert f"Qty: {quantity}" in _labels(now) and f"🛒 Add {quantity} to cart" in _labels(now), _labels(now)
        assert await _edits_of(shop, card) == edits_before + 1, "one redraw for one intent"
        card = now
    assert quantity == 3


async def test_a_double_tap_on_any_screen_button_edits_once(shop: Stack) -> None:
    """Not only the picker: a category tapped twice draws its page once (no tap guard there; the edit guard
    knows the second drawing equals the first)."""
    erin = await shop.client.user("Erin")
    await erin.send("/start")
    await erin.send("/catalog")
    listing = await erin.last_message()
    assert listing is not None
    edits_before = await _edits_of(shop, listing)
    first, second = await _double_tap(shop, erin, "Vegetables", listing)

    assert first.raw.get("answered") and second.raw.get("answered")
    assert not await shop.client.error_responses(), [str(e) for e in await shop.client.error_responses()]
    page = await erin.last_message()
    assert page is not None and page.message_id == listing.message_id and "Vegetables · page 1" in (page.text or "")
    assert await _edits_of(shop, listing) == edits_before + 1
