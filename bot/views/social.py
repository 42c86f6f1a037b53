"""Social views: suggestion buttons ("You may also like", "Popular in this group", "For you"), the wishlist
heart and the wishlist page. Pure: data in, buttons or a screen out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks.catalog import ProductCB
from bot.callbacks.common import MenuCB
from bot.callbacks.social import WishCB
from bot.context import AppContext
from bot.deeplinks import start_link
from bot.i18n import t, t_plain
from bot.outbox import Outgoing
from bot.views.catalog import Screen, clip, flash_prices
from store.catalog import ProductView
from store.flashsale import LivePrice
from store.money import Money
from store.recommend.service import Suggestions
from store.social.wishlist import WishlistPage

SUGGESTION_TITLE_MAX = 28
WISHLIST_LINK = ("wl", "list")  # deep link from a group reply to /wishlist in the private chat
FOR_YOU_LINK = ("wl", "foryou")  # the same from a group reply to /foryou

Rows = list[list[InlineKeyboardButton]]


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def quoted_price(product: ProductView, flash: LivePrice | None = None) -> str:
    """The price a list quotes for a product, the one its card's Buy or Add charges: during a live flash sale
    the flash price with the card's ⚡ (as a category page, search and /wishlist quote it), else the price as a
    buyer pays it (a digital product in Stars)."""
    if flash is not None:
        return f"⚡{flash_prices(product, flash)[0].format()}"
    return product.paid_money.format()


def suggestion_button(
    lang: str, product: ProductView, key: str = "social.suggestion", flash: LivePrice | None = None
) -> InlineKeyboardButton:
    title = clip(product.title(lang), SUGGESTION_TITLE_MAX)
    label = t_plain(lang, key, title=title, price=quoted_price(product, flash))
    return _button(label, ProductCB(a="open", p=product.id, o="x").pack())


def live_prices(products: Sequence[ProductView]) -> Mapping[int, LivePrice]:
    """The live flash prices read with the suggestions (store.recommend.service.Suggestions), by product id."""
    return products.flash if isinstance(products, Suggestions) else {}


def suggestion_rows(lang: str, products: Sequence[ProductView], key: str = "social.suggestion") -> Rows:
    """A button per suggested product, at the price its card charges (`products` read by the recommender carry
    their live flash prices)."""
    flash = live_prices(products)
    return [[suggestion_button(lang, product, key, flash.get(product.id))] for product in products]


# Suggestions carried by an outbox row (the "paid" notice): what their buttons need, as JSON.
SUGGEST_PARAM = "suggest"


def suggestion_param(product: ProductView, flash: LivePrice | None = None) -> dict[str, Any]:
    # A digital product in Stars, as it is sold; during a live flash sale the flash price, as its card charges.
    price = flash_prices(product, flash)[0] if flash is not None else product.paid_money
    return {
        "id": product.id,
        "title_en": product.title_en,
        "title_zh": product.title_zh,
        "price": price.amount,
        "currency": price.currency,
        "flash": flash is not None,
    }


def suggestion_rows_from_params(lang: str, params: dict[str, Any]) -> Rows:
    """ "You may also like" buttons from an outbox row's suggestions (none when it has none)."""
    rows: Rows = []
    for item in params.get(SUGGEST_PARAM) or []:
        title = str(item["title_zh"] if lang == "zh" and item.get("title_zh") else item["title_en"])
        price = Money(int(item["price"]), str(item["currency"])).format()
        label = t_plain(
            lang,
            "social.also_like",
            title=clip(title, SUGGESTION_TITLE_MAX),
            price=f"⚡{price}" if item.get("flash") else price,
        )
        # The notice may be the message with the codes just paid for: the card opens below it, never in its place.
        rows.append([_button(label, ProductCB(a="open", p=int(item["id"]), o="n").pack())])
    return rows


def heart_button(lang: str, product_id: int, *, wished: bool, group: bool) -> InlineKeyboardButton:
    """In a group the card is shared, so the heart cannot show one person's state: it only adds."""
    if group:
        return _button(t_plain(lang, "social.wish_group"), WishCB(a="add", p=product_id).pack())
    if wished:
        return _button(t_plain(lang, "social.wished"), WishCB(a="del", p=product_id).pack())
    return _button(t_plain(lang, "social.wish"), WishCB(a="add", p=product_id).pack())


def card_rows(lang: str, product_id: int, *, wished: bool, group: bool, similar: Sequence[ProductView]) -> Rows:
    rows: Rows = [[heart_button(lang, product_id, wished=wished, group=group)]]
    return rows + suggestion_rows(lang, similar, "social.also_like")


def with_heart(markup: InlineKeyboardMarkup, lang: str, product_id: int, *, wished: bool) -> InlineKeyboardMarkup:
    """The same keyboard with the heart of `product_id` turned on or off (nothing else redrawn)."""
    add, remove = WishCB(a="add", p=product_id).pack(), WishCB(a="del", p=product_id).pack()
    rows = [
        [
            heart_button(lang, product_id, wished=wished, group=False)
            if button.callback_data in (add, remove)
            else button
            for button in row
        ]
        for row in markup.inline_keyboard
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def insert_rows(markup: InlineKeyboardMarkup | None, rows: Rows, *, before_last: bool = True) -> InlineKeyboardMarkup:
    """`markup` with `rows` added above its last row (the navigation row stays at the bottom)."""
    existing = list(markup.inline_keyboard) if markup is not None else []
    if not rows:
        return InlineKeyboardMarkup(inline_keyboard=existing)
    at = len(existing) - 1 if before_last and existing else len(existing)
    return InlineKeyboardMarkup(inline_keyboard=existing[:at] + rows + existing[at:])


def group_catalog(screen: Screen, lang: str, popular: Sequence[ProductView]) -> Screen:
    """The group's catalog card with what this group buys most, above the categories."""
    if not popular:
        return screen
    rows = suggestion_rows(lang, popular, "social.group_popular")
    existing = list(screen.markup.inline_keyboard) if screen.markup is not None else []
    return Screen(
        screen.text + "\n" + t(lang, "social.group_popular_title"),
        InlineKeyboardMarkup(inline_keyboard=rows + existing),
    )


def after_checkout(markup: InlineKeyboardMarkup, lang: str, products: Sequence[ProductView]) -> InlineKeyboardMarkup:
    return insert_rows(markup, suggestion_rows(lang, products, "social.also_like"), before_last=False)


def for_you(lang: str, products: Sequence[ProductView]) -> Screen:
    rows = suggestion_rows(lang, products)
    rows.append([_button(t_plain(lang, "social.wishlist_button"), WishCB(a="list").pack())])
    rows.append([_button(t(lang, "menu.home"), MenuCB(action="home").pack())])
    text = t(lang, "social.for_you_title") if products else t(lang, "social.for_you_empty")
    return Screen(text, InlineKeyboardMarkup(inline_keyboard=rows))


def wish_item_label(lang: str, product: ProductView, flash: LivePrice | None = None) -> str:
    """A wished product at the price its card quotes: during a live flash sale the flash price with the card's ⚡
    (the sale's units were taken out of the product's stock, so it is not "sold out" then), as a category page
    lists it (bot.views.catalog.item_button)."""
    title = clip(product.title(lang), SUGGESTION_TITLE_MAX)
    if flash is None and product.sold_out:
        return t_plain(lang, "social.wish_item_sold_out", title=title)
    return t_plain(lang, "social.wish_item", title=title, price=quoted_price(product, flash))


def wishlist(lang: str, page: WishlistPage) -> Screen:
    rows: Rows = []
    for product in page.items:
        label = wish_item_label(lang, product, page.flash.get(product.id))
        rows.append(
            [
                _button(label, ProductCB(a="open", p=product.id, o="x").pack()),
                _button("✖️", WishCB(a="rm", p=product.id, n=page.page).pack()),
            ]
        )
    nav: list[InlineKeyboardButton] = []
    if page.page > 0:
        nav.append(_button(t(lang, "catalog.prev"), WishCB(a="list", p=page.page - 1).pack()))
    if page.page + 1 < page.pages:
        nav.append(_button(t(lang, "catalog.next"), WishCB(a="list", p=page.page + 1).pack()))
    if nav:
        rows.append(nav)
    rows.append([_button(t(lang, "menu.home"), MenuCB(action="home").pack())])
    if page.total:
        text = t(lang, "social.wishlist_title", count=page.total, page=page.page + 1, pages=page.pages)
    else:
        text = t(lang, "social.wishlist_empty")
    return Screen(text, InlineKeyboardMarkup(inline_keyboard=rows))


def render_wish_notice(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    """A wished product's news, in the shopper's language, with a button that opens its card."""
    title = params["title_zh"] if lang == "zh" and params.get("title_zh") else params["title_en"]
    currency = params["currency"]
    was = params.get("was")
    text = t(
        lang,
        f"social.notice_{params['event']}",
        title=title,
        price=Money(params["price"], currency).format(),
        was=Money(was, currency).format() if was is not None else "",
    )
    link = start_link(app.bot_username, "p", params["sku"])
    button = InlineKeyboardButton(text=t_plain(lang, "social.open_product"), url=link)
    return Outgoing(text=text, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]))
