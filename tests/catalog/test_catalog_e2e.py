"""The real bot against the emulator with the demo catalog: browsing, cards, the cart, groups, deep links and
buttons that are stale or forged."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.emulator.client import ChatHandle, MessageView, UserHandle
from bot.sandbox import Stack
from store import cart, catalog
from store.catalog import ProductRow, upsert_products

pytestmark = pytest.mark.seeded


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [button.text for row in message.buttons for button in row]


async def started(shop: Stack, name: str, lang: str = "en") -> UserHandle:
    user = await shop.client.user(name, lang=lang)
    await user.send("/start")
    return user


async def shown(user: UserHandle, chat: ChatHandle | None = None) -> str:
    """The text (or photo caption) of the bot's last message in the chat."""
    message = await user.last_message(chat)
    assert message is not None
    return message.text or message.caption or ""


async def bot_messages(user: UserHandle, chat: ChatHandle | None = None) -> list[MessageView]:
    return [m for m in await user.messages(chat) if m.from_bot]


async def change_product(shop: Stack, sku: str, **changes: object) -> None:
    """What an admin import does: rewrite the product with some fields changed."""
    item = await catalog.get_product_by_sku(shop.db, sku)
    assert item is not None
    category = next(c for c in await catalog.list_categories(shop.db) if c.id == item.category_id)
    fields: dict[str, object] = {
        "sku": sku,
        "title_en": item.title_en,
        "title_zh": item.title_zh,
        "category": category.slug,
        "price": item.price,
        "currency": item.currency,
        "stock": item.stock,
        "description_en": item.description_en,
        "description_zh": item.description_zh,
        "photo": item.photo,
        "tags": item.tags,
        "is_digital": item.is_digital,
        "stars_price": item.stars_price,
    }
    fields.update(changes)
    async with shop.db.tx() as session:
        await upsert_products(session, [ProductRow(**fields)])  # type: ignore[arg-type]


async def test_browse_pick_add_and_manage_the_cart(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)  # a test taps faster than a person; flood rules have their own test
    alice = await started(shop, "Alice")
    await alice.send("/catalog")
    listing = await alice.last_message()
    assert listing is not None and "Catalog" in (listing.text or "")
    assert {"Fresh fruit", "Vegetables", "Snacks", "Drinks & tea", "Household"} <= set(labels(listing))
    count = len(await alice.messages())

    await alice.tap("Fresh fruit")
    page1 = await alice.last_message()
    assert page1 is not None and page1.message_id == listing.message_id and page1.edited
    assert "Fresh fruit · page 1" in (page1.text or "")
    assert "Fuji apples, 2 kg · ¥29.90" in labels(page1) and "Next ▶️" in labels(page1)
    assert len([label for label in labels(page1) if " · " in label]) == shop.settings.catalog.page_size
    await alice.tap("Next ▶️")
    page2 = await alice.last_message()
    assert page2 is not None and page2.message_id == listing.message_id
    assert "page 2" in (page2.text or "") and "Hainan mangoes, 3 kg · sold out" in labels(page2)
    await alice.tap("◀️ Previous")
    assert "page 1" in await shown(alice)

    await alice.tap("Kyoho grapes")
    card = await alice.last_message()
    assert card is not None and card.photo, "a product with a picture is shown as a photo"
    assert len(await alice.messages()) == count, "the list message was replaced, not added to"
    caption = card.caption or ""
    assert "Kyoho grapes, 1 kg" in caption and "rich, sweet" in caption
    assert "¥26.80" in caption and "25 left" in caption
    share = card.button("Share")
    # Sharing opens Telegram's share dialog with the product link carrying the sharer's referral code.
    assert share.url is not None and share.url.startswith("https://t.me/share/url?url=")
    assert f"t.me/{shop.app.ctx.bot_username}?start=p_FRU-GRAPE-r_" in unquote(share.url)

    await alice.tap("➕")
    await alice.tap("➕")
    await alice.tap("➖")
    picked = await alice.last_message()
    assert picked is not None and picked.message_id == card.message_id and picked.photo
    assert "Qty: 2" in labels(picked) and "🛒 Add 2 to cart" in labels(picked)
    added = await alice.tap("Add 2")
    assert added.toast is not None and "Added 2 × Kyoho grapes" in (added.toast.text or "")
    assert "Qty: 1" in labels(await alice.last_message()), "the picker starts again at 1"

    await alice.open_deeplink("p_TEA-PUER")
    tea = await alice.last_message()
    assert tea is not None and "Aged Pu'er tea cake" in (tea.text or "") and not tea.photo
    await alice.tap("Add 1")

    await alice.send("/cart")
    view = await alice.last_message()
    assert view is not None
    text = view.text or ""
    assert "Kyoho grapes, 1 kg × 2 — ¥53.60" in text
    assert "Aged Pu'er tea cake, 357 g × 1 — ¥258.00" in text
    assert "Subtotal: ¥311.60" in text
    assert view.button("Checkout").callback_data == "m:checkout"

    await alice.tap("➕", message=view)  # first line: grapes
    assert "Kyoho grapes, 1 kg × 3 — ¥80.40" in await shown(alice)
    await alice.tap("➖", message=view)
    await alice.tap("➖", message=view)
    after = await alice.last_message()
    assert after is not None and after.message_id == view.message_id
    assert "Kyoho grapes, 1 kg × 1 — ¥26.80" in (after.text or "")
    floor = await alice.tap("➖", message=view)
    assert floor.toast is not None and "minimum is 1" in (floor.toast.text or "")

    await alice.tap("✖️", message=view)
    after = await alice.last_message()
    assert after is not None and "Kyoho" not in (after.text or "") and "Subtotal: ¥258.00" in (after.text or "")
    await alice.tap("Clear cart", message=view)
    assert "empty" in await shown(alice)
    assert (await cart.get_cart(shop.db, alice.id)).empty


async def test_the_cart_survives_a_restart_of_the_bot(shop: Stack) -> None:
    alice = await started(shop, "Alice")
    await alice.open_deeplink("p_VEG-CORN")
    await alice.tap("Add 1")
    # The cart is rows in the database, not memory: a new store object over the same file sees it.
    from store.db import Database

    other = Database(shop.db.url)
    try:
        lines = (await cart.get_cart(other, alice.id)).lines
    finally:
        await other.dispose()
    assert [(line.product.sku, line.quantity) for line in lines] == [("VEG-CORN", 1)]


async def test_more_than_the_stock_is_refused_with_a_message(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    bob = await started(shop, "Bob")
    await bob.open_deeplink("p_FRU-DURIAN")  # 5 left
    for _ in range(4):
        await bob.tap("➕")
    capped = await bob.tap("➕")
    assert capped.toast is not None and capped.toast.text == "Only 5 available."
    assert "Qty: 5" in labels(await bob.last_message())
    await bob.tap("Add 5")
    refused = await bob.tap("Add 1")
    assert refused.toast is not None
    assert refused.toast.text == ("Only 5 left and you already have 5 in your cart — there is no more in stock.")
    item = await catalog.get_product_by_sku(shop.db, "FRU-DURIAN")
    assert item is not None
    assert await cart.quantity_in_cart(shop.db, bob.id, item.id) == 5

    await bob.open_deeplink("p_FRU-MANGO")  # sold out: no picker, no add button
    assert "Sold out" in await shown(bob)
    assert not [label for label in labels(await bob.last_message()) if "Add" in label]


async def test_a_chinese_user_sees_chinese(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    li = await started(shop, "李雷", lang="zh-hans")
    await li.send("/catalog")
    listing = await li.last_message()
    assert listing is not None and "商品目录" in (listing.text or "") and "新鲜水果" in labels(listing)
    await li.tap("新鲜水果")
    assert "烟台红富士苹果 2公斤 · ¥29.90" in labels(await li.last_message())
    await li.tap("烟台红富士苹果")
    card = await li.last_message()
    assert card is not None and "脆甜多汁" in (card.caption or "") and "剩余 40 件" in (card.caption or "")
    added = await li.tap("加入购物车")
    assert added.toast is not None and "已加入 1 件「烟台红富士苹果 2公斤」" in (added.toast.text or "")
    await li.send("/cart")
    view = await li.last_message()
    assert view is not None and "我的购物车" in (view.text or "") and "小计：¥29.90" in (view.text or "")
    assert "✅ 去结算" in labels(view)


async def test_deep_link_opens_the_product_card(shop: Stack) -> None:
    carol = await shop.client.user("Carol")
    await carol.open_deeplink("p_DIG-GIFT100")
    card = await carol.last_message()
    assert card is not None and card.photo
    assert "Shop gift card, ¥100" in (card.caption or "") and "⭐ 700" in (card.caption or "")
    await carol.open_deeplink("p_NO-SUCH-SKU")
    gone = await carol.last_message()
    # A SKU that never existed: the link is not valid (a hidden product is "no longer available").
    assert gone is not None and "link is not valid" in (gone.text or "") and "Snacks" in labels(gone)


@pytest.mark.api_errors("wrong file identifier/HTTP URL specified")  # the test plants an unknown file id
async def test_photo_is_uploaded_once_then_sent_by_file_id(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    dave = await shop.client.user("Dave")
    await dave.open_deeplink("p_FRU-APPLE")
    cached = await catalog.get_product_by_sku(shop.db, "FRU-APPLE")
    assert cached is not None and cached.photo_file_id
    await dave.open_deeplink("p_FRU-APPLE")
    sends = [c for c in await shop.client.calls("sendPhoto") if c.get("ok", True)]
    assert len(sends) == 2
    assert sends[1]["params"]["photo"] == cached.photo_file_id

    # A cached id Telegram does not know (the sandbox's emulator restarted, another bot token): upload again.
    await catalog.save_photo_file_id(shop.db, cached.id, cached.photo, "UNKNOWN-FILE-ID")
    await dave.open_deeplink("p_FRU-APPLE")
    card = await dave.last_message()
    assert card is not None and card.photo and "Fuji apples" in (card.caption or "")
    renewed = await catalog.get_product_by_sku(shop.db, "FRU-APPLE")
    assert renewed is not None and renewed.photo_file_id not in (None, "UNKNOWN-FILE-ID")


async def test_group_catalog_is_one_message_and_the_cart_continues_privately(shop: Stack) -> None:
    alice = await started(shop, "Alice")
    bob = await shop.client.user("Bob")  # never opened the bot
    group = await shop.client.group("Neighbours", members=[alice, bob], bot_admin=True)
    greeted = len(await bot_messages(alice, group))  # the hello when the bot was added
    await alice.send("/catalog", chat=group)
    assert len(await bot_messages(alice, group)) == greeted + 1
    listing = await alice.last_message(chat=group)
    await alice.tap("Snacks", chat=group)
    await bob.tap("Daily mixed nuts", chat=group)
    card = await alice.last_message(chat=group)
    assert card is not None and listing is not None and card.message_id == listing.message_id, "edited in place"
    assert not card.photo and "Daily mixed nuts" in (card.text or "") and "¥89.00" in (card.text or "")
    assert not [label for label in labels(card) if label in ("➕", "➖")], "no personal picker in a group"
    assert card.button("My cart").url == f"https://t.me/{shop.app.ctx.bot_username}?start=cart_open"
    # Share opens Telegram's share dialog (not the bot) with the product's link: no one's referral code, since
    # everyone in the group sees the same button.
    share = card.button("Share").url or ""
    assert share.startswith("https://t.me/share/url?url=") and "Daily mixed nuts" in unquote(share)
    assert unquote(share).split("url=", 1)[1].split("&", 1)[0].endswith("?start=p_SNK-NUTS")

    private_before = len(await bot_messages(alice))
    tapped = await alice.tap("Add to cart", chat=group)
    assert tapped.toast is not None and "continue in our private chat" in (tapped.toast.text or "")
    in_private = await alice.last_message()
    assert len(await bot_messages(alice)) == private_before + 1
    assert in_private is not None and "Added Daily mixed nuts" in (in_private.text or "")
    assert "Daily mixed nuts, 30 packs × 1 — ¥89.00" in (in_private.text or "")

    tapped = await bob.tap("Add to cart", chat=group)
    assert tapped.toast is not None and "Open the bot first" in (tapped.toast.text or "")
    assert tapped.toast.url == f"https://t.me/{shop.app.ctx.bot_username}?start=cart_open"
    assert (await cart.get_cart(shop.db, bob.id)).item_count == 1, "the item is in Bob's cart already"
    await bob.open_deeplink("cart_open")
    bob_cart = await bob.last_message()
    assert bob_cart is not None and "Daily mixed nuts, 30 packs × 1" in (bob_cart.text or "")

    # personal: a short reply in the group points to the private chat, as /orders and /points do
    await alice.send("/cart", chat=group)
    pointer = await alice.last_message(chat=group)
    assert pointer is not None and "private chat" in (pointer.text or "")
    assert pointer.button("Open my cart").url == f"https://t.me/{shop.app.ctx.bot_username}?start=cart_open"
    await alice.tap("Back", chat=group, message=card)
    assert len(await bot_messages(alice, group)) == greeted + 2, "one catalog message in the group, edited in place"
    assert "Snacks · page 1" in (
        next(m for m in await bot_messages(alice, group) if m.message_id == card.message_id).text or ""
    )


async def test_stale_buttons_are_refused_and_redrawn(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    erin = await started(shop, "Erin")
    await erin.open_deeplink("p_VEG-POTATO")
    await change_product(shop, "VEG-POTATO", price=1290)
    stale = await erin.tap("Add 1")
    assert stale.toast is not None and "changed in the meantime" in (stale.toast.text or "")
    redrawn = await erin.last_message()
    assert redrawn is not None and "¥12.90" in (redrawn.text or "")
    item = await catalog.get_product_by_sku(shop.db, "VEG-POTATO")
    assert item is not None and await cart.quantity_in_cart(shop.db, erin.id, item.id) == 0
    await erin.tap("Add 1")  # the redrawn card works
    assert await cart.quantity_in_cart(shop.db, erin.id, item.id) == 1

    # A line whose product changed after the cart was drawn.
    await erin.send("/cart")
    view = await erin.last_message()
    await change_product(shop, "VEG-POTATO", price=1390)
    stale = await erin.tap("➕", message=view)
    assert stale.toast is not None and "out of date" in (stale.toast.text or "")
    redrawn = await erin.last_message()
    assert redrawn is not None and "× 1 — ¥13.90" in (redrawn.text or "")

    # A product hidden after its card was drawn.
    await erin.open_deeplink("p_SNK-CHIPS")
    await catalog.set_active(shop.db, "SNK-CHIPS", False)
    gone = await erin.tap("➕")
    assert gone.toast is not None and "no longer available" in (gone.toast.text or "")
    assert "Snacks · page 1" in await shown(erin)

    # A cart line removed meanwhile (e.g. from another device).
    await erin.send("/cart")
    view = await erin.last_message()
    await cart.clear_cart(shop.db, erin.id)
    stale = await erin.tap("➕", message=view)
    assert stale.toast is not None and "out of date" in (stale.toast.text or "")
    assert "empty" in await shown(erin)


FORGED = [
    "pd:open:abc",
    "pd:zzz:1",
    "pd:add:999999:1:1:0:0:l",
    "pd:inc:1:1:100000:0:0:l",
    "cg:notanumber",
    "cg:999999:0:0:0",
    "cq:inc:1:x:1",
    "cq:boom:1:1:1",
    "cq:rm:424242:1:1",
    "ct:inc:1:x",  # the old cart prefix: the cart redrawn as it is
]


async def test_forged_buttons_are_answered_without_crashing(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    frank = await started(shop, "Frank")
    for data in FORGED:
        # What a modified client could send: any bytes as callback data on the bot's message.
        keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="forged", callback_data=data)]])
        await shop.app.bot.send_message(frank.id, "forged button", reply_markup=keyboard)
        result = await frank.tap("forged")
        assert result.raw.get("answered"), f"{data} was not answered"
        assert result.toast is not None and result.toast.text, data
    toasts = [t.text for t in await frank.toasts()]
    assert toasts.count("This button is not valid.") >= 4
    await frank.send("/catalog")  # the bot is still fine
    last = await frank.last_message()
    assert last is not None and "Catalog" in (last.text or "")
