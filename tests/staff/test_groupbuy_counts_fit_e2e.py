"""An outside tester's finding D11, end to end against the emulator: the counts screen (minimum, maximum,
per-person steppers) never offers a value that makes the set-up inconsistent (a maximum below a tier's people,
which would make that tier unreachable; a maximum × per-person promise above the stock), and counts that cannot
fit say so on the screen while Continue refuses with the reason; the summary lists only reachable tiers."""

from __future__ import annotations

from typing import Any

from tests.groupbuy.helpers import make_product
from tests.staff.test_groupbuy_wizard_e2e import labels, leader_in_group, text_of


async def test_steppers_offer_no_maximum_below_a_tier_and_no_promise_above_the_stock(shop: Any) -> None:
    await make_product(shop.db, stock=40, price=1690, sku="GB-TEA")
    lena, group = await leader_in_group(shop)
    await lena.send("/groupbuy", chat=group)
    await lena.send("oolong")
    await lena.tap("3+ ¥15.21 · 10+ ¥13.52")  # the best tier needs 10 people
    for shown in ("at most 20", "at most 15", "at most 10"):  # ➖ from "no maximum": 20 (the stock at 2 each)
        await lena.tap(row=1, col=0, message=await lena.last_message())
        assert f"People: at least 3, {shown}" in text_of(await lena.last_message())
    screen = await lena.last_message()
    assert labels(screen)[3] == "·", "a maximum of 9 would leave the 10-people tier unreachable: not offered"
    dot = await lena.tap(row=1, col=0, message=screen)
    assert dot.toast is not None and "cannot go further" in (dot.toast.text or "")
    assert "at most 10" in text_of(await lena.last_message()), "nothing changed"

    for _ in range(2):  # 10 people × 3, × 4 units fit the 40 in stock
        await lena.tap(row=2, col=2, message=await lena.last_message())
    screen = await lena.last_message()
    assert "Per person: up to 4" in text_of(screen)
    assert labels(screen)[8] == "·", "10 people × 5 each would promise 50 units of 40: not offered"
    assert "⚠️" not in text_of(screen)

    await lena.tap("Continue")
    await lena.tap("48 h after publishing")
    await lena.tap("Central Store")
    summary = text_of(await lena.last_message())
    assert "People: at least 3, at most 10" in summary and "Per person: up to 4" in summary
    assert "10+ people: ¥13.52" in summary, summary
