"""Outside check: with a full wishlist (wishlist.MAX_ITEMS products), the heart on a product that was already in it
answered "Your wishlist is full" instead of "Already in your wishlist": the count was checked before whether the
product was there. A full wishlist now refuses only a product it does not hold yet, in the private chat (a card
whose heart was drawn before the product was wished) and on a group's shared card (for a member who started the
bot and for one who never did). Real bot and emulator, en and zh, never-seen shoppers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from bot.emulator.client import MessageView, UserHandle
from bot.i18n import t, t_plain
from bot.sandbox import Stack
from store.db import Database
from store.models import Product
from store.models.social import WishlistItem
from store.social import wishlist
from tests.social.group_helpers import group_card
from tests.social.helpers import add_products, product

pytestmark = pytest.mark.seeded

CASES = [("en", "Drinks & tea", "Aged Pu'er tea cake"), ("zh", "茶饮酒水", "普洱熟茶饼")]


async def wished(db: Database, user_id: int) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).where(WishlistItem.user_id == user_id)) or 0)


async def fill_wishlist(db: Database, user_id: int) -> None:
    """Other products up to the wishlist's limit, written straight into the store."""
    missing = wishlist.MAX_ITEMS - await wished(db, user_id)
    skus = [f"FILL-{user_id}-{n}" for n in range(missing)]
    await add_products(db, *(product(sku, category="fruit", price=500) for sku in skus))
    async with db.tx() as session:
        ids = (await session.scalars(select(Product.id).where(Product.sku.in_(skus)))).all()
        rows = [{"user_id": user_id, "product_id": pid, "price_seen": 500} for pid in ids]
        await session.execute(insert(WishlistItem), rows)
    assert await wished(db, user_id) == wishlist.MAX_ITEMS


async def heart_on(user: UserHandle, lang: str, card: MessageView) -> tuple[str, bool]:
    tapped = await user.tap(t_plain(lang, "social.wish"), message=card)
    assert tapped.toast is not None, tapped
    return tapped.toast.text or "", tapped.toast.show_alert


async def card_of(user: UserHandle, sku: str) -> MessageView:
    await user.open_deeplink(f"p_{sku}")
    card = await user.last_message()
    assert card is not None
    return card


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_full_wishlist_says_already_there_in_the_private_chat(shop: Stack, lang: str) -> None:
    alice = await shop.client.user("Alice", lang=lang)  # never seen before
    await alice.send("/start")
    stale = await card_of(alice, "TEA-PUER")  # its heart is drawn empty
    fresh = await card_of(alice, "TEA-PUER")
    assert await heart_on(alice, lang, fresh) == (t_plain(lang, "social.wished_toast"), False)
    await fill_wishlist(shop.db, alice.id)

    # The older card still shows an empty heart: tapping it finds the product there, full list or not.
    assert await heart_on(alice, lang, stale) == (t_plain(lang, "social.already_wished"), False)
    redrawn = next(m for m in await alice.messages() if m.message_id == stale.message_id)
    assert t_plain(lang, "social.wished") in [b.text for row in redrawn.buttons for b in row]

    # A product that is not on it yet is still refused, and nothing is added.
    other = await card_of(alice, "FRU-APPLE")
    assert await heart_on(alice, lang, other) == (t(lang, "errors.wishlist_full"), True)
    assert await wished(shop.db, alice.id) == wishlist.MAX_ITEMS


@pytest.mark.parametrize(("lang", "category", "title"), CASES)
async def test_a_full_wishlist_says_already_there_on_a_group_card(
    shop: Stack, lang: str, category: str, title: str
) -> None:
    alice = await shop.client.user("Alice", lang=lang)  # started the bot
    pat = await shop.client.user("Pat", lang=lang)  # never started it: the toast opens the bot
    await alice.send("/start")
    group = await group_card(shop, lang, category, title, alice, pat)

    async def heart(user: UserHandle) -> tuple[str, bool, str | None]:
        tapped = await user.tap(t_plain(lang, "social.wish_group"), chat=group)
        assert tapped.toast is not None, tapped
        return tapped.toast.text or "", tapped.toast.show_alert, tapped.toast.url

    first = await heart(alice)
    assert first == (t_plain(lang, "social.wished_group"), False, None)
    opened = await heart(pat)
    assert opened[:2] == (t_plain(lang, "social.wished_group_start"), False) and opened[2]
    for member in (alice, pat):
        await fill_wishlist(shop.db, member.id)

    assert await heart(alice) == (t_plain(lang, "social.already_wished_group"), False, None)
    assert await heart(pat) == (t_plain(lang, "social.already_wished_group_start"), False, opened[2])
    assert await wished(shop.db, alice.id) == await wished(shop.db, pat.id) == wishlist.MAX_ITEMS
