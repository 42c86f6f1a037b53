"""Outside tester: at the checkout's summary ("Choose how to pay:") a typed question got no reply at all. Now any
text there is answered: a question the way the typed steps answer one, then a reminder to choose how to pay with
the buttons above (or /cancel). The summary stays and its buttons still work. End to end, en and zh."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkout_outside.helpers import at_summary, last_text, make_product, shopper

CASES = {
    "en": {
        "name": "Alice",
        "questions": ("where is my order?", "can I pay with cash?"),
        "plain": "hello there friend",
        "remind": "Please choose how to pay with the buttons above, or send /cancel to stop the checkout.",
        "later": "I can answer that once your checkout is done",
        "card": "by card",
        "placed": "Order #1 is placed",
    },
    "zh": {
        "name": "李雷",
        "questions": ("我的订单在哪里？", "可以用现金付款吗？"),
        "plain": "你好你好",
        "remind": "请点击上方按钮选择支付方式，或发送 /cancel 取消结账。",
        "later": "这个问题等结账完成后我再为您解答",
        "card": "银行卡支付",
        "placed": "订单 #1 已提交",
    },
}


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_text_at_the_payment_step_is_answered_and_the_summary_stays(shop: Any, lang: str) -> None:
    case = CASES[lang]
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    user = await shopper(shop, case["name"], lang)
    summary = await at_summary(shop, user, lang, {tea: 1})

    for question in case["questions"]:
        before = len(await user.messages())
        await user.send(question)
        replies = [m for m in (await user.messages())[before:] if m.from_bot]
        assert len(replies) == 1, [m.text for m in replies]
        said = replies[0].text or ""
        assert case["remind"] in said, said
        # Answered like the name and coupon steps: the FAQ's answer, or "once your checkout is done".
        assert said.split(case["remind"])[0].strip(), said

    await user.send(case["plain"])  # not a question: still a reply, the reminder
    assert case["remind"] in await last_text(user)

    await user.tap(case["card"], message=summary)  # the summary's buttons still work
    assert any(case["placed"] in (m.text or "") for m in await user.messages() if m.from_bot)


async def test_a_question_with_no_faq_answer_is_told_it_comes_later(shop: Any) -> None:
    case = CASES["en"]
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    user = await shopper(shop, "Bob", "en")
    await at_summary(shop, user, "en", {tea: 1})
    await user.send("qwzx plokm?")
    said = await last_text(user)
    assert case["later"] in said and case["remind"] in said, said
