"""An outside tester: "I was charged twice for my order" / "我被重复扣款了" got the failed-payment answer ("Sorry
about that. Please try again or use another method"), telling a shopper who paid twice to pay again. Now a double
charge is answered as one: we will check it and refund the extra charge, which order is it (their paid orders as
buttons: a tap hands over with the order on the agent's card), and «Talk to a human» first. A failed payment
("my card was declined", "支付失败") still gets the failed-payment answer. English and Chinese; real bot, emulator."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.emulator.client import MessageView
from bot.i18n import t_plain
from bot.nlu_service import faq_answer
from store import support
from tests.support.test_e2e import _add_order, _labels, _last

pytestmark = pytest.mark.demo_people

WHO = {"en": "Alice", "zh": "李雷"}
PHRASES = {
    "en": [
        "I was charged twice for my order",
        "you took my money twice",
        "double charged",
        "hi, i got chraged twice for the same order!!",
        "why did u charge me 2 times",
    ],
    "zh": ["我被重复扣款了", "扣了两次钱", "付了两次钱，怎么回事", "同一个订单被扣了两遍钱", "多扣钱了"],
}
PAY_AGAIN = {"en": ("try again", "another method"), "zh": ("再试", "换一种支付方式")}


def _is_double_charge_answer(message: MessageView, lang: str) -> None:
    text = message.text or ""
    assert t_plain(lang, "support.double_charge.intro") in text, text
    assert not any(words in text for words in PAY_AGAIN[lang]), f"told to pay again: {text}"
    labels = _labels(message)
    assert labels and labels[0] == t_plain(lang, "support.button.human"), labels


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_charged_twice_is_never_told_to_pay_again(shop: Any, lang: str) -> None:
    shopper = shop.people[WHO[lang]]
    await shopper.send("/start")
    for phrase in PHRASES[lang]:
        await shopper.send(phrase)
        answer = await _last(shopper)
        _is_double_charge_answer(answer, lang)
        assert t_plain(lang, "support.double_charge.no_orders") in (answer.text or ""), phrase


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_charged_twice_asks_which_order_and_a_tap_hands_it_over(shop: Any, lang: str) -> None:
    shopper = shop.people[WHO[lang]]
    await shopper.send("/start")
    delivered = await _add_order(shop, shopper, status="delivered", note=None)
    paid = await _add_order(shop, shopper, status="paid", note=None, total=1800)
    unpaid = await _add_order(shop, shopper, status="pending_payment", note=None)
    await shopper.send(PHRASES[lang][0])
    answer = await _last(shopper)
    _is_double_charge_answer(answer, lang)
    assert t_plain(lang, "support.double_charge.pick") in (answer.text or "")
    assert await support.active_ticket(shop.db, shopper.id) is None, "nobody is handed a guessed order"
    orders = [label for label in _labels(answer) if label.startswith("#")]
    assert [re.split(r"[ ｜]", label)[0] for label in orders] == [f"#{paid}", f"#{delivered}"], orders
    assert all(f"#{unpaid}" not in label for label in _labels(answer))

    await shopper.tap(orders[0], message=answer)
    ticket = await support.active_ticket(shop.db, shopper.id)
    assert ticket is not None and ticket.order_id == paid


@pytest.mark.parametrize(("lang", "text"), [("en", "I was charged twice for order {id}"), ("zh", "订单{id}重复扣款了")])
async def test_charged_twice_for_a_named_order(shop: Any, lang: str, text: str) -> None:
    shopper = shop.people[WHO[lang]]
    await shopper.send("/start")
    paid = await _add_order(shop, shopper, status="paid", note=None)
    await shopper.send(text.format(id=paid))
    answer = await _last(shopper)
    _is_double_charge_answer(answer, lang)
    assert t_plain(lang, "support.double_charge.named", order_id=paid) in (answer.text or "")


@pytest.mark.parametrize(("lang", "text"), [("en", "my card was declined"), ("zh", "支付失败")])
async def test_a_failed_payment_still_gets_the_failed_payment_answer(shop: Any, lang: str, text: str) -> None:
    shopper = shop.people[WHO[lang]]
    await shopper.send("/start")
    await shopper.send(text)
    answer = await _last(shopper)
    assert (answer.text or "") == faq_answer(shop.settings, "payment_problem", lang)
    assert t_plain(lang, "support.button.human") in _labels(answer)
