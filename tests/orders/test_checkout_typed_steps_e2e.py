"""Typed checkout steps over the emulator: a command runs and is never saved as the name or address, a question
is answered with a reminder of the step (which stays), and names that are only digits or punctuation are
refused, in both languages."""

from __future__ import annotations

from typing import Any

from tests.orders.helpers import fill_cart, last_text, make_product
from tests.orders.test_checkout_e2e import _shopper

ASK_NAME_ZH = "请问收货人姓名"
ASK_PHONE_ZH = "请提供联系电话"
ASK_ADDRESS_ZH = "请输入收货地址"


async def test_commands_and_questions_at_typed_steps_zh(shop: Any) -> None:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    li = await _shopper(shop, "李雷", lang="zh")
    await fill_cart(shop.db, li.id, {tea: 1})
    await li.send("/checkout")
    await li.tap("送货上门")
    assert ASK_NAME_ZH in await last_text(li)

    await li.send("/points")  # runs; the checkout waits for the name
    assert "我的积分" in await last_text(li)
    await li.send("运费多少钱？")  # answered, and the step is named again
    answer = await last_text(li)
    assert "配送费 ¥8.00" in answer and "请输入收货人姓名" in answer and ASK_PHONE_ZH not in answer
    await li.send("12345")
    assert "不能只有数字或标点" in await last_text(li)
    await li.send("韩梅梅")
    assert ASK_PHONE_ZH in await last_text(li)

    await li.send("+86 138 0013 8000")
    assert ASK_ADDRESS_ZH in await last_text(li)
    await li.send("怎么自提")  # no question mark, but plainly an FAQ: answered, the address step stays
    answer = await last_text(li)
    assert "我们的自提点" in answer and "请输入收货地址" in answer and "请再发送一次" in answer
    await li.send("/orders")
    assert ASK_ADDRESS_ZH not in await last_text(li)
    await li.send("北京市朝阳区建国路88号")
    summary = await last_text(li)
    assert "订单确认" in summary and "韩梅梅" in summary and "建国路88号" in summary
    assert "/points" not in summary and "运费多少钱" not in summary and "怎么自提" not in summary


async def test_unknown_command_question_and_repeated_name_en(shop: Any) -> None:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    alice = await _shopper(shop)
    await fill_cart(shop.db, alice.id, {tea: 1})
    await alice.send("/checkout")
    await alice.tap("Delivery to my address")
    await alice.send("/frobnicate")
    assert "I don't know that command" in await last_text(alice)
    await alice.send("is the courier nice?")  # a question no FAQ answers: still not a name
    reply = await last_text(alice)
    assert "once your checkout is done" in reply and "Please type the recipient's name" in reply
    await alice.send("...")
    assert "with letters" in await last_text(alice)
    # A name the classifier reads as an FAQ is answered once; sent again, it is the name.
    await alice.send("Anna Points")
    assert "send it once more" in await last_text(alice)
    await alice.send("Anna Points")
    assert "phone number" in await last_text(alice)
