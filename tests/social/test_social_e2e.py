"""Recommendations and the wishlist through the real bot and the emulator, in English and Chinese."""

from __future__ import annotations

import pytest

from bot import social
from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from store import catalog
from tests.social.helpers import bought, make_user, product_id

pytestmark = pytest.mark.seeded

TEA_DRINKERS = range(700_001, 700_006)


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [button.text for row in message.buttons for button in row]


async def history(shop: Stack, chat_id: int | None = None) -> None:
    """Five shoppers bought Pu'er with Oolong and Longjing; cleaners bought tissue with detergent."""
    for user in TEA_DRINKERS:
        await make_user(shop.db, user)
        await bought(shop.db, user, ["TEA-PUER", "TEA-OOLONG", "TEA-LONGJING"])
    for user in range(700_100, 700_103):
        await make_user(shop.db, user)
        await bought(shop.db, user, ["HOM-TISSUE", "HOM-DETERGENT"])
    rec = social.recommender(shop.app.ctx)
    if chat_id is not None:
        for user in TEA_DRINKERS:
            rec.note_visit(user, await product_id(shop.db, "TEA-PUER"), chat_id)
    await rec.refresh()


async def started(shop: Stack, name: str, lang: str) -> UserHandle:
    user = await shop.client.user(name, lang=lang)
    await user.send("/start")
    return user


@pytest.mark.parametrize(
    ("lang", "also", "oolong", "wish", "wished", "added"),
    [
        ("en", "You may also like", "Tieguanyin", "Save to wishlist", "In your wishlist", "Added to your wishlist"),
        ("zh", "猜您喜欢", "铁观音", "加入心愿单", "已在心愿单", "已加入心愿单"),
    ],
)
async def test_card_suggests_what_others_bought_with_it_and_the_heart_keeps_it(
    shop: Stack, lang: str, also: str, oolong: str, wish: str, wished: str, added: str
) -> None:
    await shop.client.set_flood_limits(False)
    await history(shop)
    alice = await started(shop, "Alice", lang)
    await alice.open_deeplink("p_TEA-PUER")
    card = await alice.last_message()
    suggestions = [label for label in labels(card) if also in label]
    # Bought together with it first; what is popular in the shop only fills the remaining place.
    assert len(suggestions) == 3 and any(oolong in label for label in suggestions[:2]), labels(card)
    assert any("Longjing" in label or "龙井" in label for label in suggestions[:2])

    tapped = await alice.tap(wish)
    assert tapped.toast is not None and added in (tapped.toast.text or "")
    redrawn = await alice.last_message()
    assert redrawn is not None and card is not None and redrawn.message_id == card.message_id
    assert any(wished in label for label in labels(redrawn)) and not any(wish in label for label in labels(redrawn))

    # A suggestion opens that product's card; Oolong in the cart is no longer suggested on Pu'er's card.
    await alice.tap(oolong)
    opened = await alice.last_message()
    assert opened is not None and oolong in ((opened.text or "") + (opened.caption or ""))
    await alice.tap(row=1, col=0)  # add 1 to cart (the picker is the first row)
    await alice.open_deeplink("p_TEA-PUER")
    again = await alice.last_message()
    assert not any(oolong in label for label in labels(again) if also in label), labels(again)

    await alice.send("/wishlist")
    page = await alice.last_message()
    assert page is not None and ("Pu'er" in "".join(labels(page)) or "普洱" in "".join(labels(page)))
    await alice.tap("✖️")
    emptied = await alice.last_message()
    assert emptied is not None and emptied.message_id == page.message_id
    assert "empty" in (emptied.text or "") or "空" in (emptied.text or "")


async def test_sold_out_products_are_not_suggested(shop: Stack) -> None:
    await history(shop)
    oolong = await catalog.get_product_by_sku(shop.db, "TEA-OOLONG")
    assert oolong is not None
    await catalog.adjust_stock(shop.db, "TEA-OOLONG", -oolong.stock)
    alice = await started(shop, "Alice", "en")
    await alice.open_deeplink("p_TEA-PUER")
    card = await alice.last_message()
    suggestions = [label for label in labels(card) if "You may also like" in label]
    assert suggestions and not any("Tieguanyin" in label for label in suggestions)


@pytest.mark.parametrize(("lang", "menu", "title"), [("en", "For you", "For you"), ("zh", "为您推荐", "为您推荐")])
async def test_for_you_in_the_private_menu(shop: Stack, lang: str, menu: str, title: str) -> None:
    await history(shop)
    bob = await started(shop, "Bob", lang)
    await make_user(shop.db, bob.id, lang)
    await bought(shop.db, bob.id, ["TEA-PUER"])
    await social.recommender(shop.app.ctx).refresh()
    await bob.send("/start")
    await bob.tap(menu)
    screen = await bob.last_message()
    assert screen is not None and title in (screen.text or "")
    picks = [label for label in labels(screen) if label.startswith("✨")]
    assert picks and not any("Pu'er" in label or "普洱" in label for label in picks), "already bought"
    assert any(word in picks[0] for word in ("Tieguanyin", "Longjing", "铁观音", "龙井")), picks


async def test_popular_in_this_group_on_the_group_catalog_and_the_heart_in_a_group(shop: Stack) -> None:
    alice = await started(shop, "Alice", "en")
    bob = await started(shop, "Bob", "en")
    group = await shop.client.group("Neighbours", members=[alice, bob], bot_admin=True)
    await history(shop, chat_id=group.id)
    await alice.send("/catalog", chat=group)
    listing = await alice.last_message(chat=group)
    assert listing is not None and "Popular in this group" in (listing.text or "")
    popular = [label for label in labels(listing) if label.startswith("🔥")]
    assert popular and any("Pu'er" in label for label in popular)
    await bob.tap("Pu'er", chat=group)
    card = await bob.last_message(chat=group)
    assert card is not None and "Wishlist" in "".join(labels(card))
    tapped = await bob.tap("Wishlist", chat=group)
    assert tapped.toast is not None and "/wishlist" in (tapped.toast.text or "")
    await bob.send("/wishlist")
    assert "Pu'er" in "".join(labels(await bob.last_message()))


async def test_suggestions_after_a_pickup_checkout(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    await history(shop)
    carol = await started(shop, "Carol", "en")
    await carol.open_deeplink("p_TEA-PUER")
    await carol.tap("Add 1")
    await carol.send("/checkout")
    await carol.tap("Pick up: Central Store")
    await carol.tap("on pickup")
    placed = await carol.last_message()
    assert placed is not None and "#" in (placed.text or "")
    suggestions = [label for label in labels(placed) if "You may also like" in label]
    assert suggestions and not any("Pu'er" in label for label in suggestions)


@pytest.mark.parametrize(("lang", "words"), [("en", "is now ¥"), ("zh", "降价了")])
async def test_a_wished_product_that_gets_cheaper_is_told_once(shop: Stack, lang: str, words: str) -> None:
    from store.social import wishlist
    from tests.catalog.test_catalog_e2e import change_product

    dana = await started(shop, "Dana", lang)
    await dana.open_deeplink("p_TEA-PUER")
    await dana.tap("🤍")
    await change_product(shop, "TEA-PUER", price=19900)
    for _ in range(2):  # a second scan finds nothing new
        async with shop.db.tx() as session:
            await wishlist.scan(session)

    async def told() -> list[str]:
        return [m.text or "" for m in await dana.messages() if m.from_bot and words in (m.text or "")]

    await shop.client.wait_for(told, timeout=10)
    assert len(await told()) == 1
    notice = await dana.last_message()
    assert notice is not None and "199.00" in (notice.text or "") and "258.00" in (notice.text or "")
    assert notice.buttons[0][0].url is not None and "p_TEA-PUER" in notice.buttons[0][0].url


@pytest.mark.parametrize(
    ("lang", "rate", "thanks", "line", "reviews_button"),
    [
        ("en", "Rate:", "+10 points", "⭐ 4.0 · 1 review", "Reviews (1)"),
        ("zh", "评价：", "获得 10 积分", "⭐ 4.0 · 1 条评价", "评价（1）"),
    ],
)
async def test_asked_after_delivery_rated_once_and_shown_on_the_card(
    shop: Stack, lang: str, rate: str, thanks: str, line: str, reviews_button: str
) -> None:
    from sqlalchemy import update

    from store import orders
    from store.growth import points
    from store.models import OutboxMessage, utcnow
    from store.social import reviews
    from tests.conftest import ADMIN_ID

    await shop.client.set_flood_limits(False)
    erin = await started(shop, "Erin", lang)
    order_id, (tea_line,) = await bought(shop.db, erin.id, ["TEA-PUER"], status="shipped")
    await orders.admin_transition(shop.db, order_id, "delivered", ADMIN_ID)
    async with shop.db.read() as session:
        from sqlalchemy import select

        ask = (await session.scalars(select(OutboxMessage).where(OutboxMessage.template == reviews.ASK_TEMPLATE))).one()
    assert ask.not_before > utcnow(), "asked the next day, not at once"
    async with shop.db.tx() as session:  # the day passes
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == ask.id).values(not_before=utcnow()))
    shop.app.outbox.wake()  # type: ignore[union-attr]

    async def asked() -> bool:
        last = await erin.last_message()
        return last is not None and any(rate in label for label in labels(last))

    await shop.client.wait_for(asked, timeout=10)
    await erin.tap(rate)
    await erin.tap("⭐⭐⭐⭐")
    assert thanks in ((await erin.last_message()).text or "")  # type: ignore[union-attr]
    assert await points.balance(shop.db, erin.id) == 10
    # A second rating of the same line (another device, a re-sent button) edits and earns nothing.
    await erin.tap_data(f"rv:rate:0:0:{tea_line}:2:0")
    assert await points.balance(shop.db, erin.id) == 10

    await erin.open_deeplink("p_TEA-PUER")
    card = await erin.last_message()
    assert card is not None and line.replace("4.0", "2.0") in (card.text or card.caption or "")
    await erin.tap(reviews_button)
    page = await erin.last_message()
    assert page is not None and "★★☆☆☆" in (page.text or "")


async def test_someone_who_did_not_buy_cannot_rate(shop: Stack) -> None:
    from store.growth import points

    await shop.client.set_flood_limits(False)
    erin = await started(shop, "Erin", "en")
    frank = await started(shop, "Frank", "en")
    _, (tea_line,) = await bought(shop.db, erin.id, ["TEA-PUER"], status="delivered")
    await frank.tap_data(f"rv:rate:0:0:{tea_line}:5:0")
    assert any("Only the buyer" in (toast.text or "") for toast in await frank.toasts())
    assert await points.balance(shop.db, frank.id) == 0


@pytest.mark.parametrize(("lang", "section", "publish"), [("en", "Reviews", "Publish"), ("zh", "评价", "发布")])
async def test_a_review_with_a_link_waits_for_an_admin(shop: Stack, lang: str, section: str, publish: str) -> None:
    from store.social import reviews
    from tests.conftest import ADMIN_ID

    await shop.client.set_flood_limits(False)
    erin = await started(shop, "Erin", "en")
    _, (tea_line,) = await bought(shop.db, erin.id, ["TEA-PUER"], status="delivered")
    held = await reviews.submit(shop.db, erin.id, tea_line, 5, "great, more at https://example.com")
    assert held.status == reviews.HELD
    tea = await product_id(shop.db, "TEA-PUER")
    assert await reviews.ratings(shop.db, [tea]) == {}

    ada = await shop.client.user("Ada", id=ADMIN_ID, lang=lang)
    await ada.send("/start")
    await ada.send("/admin")
    await ada.tap(section)
    queue = await ada.last_message()
    assert queue is not None and "example.com" in (queue.text or "") and "link" in (queue.text or "")
    await ada.tap(publish)
    assert (await reviews.ratings(shop.db, [tea]))[tea].count == 1
    emptied = await ada.last_message()
    assert emptied is not None and emptied.message_id == queue.message_id and "example.com" not in (emptied.text or "")

    # Someone who is not an admin cannot moderate, whatever their client sends.
    await erin.tap_data(f"rv:hide:0:0:0:0:{held.review_id}")
    assert (await reviews.ratings(shop.db, [tea]))[tea].count == 1


async def test_the_author_deletes_their_review_and_nobody_else_can(shop: Stack) -> None:
    from store.social import reviews

    await shop.client.set_flood_limits(False)
    erin = await started(shop, "Erin", "en")
    frank = await started(shop, "Frank", "en")
    _, (tea_line,) = await bought(shop.db, erin.id, ["TEA-PUER"], status="delivered")
    mine = await reviews.submit(shop.db, erin.id, tea_line, 3, "Fine tea")
    tea = await product_id(shop.db, "TEA-PUER")
    await frank.tap_data(f"rv:del:{tea}:0:0:0:{mine.review_id}")  # a forged delete of someone else's review
    assert (await reviews.ratings(shop.db, [tea]))[tea].count == 1
    await erin.open_deeplink("p_TEA-PUER")
    await erin.tap("Reviews (1)")
    page = await erin.last_message()
    assert page is not None and "Fine tea" in (page.text or "")
    await erin.tap("Delete my review")
    assert await reviews.ratings(shop.db, [tea]) == {}
    assert "no reviews yet" in ((await erin.last_message()).text or "")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("lang", "words", "saved", "only", "skip", "held", "section", "see_photo", "publish"),
    [
        (
            "en",
            "Add words",
            "Your words are with",
            "text or a photo",
            "Skip",
            "after a check",
            "Reviews",
            "See the photo",
            "Publish",
        ),
        ("zh", "写几句话", "您的评价已和", "请发送文字或照片", "跳过", "审核后显示", "评价", "查看照片", "发布"),
    ],
)
async def test_words_and_a_photo_after_the_stars(
    shop: Stack,
    lang: str,
    words: str,
    saved: str,
    only: str,
    skip: str,
    held: str,
    section: str,
    see_photo: str,
    publish: str,
) -> None:
    from store.social import reviews
    from tests.conftest import ADMIN_ID

    await shop.client.set_flood_limits(False)
    erin = await started(shop, "Erin", lang)
    _, (tea_line, pot_line) = await bought(shop.db, erin.id, ["TEA-PUER", "TEA-OOLONG"], status="delivered")
    tea = await product_id(shop.db, "TEA-PUER")

    # Stars first, then words typed in reply to the prompt.
    await erin.tap_data(f"rv:ask:0:0:{tea_line}:0:0")
    await erin.tap("⭐⭐⭐⭐⭐")
    await erin.tap(words)
    await erin.send("Rich and smooth, would buy again")
    assert saved in ((await erin.last_message()).text or "")  # type: ignore[union-attr]
    (shown,) = (await reviews.page(shop.db, tea)).items
    assert shown.rating == 5 and shown.text == "Rich and smooth, would buy again"
    # The conversation is back to normal: free text goes to the assistant again, not into the review.
    await erin.send("/cart")
    assert (await reviews.page(shop.db, tea)).items[0].text == "Rich and smooth, would buy again"

    # A file is not words: the bot says what it waits for. Skip ends the wait.
    await erin.tap_data(f"rv:ask:0:0:{pot_line}:0:0")
    await erin.tap("⭐⭐⭐")
    await erin.tap(words)
    await erin.send_document(b"%PDF-1.4", filename="receipt.pdf")
    assert only in ((await erin.last_message()).text or "")  # type: ignore[union-attr]
    await erin.tap(skip)
    # Then a photo with a caption: held until an admin has looked at it.
    await erin.tap_data(f"rv:words:0:0:{pot_line}:3:0")
    await erin.send_photo(b"\xff\xd8\xff\xe0fakejpeg", caption="The cup that came with it")
    assert held in ((await erin.last_message()).text or "")  # type: ignore[union-attr]
    oolong = await product_id(shop.db, "TEA-OOLONG")
    assert await reviews.ratings(shop.db, [oolong]) == {}

    ada = await shop.client.user("Ada", id=ADMIN_ID, lang=lang)
    await ada.send("/start")
    await ada.send("/admin")
    await ada.tap(section)
    await ada.tap(see_photo)
    photo = await ada.last_message()
    assert photo is not None and photo.photo and "The cup that came with it" in (photo.caption or "")
    await ada.tap(publish, message=await _queue(ada))
    assert (await reviews.ratings(shop.db, [oolong]))[oolong].count == 1

    # Anyone can now open the photo from the product's reviews.
    frank = await started(shop, "Frank", lang)
    await frank.open_deeplink("p_TEA-OOLONG")
    card = await frank.last_message()
    await frank.tap(next(label for label in labels(card) if label.startswith("⭐") and "1" in label))
    await frank.tap("📷 1")
    shown_photo = await frank.last_message()
    assert shown_photo is not None and shown_photo.photo and "★★★☆☆" in (shown_photo.caption or "")


async def _queue(admin: UserHandle) -> MessageView:
    """The moderation screen (the photo was sent after it)."""
    for message in reversed(await admin.messages()):
        if any((b.callback_data or "").startswith("rv:pub") for row in message.buttons for b in row):
            return message
    raise AssertionError("no moderation screen")
