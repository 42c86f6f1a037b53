"""A winner taps again: a double tap on "Buy now" says they already got one (D7), not "busy, you are in the
queue"; "Pay" on a flash order already paid says it is paid (D18), not "can no longer be paid". English and
Chinese, the real bot against the emulator."""

from __future__ import annotations

import asyncio

import pytest

from bot.config import Settings
from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from tests.conftest import ADMIN_ID, settings_without_early_access
from tests.flashsale.helpers import make_product
from tests.flashsale.test_flash_e2e import _card, _last_invoice, _private_with


async def _live_card(shop: Stack, people: list[UserHandle]) -> tuple[object, MessageView]:
    await make_product(shop.db, "RICE-1", stock=10)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    group = await shop.client.group("Neighbours", members=people, bot_admin=True)
    for person in (ada, *people):
        await person.send("/start")
    await ada.send("/flash_create sku=RICE-1 price=19.90 stock=5 start=now end=+1h limit=1 groups=all")
    return group, await _card(people[0], group, shop)


def _toasts(*taps: object) -> list[str]:
    return sorted(t.toast.text or "" for t in taps if t.toast is not None)  # type: ignore[attr-defined]


async def test_winners_double_tap_on_buy_says_already_got_one(shop: Stack) -> None:
    alice = await shop.client.user("Alice")
    lilei = await shop.client.user("李雷", lang="zh-hans")
    group, card = await _live_card(shop, [alice, lilei])
    first, second = await asyncio.gather(alice.tap(message=card, chat=group), alice.tap(message=card, chat=group))
    toasts = _toasts(first, second)
    assert toasts[0].startswith("✅ You already have one from this sale"), toasts
    assert toasts[1].startswith("🎉 You got one!"), toasts
    first, second = await asyncio.gather(lilei.tap(message=card, chat=group), lilei.tap(message=card, chat=group))
    toasts = _toasts(first, second)
    assert toasts[0].startswith("✅ 您已经抢到") and toasts[1].startswith("🎉 抢到了"), toasts
    # And later, long after the first tap was decided.
    again = await alice.tap(message=card, chat=group)
    assert again.toast is not None and (again.toast.text or "").startswith("✅ You already have one")


async def test_pay_on_a_paid_flash_order_says_it_is_paid(shop: Stack) -> None:
    alice = await shop.client.user("Alice")
    lilei = await shop.client.user("李雷", lang="zh-hans")
    group, card = await _live_card(shop, [alice, lilei])
    for person, needle, pay, paid_text in (
        (alice, "flash price", "Pay", "is already paid"),
        (lilei, "秒杀价", "支付", "已经付过款了"),
    ):
        won = await person.tap(message=card, chat=group)
        assert won.toast is not None and won.toast.url
        note = await _private_with(person, shop, needle)  # type: ignore[arg-type]
        await person.tap(pay, message=note)
        invoice = await shop.client.wait_for(lambda p=person: _last_invoice(p), timeout=5)  # type: ignore[misc]
        assert (await person.pay(message=invoice))["status"] == "paid"
        await shop.client.settle()
        await asyncio.sleep(1.1)  # past the double-tap window: this is a new tap
        again = await person.tap(pay, message=note)
        assert again.toast is not None and paid_text in (again.toast.text or ""), again.toast
        assert "no longer" not in (again.toast.text or "") and "无法支付" not in (again.toast.text or "")


class TestWithoutPickupPoints:
    """Without pick-up points the won message has one "Pay" button (the tester's "Pay ⭐ 35" path)."""

    @pytest.fixture
    def settings(self) -> Settings:
        return settings_without_early_access(shop={"pickup_points": []})

    async def test_pay_button_on_a_paid_order_says_it_is_paid(self, shop: Stack) -> None:
        alice = await shop.client.user("Alice")
        group, card = await _live_card(shop, [alice])
        await alice.tap(message=card, chat=group)
        note = await _private_with(alice, shop, "flash price")
        # Delivered (no pick-up points): the flash price and the shop's ¥8.00 delivery fee.
        assert [b.text for row in note.buttons for b in row] == ["💳 Pay ¥27.90"]
        await alice.tap("Pay", message=note)
        invoice = await shop.client.wait_for(lambda: _last_invoice(alice), timeout=5)
        assert (await alice.pay(message=invoice))["status"] == "paid"
        await shop.client.settle()
        await asyncio.sleep(1.1)  # past the double-tap window
        again = await alice.tap("Pay", message=note)
        assert again.toast is not None and "is already paid" in (again.toast.text or ""), again.toast
