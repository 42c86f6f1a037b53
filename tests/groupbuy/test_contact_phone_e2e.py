"""Outside check: a group buy's delivery details ("name, phone, address" in one message) read the phone with the
old hand-written pattern, so "138 0013 8000" became +13800138000 and a digit too few passed. They now use the
checkout's reader (libphonenumber, shop.phone_region for a number without country code): stored in E.164, or
refused with an example while the step waits for the details again. End to end through the emulator, en and zh."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.groupbuy_cards import post_card, refresher
from bot.sandbox import Stack
from store import groupbuy, users
from store.models.groupbuy import GroupBuyParticipant
from tests.groupbuy.helpers import make_product, publish
from tests.groupbuy.test_groupbuy_e2e import bot_messages, started


async def _phone_of(shop: Stack, user_id: int) -> str | None:
    async with shop.db.read() as session:
        part = (
            await session.execute(select(GroupBuyParticipant).where(GroupBuyParticipant.user_id == user_id))
        ).scalar_one()
        return part.phone


@pytest.mark.parametrize(
    ("lang", "delivery", "refused", "details", "saved"),
    [
        ("en", "🚚 Delivery", "That is not a valid phone number", "Li Lei, {phone}, 1 Market Street", "delivery to"),
        ("zh-hans", "🚚 快递", "这不是有效的电话号码", "李雷，{phone}，市场街1号", "快递到"),
    ],
)
async def test_delivery_details_read_the_phone_like_the_checkout(
    shop: Stack, lang: str, delivery: str, refused: str, details: str, saved: str
) -> None:
    product_id = await make_product(shop.db, stock=10, price=3000, sku="GB-TEA")
    lena, alice = await started(shop, "Lena"), await started(shop, "Alice", lang=lang)
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group("Members", members=[lena, alice], bot_admin=True)
    view = await publish(
        shop.db, product_id, leader_id=lena.id, chat_id=group.id, pickup=None, tiers=(groupbuy.Tier(2, 2500),)
    )
    await post_card(shop.app.ctx, view)
    card = (await bot_messages(shop, group))[-1]
    await alice.tap("Join", message=card, chat=group)  # the group card speaks the group's language
    await alice.tap(delivery)

    await alice.send(details.format(phone="+86 138 0013 800"))  # a digit short
    reply = await alice.last_message()
    assert reply is not None and refused in (reply.text or "") and "131 2345 6789" in (reply.text or ""), reply
    assert await _phone_of(shop, alice.id) is None

    await alice.send(details.format(phone="138 0013 8000"))  # the step waited: typed as dialled in China
    panel = await alice.last_message()
    assert panel is not None and saved in (panel.text or ""), panel
    assert await _phone_of(shop, alice.id) == "+8613800138000"
    await refresher(shop.app.ctx).idle()
