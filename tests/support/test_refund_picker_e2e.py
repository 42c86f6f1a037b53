"""A refund asked for by a shopper with several orders, as an outside tester tried it ("I want a refund"): the bot
opened a ticket for the newest paid order without asking, so the agent saw the wrong order. Now the bot asks which
order (its refundable orders as buttons, plus "Talk to a human" and "Never mind") unless it is clear: the message
names the order ("refund order 12", "订单12退款") or only one order can be refunded. With nothing to refund it says
so. Choosing an order hands over exactly as the order screen's "Return or refund" does. English and Chinese; real
bot, emulator."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.i18n import t_plain
from store import support
from tests.support.test_e2e import _add_order, _card, _labels, _last

pytestmark = pytest.mark.demo_people

SHOPPERS = [("Alice", "I want a refund", "en"), ("李雷", "我要退款", "zh")]


async def _orders(desk: Any, shopper: UserHandle) -> tuple[int, int, int]:
    """A delivered and a paid order (refundable) and an unpaid one (not), oldest first."""
    await shopper.send("/start")  # the shopper exists before their orders
    delivered = await _add_order(desk, shopper, status="delivered", note=None)
    paid = await _add_order(desk, shopper, status="paid", note=None, total=1800)
    unpaid = await _add_order(desk, shopper, status="pending_payment", note=None)
    return delivered, paid, unpaid


def _order_buttons(message: MessageView) -> list[str]:
    return [label for label in _labels(message) if label.startswith("#")]


async def _now(user: UserHandle, message: MessageView) -> MessageView:
    """The message as the shopper sees it now (buttons edit it in place)."""
    return next(m for m in await user.messages() if m.message_id == message.message_id)


@pytest.mark.parametrize(("who", "ask", "lang"), SHOPPERS, ids=["en", "zh"])
async def test_with_several_refundable_orders_the_bot_asks_which(desk: Any, who: str, ask: str, lang: str) -> None:
    shopper = desk.people[who]
    delivered, paid, unpaid = await _orders(desk, shopper)
    await shopper.send(ask)
    picker = await _last(shopper)
    assert await support.active_ticket(desk.db, shopper.id) is None, "nobody is handed a guessed order"
    assert picker.text == t_plain(lang, "support.refund.pick")
    buttons = _order_buttons(picker)
    assert [re.split(r"[ ｜]", label)[0] for label in buttons] == [f"#{paid}", f"#{delivered}"], buttons
    assert all(f"#{unpaid}" not in label for label in _labels(picker)), "an unpaid order has nothing to refund"
    assert t_plain(lang, "support.button.human") in _labels(picker)
    assert t_plain(lang, "support.button.never_mind") in _labels(picker)

    # the older order, picked: the refund hand-over with that order on the agent's card
    await shopper.tap(buttons[1], message=picker)
    ticket = await support.active_ticket(desk.db, shopper.id)
    assert ticket is not None and ticket.reason == "refund" and ticket.order_id == delivered
    answer = await _now(shopper, picker)
    assert f"#{delivered}" in (answer.text or "")
    assert t_plain(lang, "support.button.back_to_bot") in _labels(answer)
    assert f"refund request for order #{delivered}" in ((await _card(desk, ticket)).text or "")


@pytest.mark.parametrize(("who", "ask", "lang"), SHOPPERS, ids=["en", "zh"])
async def test_never_mind_leaves_without_a_request(desk: Any, who: str, ask: str, lang: str) -> None:
    shopper = desk.people[who]
    await _orders(desk, shopper)
    await shopper.send(ask)
    picker = await _last(shopper)
    await shopper.tap(t_plain(lang, "support.button.never_mind"), message=picker)
    answer = await _now(shopper, picker)
    assert answer.text == t_plain(lang, "support.refund.dropped") and _labels(answer) == []
    assert await support.active_ticket(desk.db, shopper.id) is None


@pytest.mark.parametrize(
    ("who", "ask", "lang"), [("Alice", "refund order {id}", "en"), ("李雷", "订单{id}退款", "zh")], ids=["en", "zh"]
)
async def test_a_named_order_is_handed_over_at_once(desk: Any, who: str, ask: str, lang: str) -> None:
    shopper = desk.people[who]
    delivered, _paid, _unpaid = await _orders(desk, shopper)
    await shopper.send(ask.format(id=delivered))
    ticket = await support.active_ticket(desk.db, shopper.id)
    assert ticket is not None and ticket.reason == "refund" and ticket.order_id == delivered
    assert f"#{delivered}" in ((await _last(shopper)).text or "")


@pytest.mark.parametrize(
    ("who", "ask", "lang"), [("Alice", "refund order {id}", "en"), ("李雷", "订单{id}退款", "zh")], ids=["en", "zh"]
)
async def test_a_named_order_that_is_not_refundable_or_not_theirs_is_explained(
    desk: Any, who: str, ask: str, lang: str
) -> None:
    shopper = desk.people[who]
    _delivered, _paid, unpaid = await _orders(desk, shopper)
    await shopper.send(ask.format(id=unpaid))
    answer = await _last(shopper)
    status = t_plain(lang, "support.status.pending_payment")
    assert t_plain(lang, "support.refund.not_refundable", order_id=unpaid, status=status) in (answer.text or "")
    assert len(_order_buttons(answer)) == 2  # the orders that can be refunded, to pick from
    assert await support.active_ticket(desk.db, shopper.id) is None

    other = desk.people["Sam"]
    await other.send("/start")
    theirs = await _add_order(desk, other, status="delivered", note=None)
    await shopper.send(ask.format(id=theirs))
    answer = await _last(shopper)
    assert t_plain(lang, "support.refund.unknown_order", order_id=theirs) in (answer.text or "")
    assert await support.active_ticket(desk.db, shopper.id) is None


@pytest.mark.parametrize(("who", "ask", "lang"), SHOPPERS, ids=["en", "zh"])
async def test_one_refundable_order_is_handed_over_at_once(desk: Any, who: str, ask: str, lang: str) -> None:
    shopper = desk.people[who]
    await shopper.send("/start")
    delivered = await _add_order(desk, shopper, status="delivered", note=None)
    await _add_order(desk, shopper, status="pending_payment", note=None)
    await shopper.send(ask)
    ticket = await support.active_ticket(desk.db, shopper.id)
    assert ticket is not None and ticket.order_id == delivered
    assert f"#{delivered}" in ((await _last(shopper)).text or "")


@pytest.mark.parametrize(("who", "ask", "lang"), SHOPPERS, ids=["en", "zh"])
async def test_with_nothing_to_refund_the_bot_says_so(desk: Any, who: str, ask: str, lang: str) -> None:
    shopper = desk.people[who]
    await shopper.send(ask)
    answer = await _last(shopper)
    assert answer.text == t_plain(lang, "support.refund.no_orders")
    assert t_plain(lang, "support.button.human") in _labels(answer)

    await _add_order(desk, shopper, status="pending_payment", note=None)
    await shopper.send(ask)
    answer = await _last(shopper)
    assert answer.text == t_plain(lang, "support.refund.none_refundable")
    assert t_plain(lang, "support.button.human") in _labels(answer)
    assert await support.active_ticket(desk.db, shopper.id) is None
