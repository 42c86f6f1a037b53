"""Outside check: two checkout summaries of one cart were live (a stale "Back to the summary", a second device) and
both Pay buttons were tapped at once. One order was placed (right), but the other tap said "Your cart is empty. Add
something from /catalog first." It now names the order the cart went into, as a later tap of that summary does.
End to end, en and zh; the other summary's order is placed straight through the store, as a tap whose answer has
not been saved yet."""

from __future__ import annotations

from typing import Any

import pytest

from store import checkout
from tests.orders.helpers import POLICY, card_pickup
from tests.orders.test_checkout_e2e import _order_rows
from tests.orders.test_stale_pay_method_e2e import EN, ZH, _summary


@pytest.mark.parametrize("words", [EN, ZH], ids=["en", "zh"])
async def test_pay_on_a_summary_whose_cart_was_just_placed_names_the_order(shop: Any, words: dict[str, str]) -> None:
    user, summary = await _summary(shop, words)
    placed = await checkout.place_order(shop.db, card_pickup(user.id, payment_method="pickup"), POLICY)

    tapped = await user.tap(words["card"], message=summary)
    toast = (tapped.toast.text or "") if tapped.toast else ""
    assert words["will_pay_on_pickup"].format(id=placed.order_id) in toast, toast
    assert [o.id for o in await _order_rows(shop)] == [placed.order_id], "nothing placed twice"
    assert not [m for m in await user.messages() if m.from_bot and m.invoice is not None], "no invoice"
