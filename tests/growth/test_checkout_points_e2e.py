"""Points at checkout through the real bot: "Use my points" with nothing to use, and pay on pickup earning
points (and the referrer's reward) when the admin hands the order over."""

from __future__ import annotations

from typing import Any

from bot.emulator.client import UserHandle
from store.growth import points, referrals
from tests.conftest import ADMIN_ID
from tests.orders.helpers import fill_cart, make_product


async def _shopper(shop: Any, name: str, lang: str = "en") -> UserHandle:
    await shop.client.set_flood_limits(False)
    user: UserHandle = await shop.client.user(name, lang=lang)
    await user.send("/start")
    return user


def _labels(message: Any) -> list[str]:
    return [b.text for row in message.buttons for b in row]


async def test_use_my_points_without_points_says_so_and_does_not_flip(shop: Any) -> None:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    for name, lang, button, toast in (
        ("Alice", "en", "⭐ Use my points", "You have no points to use yet."),
        ("李雷", "zh-hans", "⭐ 使用积分", "您还没有可用的积分。"),
    ):
        user = await _shopper(shop, name, lang)
        await fill_cart(shop.db, user.id, {tea: 1})
        await user.send("/checkout")
        await user.tap(row=1, col=0)  # the first pickup point
        summary = await user.last_message()
        tapped = await user.tap(button)
        assert tapped.toast is not None and tapped.toast.text == toast
        after = await user.last_message()
        assert after.message_id == summary.message_id and _labels(after) == _labels(summary), "the button did not flip"


async def test_pay_on_pickup_collected_earns_buyer_and_referrer_points(shop: Any) -> None:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    inviter = await _shopper(shop, "Inviter")
    code = await referrals.code_for(shop.db, inviter.id)
    friend = await shop.client.user("Friend")
    await friend.open_deeplink(f"r_{code}")
    await fill_cart(shop.db, friend.id, {tea: 2})
    await friend.send("/checkout")
    await friend.tap("Pick up: Central Store")
    await friend.tap("on pickup")
    # The welcome coupon goes through the paced outbox and may land after the confirmation: look for it, not last.
    await shop.client.wait_for(lambda: _told(friend, "is confirmed"))
    assert (await points.balance(shop.db, friend.id), await points.balance(shop.db, inviter.id)) == (0, 0)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/admin")
    await ada.tap("Orders")
    await ada.tap("Pickup orders")
    await ada.tap("#1")
    await ada.tap("Picked up and paid")
    assert await points.balance(shop.db, friend.id) == 50, "1 point per yuan of ¥50.00"
    assert await points.balance(shop.db, inviter.id) == 200, "the referral reward for the first paid order"
    await shop.client.wait_for(lambda: _told(friend, "+50 points"))
    await shop.client.wait_for(lambda: _told(inviter, "+200 points"))


async def _told(user: UserHandle, needle: str) -> bool:
    return any(m.from_bot and needle in (m.text or "") for m in await user.messages())
