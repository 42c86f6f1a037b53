"""Growth through the real bot and the emulator: check-ins, points, referrals, the points shop, coupons."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.sandbox import Stack
from bot.views.growth import invite_view
from store.growth import points, referrals
from store.models import Order, OutboxMessage, ScheduledJob
from tests.conftest import ADMIN_ID


async def test_checkin_once_a_day_and_points_screen(shop: Stack) -> None:
    alice = await shop.client.user("Alice")
    await alice.send("/checkin")
    assert "Checked in" in (await alice.last_message()).text
    await alice.send("/checkin")
    assert "already checked in" in (await alice.last_message()).text
    await alice.send("/points")
    screen = await alice.last_message()
    assert "Your points: 10" in screen.text and "daily check-in" in screen.text
    await alice.tap("✅ Check in")
    assert any("already" in toast.text for toast in await alice.toasts())
    assert await points.balance(shop.db, alice.id) == 10


async def test_checkin_in_a_group_is_one_short_reply(shop: Stack) -> None:
    """The balance is nobody else's business: the group reply only points to the private check-in."""
    bob = await shop.client.user("Bob", lang="zh")
    group = await shop.client.group("Block 5", members=[bob], bot_admin=True)
    before = len(await group.messages())
    await bob.send("/checkin", chat=group)
    after = await group.messages()
    assert len(after) == before + 2  # the command and one reply
    assert "签到成功" not in after[-1].text and "请在与我的私聊中签到" in after[-1].text
    assert await points.balance(shop.db, bob.id) == 0


async def test_referral_link_rewards_on_first_paid_order_only(shop: Stack) -> None:
    inviter = await shop.client.user("Inviter")
    await inviter.send("/invite")
    invite = await inviter.last_message()
    code = await referrals.code_for(shop.db, inviter.id)
    assert f"start=r_{code}" in invite.text
    assert invite.buttons[0][0].url and invite.buttons[0][0].url.startswith("https://t.me/share/url?")
    await inviter.open_deeplink(f"r_{code}")  # opening one's own link does nothing
    friend = await shop.client.user("Friend")
    await friend.open_deeplink(f"r_{code}")
    assert "Welcome" in (await friend.last_message()).text
    stats = await referrals.stats(shop.db, inviter.id)
    assert (stats.invited, stats.bought, stats.points_earned) == (1, 0, 0)
    await shop.client.wait_for(lambda: _has_welcome(friend))


# language, what /invite says about the friend's coupon, the friend's welcome message
INVITE_WORDS = [
    ("en", "gets a 10% welcome coupon as soon as they open your link", "coupon for your first order"),
    ("zh-hans", "新用户好友打开链接即可获得 10% 新人优惠券", "送您一张首单 10% 优惠券"),
]


@pytest.mark.parametrize("lang,promise,welcome", INVITE_WORDS)
async def test_invite_says_the_friend_gets_the_coupon_on_opening_the_link(
    shop: Stack, lang: str, promise: str, welcome: str
) -> None:
    """What /invite promises is what happens: the coupon comes when a new friend opens the link, before any order;
    only the inviter's points wait for the friend's first paid order."""
    inviter = await shop.client.user("Inviter", lang=lang)
    await inviter.send("/invite")
    invite = await inviter.last_message()
    assert invite is not None and promise in (invite.text or ""), invite
    friend = await shop.client.user("Friend", lang=lang)
    await friend.open_deeplink(f"r_{await referrals.code_for(shop.db, inviter.id)}")
    await shop.client.wait_for(lambda: _says(friend, welcome))
    async with shop.db.read() as session:
        assert (await session.execute(select(Order.id).where(Order.user_id == friend.id))).first() is None


def test_invite_without_a_welcome_coupon_promises_none() -> None:
    stats = referrals.ReferralStats("abc", invited=0, bought=0, points_earned=0)
    for lang, coupon in (("en", "coupon"), ("zh", "优惠券")):
        text, _ = invite_view(lang, "https://t.me/shop?start=r_abc", stats, 200, 0)
        assert coupon not in text and "200" in text, text


async def _says(user: object, words: str) -> bool:
    return any(words in m.text for m in await user.messages())  # type: ignore[attr-defined]


async def _has_welcome(user: object) -> bool:
    messages = await user.messages()  # type: ignore[attr-defined]
    return any("coupon for your first order" in m.text for m in messages)


async def test_admin_creates_coupons_and_users_buy_with_points(shop: Stack) -> None:
    admin = await shop.client.user("Ada", id=ADMIN_ID)
    shopper = await shop.client.user("Eve")
    await shopper.send("/coupon_new SNEAKY 50%")
    assert "not allowed" in (await shopper.last_message()).text
    await admin.send("/coupon_new TREAT 5% points=10")
    assert "Coupon TREAT created" in (await admin.last_message()).text
    await admin.send("/coupon_new TREAT 5%")
    assert "already exists" in (await admin.last_message()).text
    await admin.send("/coupon_new BAD 500%")
    assert "1-100%" in (await admin.last_message()).text
    await shopper.send("/checkin")
    await shopper.send("/points")
    await shopper.tap("🎁 Points shop")
    await shopper.tap("5% off for 10 points")
    bought = (await shopper.toasts())[-1].text
    assert "Your coupon code" in bought
    assert await points.balance(shop.db, shopper.id) == 0
    coupons_screen = await shopper.last_message()
    assert "Your coupons" in coupons_screen.text


async def test_reminder_opt_in_sends_one_reminder(shop: Stack) -> None:
    frank = await shop.client.user("Frank")
    await frank.send("/points")
    await frank.tap("🔕 Daily reminder (09:00 UTC+8): off")
    shown = [b.text for row in (await frank.last_message()).buttons for b in row]
    assert "🔔 Daily reminder (09:00 UTC+8): on" in shown
    scheduler = shop.app.scheduler
    assert scheduler is not None
    async with shop.db.read() as session:
        job = (
            await session.execute(select(ScheduledJob).where(ScheduledJob.kind == "checkin_reminders"))
        ).scalar_one()
    async with shop.db.tx() as session:
        row = await session.get(ScheduledJob, job.id)
        assert row is not None
        row.run_at = row.created_at  # due now, not missed
    assert await scheduler.fire(job.id)
    await shop.client.wait_for(lambda: _reminded(frank), timeout=10)
    async with shop.db.read() as session:
        reminders = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.template == "growth.checkin_reminder"))
        ).scalars().all()
    assert [r.user_id for r in reminders] == [frank.id]


async def _reminded(user: object) -> bool:
    return any("daily check-in" in m.text for m in await user.messages())  # type: ignore[attr-defined]


async def test_a_shared_product_link_carries_the_sharers_referral(shop: Stack) -> None:
    from urllib.parse import unquote

    from tests.catalog.helpers import add_products, product

    await add_products(shop.db, product("TEA-9", stock=5))
    sharer = await shop.client.user("Sharer")
    await sharer.open_deeplink("p_TEA-9")
    card = await sharer.last_message()
    share = next(b for row in card.buttons for b in row if b.url and "share/url" in b.url)
    code = await referrals.code_for(shop.db, sharer.id)
    assert f"start=p_TEA-9-r_{code}" in unquote(share.url or "")
    newcomer = await shop.client.user("Newcomer")
    await newcomer.open_deeplink(f"p_TEA-9-r_{code}")
    # The welcome coupon goes through the outbox meanwhile, so the card need not be the last message.
    cards = [m for m in await newcomer.messages() if any("Add 1" in b.text for row in m.buttons for b in row)]
    assert cards, "the product card opens"
    assert (await referrals.stats(shop.db, sharer.id)).invited == 1
