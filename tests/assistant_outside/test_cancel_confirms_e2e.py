"""An outside tester: "cancel my order" showed the unpaid order with «Cancel order #N», and one tap cancelled it
(the reserved stock went back, a pickup hold was lost), while /orders → order → Cancel asks "Cancel order #N?"
first. Now the assistant's button and its order picker go through that same question: «No» keeps the order, «Yes»
cancels it and the stock returns, and a second «Yes» is told the order is already cancelled. English and Chinese,
a shopper the bot has never seen; real bot, emulator."""

from __future__ import annotations

from typing import Any

import pytest

from bot.callbacks.orders import OrderCB
from bot.emulator.client import MessageView, UserHandle
from bot.i18n import t_plain
from store import checkout, orders
from tests.checkout_outside.helpers import labels, shopper
from tests.orders.helpers import POLICY, card_pickup, fill_cart, make_product, stock_of

ASK = {"en": "cancel my order", "zh": "我要取消订单"}
WHO = {"en": "Olivia", "zh": "王芳"}


async def _unpaid_order(shop: Any, user: UserHandle, product_id: int, quantity: int) -> int:
    """A pickup order placed from the cart (its units are taken from the product's stock until it is paid)."""
    await fill_cart(shop.db, user.id, {product_id: quantity})
    placed = await checkout.place_order(shop.db, card_pickup(user.id), POLICY)
    assert placed.status == orders.PENDING_PAYMENT
    return placed.order_id


async def _status(shop: Any, order_id: int, user: UserHandle) -> str:
    return (await orders.get_order(shop.db, order_id, user.id)).status


async def _last(user: UserHandle) -> MessageView:
    message = await user.last_message()
    assert message is not None and message.from_bot, message
    return message


def _data(message: MessageView, label: str) -> str:
    found = [b.callback_data for row in message.buttons for b in row if b.text == label and b.callback_data]
    assert found, (label, labels(message))
    return found[0]


def _yes_data(message: MessageView) -> str:
    for row in message.buttons:
        for button in row:
            if button.callback_data and OrderCB.unpack(button.callback_data).action == "cancel_yes":
                return button.callback_data
    raise AssertionError(f"no Yes button: {labels(message)}")


async def _asked(user: UserHandle, lang: str, order_id: int) -> MessageView:
    question = await _last(user)
    assert (question.text or "") == t_plain(lang, "orders.cancel_question", order_id=order_id), question.text
    assert labels(question) == [t_plain(lang, "orders.cancel_yes"), t_plain(lang, "orders.cancel_no")]
    return question


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_assistants_cancel_asks_first_and_a_second_yes_is_told_it_is_done(shop: Any, lang: str) -> None:
    user = await shopper(shop, WHO[lang], lang)
    tea = await make_product(shop.db, "TEA-1", stock=5)
    order_id = await _unpaid_order(shop, user, tea, 2)
    assert await stock_of(shop.db, tea) == 3
    cancel = t_plain(lang, "support.button.cancel_order", order_id=order_id)

    await user.send(ASK[lang])
    offer = await _last(user)
    assert cancel in labels(offer), labels(offer)
    cancel_data = _data(offer, cancel)
    await user.tap(cancel, message=offer)
    await _asked(user, lang, order_id)
    assert await _status(shop, order_id, user) == orders.PENDING_PAYMENT, "the tap only asks"
    assert await stock_of(shop.db, tea) == 3

    await user.tap(t_plain(lang, "orders.cancel_no"))
    assert await _status(shop, order_id, user) == orders.PENDING_PAYMENT, "«No» keeps the order"
    assert await stock_of(shop.db, tea) == 3
    kept = await _last(user)
    assert f"#{order_id}" in (kept.text or "")

    await user.send(ASK[lang])
    await user.tap(cancel, message=await _last(user))
    question = await _asked(user, lang, order_id)
    yes = _yes_data(question)
    done = await user.tap(t_plain(lang, "orders.cancel_yes"), message=question)
    assert done.toast is not None and done.toast.text == t_plain(lang, "orders.cancelled_toast", order_id=order_id)
    assert await _status(shop, order_id, user) == orders.CANCELLED
    assert await stock_of(shop.db, tea) == 5, "the reserved units are back on sale"

    await user.tap_data(yes, message=question)  # the same «Yes» again (a double tap, an old screen)
    toasts = await user.toasts()
    assert toasts[-1].text == t_plain(lang, "support.orders.already_cancelled", order_id=order_id), toasts
    assert await stock_of(shop.db, tea) == 5
    await user.tap_data(cancel_data, message=offer)  # the answer's «Cancel order #N» of an older drawing
    toasts = await user.toasts()
    assert toasts[-1].text == t_plain(lang, "support.orders.already_cancelled", order_id=order_id), toasts


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_picked_order_is_asked_about_before_it_is_cancelled(shop: Any, lang: str) -> None:
    user = await shopper(shop, WHO[lang], lang)
    tea = await make_product(shop.db, "TEA-1", stock=9)
    cup = await make_product(shop.db, "CUP-1", stock=9)
    first = await _unpaid_order(shop, user, tea, 1)
    second = await _unpaid_order(shop, user, cup, 3)

    await user.send(ASK[lang])
    picker = await _last(user)
    assert (picker.text or "") == t_plain(lang, "support.orders.pick"), picker.text
    picked = next(label for label in labels(picker) if label.startswith(f"#{second}"))
    picked_data = _data(picker, picked)
    await user.tap(picked, message=picker)
    question = await _asked(user, lang, second)
    assert await _status(shop, second, user) == orders.PENDING_PAYMENT, "picking an order does not cancel it"

    await user.tap(t_plain(lang, "orders.cancel_yes"), message=question)
    assert await _status(shop, second, user) == orders.CANCELLED
    assert await _status(shop, first, user) == orders.PENDING_PAYMENT
    assert await stock_of(shop.db, cup) == 9 and await stock_of(shop.db, tea) == 8

    await user.tap_data(picked_data, message=picker)  # the picker's button again: that order is cancelled already
    toasts = await user.toasts()
    assert toasts[-1].text == t_plain(lang, "support.orders.already_cancelled", order_id=second), toasts
