"""Outside check: the refund picker listed an order delivered weeks ago, and "refund order N" for it handed it to an
agent as a refund request, though the shop's answer says refunds are possible within `return_days` of delivery.
An order past its return window is no longer offered; named, it gets the reason (delivered on which day, how many
days the window has) and "Talk to a human", since a person may still help with a defect. English and Chinese;
real bot, emulator."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.emulator.client import UserHandle
from bot.i18n import t_plain
from store import support
from store.models import OrderEvent, utcnow
from tests.support.test_e2e import _add_order, _labels, _last

pytestmark = pytest.mark.demo_people


async def _delivered(desk: Any, shopper: UserHandle, days_ago: int) -> int:
    order_id = await _add_order(desk, shopper, status="delivered", note=None)
    async with desk.db.tx() as session:
        session.add(
            OrderEvent(
                order_id=order_id, from_status="shipped", to_status="delivered", at=utcnow() - timedelta(days=days_ago)
            )
        )
    return order_id


async def _old_and_recent(desk: Any, shopper: UserHandle) -> tuple[int, int, int]:
    """The return window's days, an order delivered 3 days before it opened and one delivered yesterday."""
    await shopper.send("/start")
    days = int(desk.app.ctx.settings.shop.return_days)
    return days, await _delivered(desk, shopper, days + 3), await _delivered(desk, shopper, 1)


def _order_numbers(labels: list[str]) -> list[str]:
    return [re.split(r"[ ｜]", label)[0] for label in labels if label.startswith("#")]


@pytest.mark.parametrize(("who", "lang"), [("Alice", "en"), ("李雷", "zh")], ids=["en", "zh"])
async def test_an_order_past_its_return_window_is_not_offered(desk: Any, who: str, lang: str) -> None:
    shopper = desk.people[who]
    _days, old, recent = await _old_and_recent(desk, shopper)
    paid = await _add_order(desk, shopper, status="paid", note=None)

    await shopper.send("I want a refund" if lang == "en" else "我要退款")
    picker = await _last(shopper)
    assert picker.text == t_plain(lang, "support.refund.pick")
    assert _order_numbers(_labels(picker)) == [f"#{paid}", f"#{recent}"], _labels(picker)
    assert f"#{old}" not in " ".join(_labels(picker))
    assert await support.active_ticket(desk.db, shopper.id) is None


@pytest.mark.parametrize(
    ("who", "ask", "lang", "said"),
    [
        ("Alice", "refund order {id}", "en", "past the return window"),
        ("李雷", "订单{id}退款", "zh", "已超过"),
    ],
    ids=["en", "zh"],
)
async def test_a_named_order_past_its_window_is_explained_and_a_person_offered(
    desk: Any, who: str, ask: str, lang: str, said: str
) -> None:
    shopper = desk.people[who]
    await shopper.send("/start")
    days = desk.app.ctx.settings.shop.return_days
    old = await _delivered(desk, shopper, days + 3)

    await shopper.send(ask.format(id=old))
    answer = await _last(shopper)
    assert said in (answer.text or "") and f"#{old}" in (answer.text or ""), answer.text
    assert str(days) in (answer.text or "")
    assert await support.active_ticket(desk.db, shopper.id) is None, "not handed over as a refund request"
    assert t_plain(lang, "support.button.human") in _labels(answer)
    assert not [label for label in _labels(answer) if label.startswith("#")], "nothing else to refund"

    # Within the window the same words hand the order over, as before.
    recent = await _delivered(desk, shopper, 1)
    await shopper.send(ask.format(id=recent))
    ticket = await support.active_ticket(desk.db, shopper.id)
    assert ticket is not None and ticket.reason == "refund" and ticket.order_id == recent


@pytest.mark.parametrize(("who", "lang"), [("Alice", "en"), ("李雷", "zh")], ids=["en", "zh"])
async def test_the_order_screen_offers_a_return_only_within_the_window(desk: Any, who: str, lang: str) -> None:
    shopper = desk.people[who]
    days, old, recent = await _old_and_recent(desk, shopper)
    return_label = t_plain(lang, "orders.return_button")

    async def detail(order_id: int) -> Any:
        await shopper.send("/orders")
        listing = await _last(shopper)
        (label,) = [label for label in _labels(listing) if label.startswith(f"#{order_id}")]
        await shopper.tap(label, message=listing)
        return await _last(shopper)

    assert return_label not in _labels(await detail(old))
    screen = await detail(recent)
    assert return_label in _labels(screen)

    # The screen stays in the chat while the window closes: its button then says why, and hands nothing over.
    async with desk.db.tx() as session:
        await session.execute(
            update(OrderEvent)
            .where(OrderEvent.order_id == recent, OrderEvent.to_status == "delivered")
            .values(at=utcnow() - timedelta(days=days + 1))
        )
    tapped = await shopper.tap(return_label, message=screen)
    assert tapped.toast is not None and f"#{recent}" in (tapped.toast.text or ""), tapped.toast
    assert str(days) in (tapped.toast.text or "") and "/support" in (tapped.toast.text or "")
    assert await support.active_ticket(desk.db, shopper.id) is None
