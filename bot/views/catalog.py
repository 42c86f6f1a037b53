"""Catalog views: the category list, a page of products and the product card. Pure: data in, text + keyboard out.

In a group the screens are compact and carry no personal controls (no quantity picker, no cart screen): a tap on
"Add to cart" puts one item in the tapper's cart and the cart itself lives in the private chat.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks.catalog import CategoryCB, ProductCB, search_origin
from bot.callbacks.common import MenuCB
from bot.callbacks.flashsale import FlashBuyCB
from bot.callbacks.ops import WATCH_OFF, WatchCB
from bot.callbacks.search import SearchCB
from bot.deeplinks import start_link
from bot.i18n import t, t_plain
from store import flashsale
from store.cart import COUNT_MODULUS
from store.catalog import CategoryView, ProductPage, ProductView
from store.flashsale import LivePrice
from store.money import Money

BUTTON_TITLE_MAX = 40
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CART_LINK = ("cart", "open")  # deep-link prefix and value that open the cart in the private chat


@dataclass(frozen=True)
class Screen:
    text: str
    markup: InlineKeyboardMarkup | None


@dataclass(frozen=True)
class CardOptions:
    """How a card is drawn: quantity picked, where "Back" leads, group or private chat."""

    quantity: int = 1
    max_per_line: int = 99
    back_start: int = 0
    back_number: int = 0
    origin: str = "l"
    group: bool = False
    with_photo: bool = False
    # The viewer's referral code: a card shared from a private chat earns the sharer the referral reward.
    referral: str | None = None
    # Rows other features add above "Back" (bot/social.py: the wishlist heart, "You may also like").
    extra_rows: tuple[tuple[InlineKeyboardButton, ...], ...] = ()
    extra_line: str = ""  # a line other features add under the facts (HTML, e.g. the rating)
    # How many of the product the viewer's cart holds as the card is drawn (private cards): the card shows it
    # ("In your cart: 3", when above 0) and its buttons carry it.
    in_cart: int | None = None
    watching: bool = False  # the viewer is on the product's "Notify me" list (private sold-out cards show it)


def clip(text: str, limit: int = BUTTON_TITLE_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _button(text: str, callback_data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=callback_data)


def cart_link(bot_username: str) -> str:
    return start_link(bot_username, *CART_LINK)


def product_link(bot_username: str, sku: str, referral: str | None = None) -> str:
    return start_link(bot_username, "p", sku, referral)


def share_url(link: str, text: str) -> str:
    """Telegram's share dialog: the user picks a chat and the link is posted there."""
    return f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(text, safe='')}"


# ---------------------------------------------------------------------------------------------- categories


def categories(lang: str, items: list[CategoryView], *, group: bool = False, bot_username: str = "") -> Screen:
    rows: list[list[InlineKeyboardButton]] = []
    pair: list[InlineKeyboardButton] = []
    for category in items:
        pair.append(_button(clip(category.name(lang)), CategoryCB(c=category.id).pack()))
        if len(pair) == 2:
            rows.append(pair)
            pair = []
    if pair:
        rows.append(pair)
    if group:
        if bot_username:
            rows.append([InlineKeyboardButton(text=t(lang, "catalog.my_cart"), url=cart_link(bot_username))])
    else:
        rows.append(
            [
                _button(t(lang, "catalog.cart"), MenuCB(action="cart").pack()),
                _button(t(lang, "catalog.menu"), MenuCB(action="home").pack()),
            ]
        )
    text = t(lang, "catalog.title") if items else t(lang, "catalog.empty")
    return Screen(text, InlineKeyboardMarkup(inline_keyboard=rows))


# ---------------------------------------------------------------------------------------------- product list


def item_button(
    lang: str, product: ProductView, page: ProductPage, flash: LivePrice | None = None
) -> InlineKeyboardButton:
    """A product on a category page, at the price its card quotes: during a live flash sale the flash price
    (its units were taken out of the product's stock, so it is not "sold out" then)."""
    title = clip(product.title(lang))
    if flash is not None:
        price = f"⚡{flash_prices(product, flash)[0].format()}"
        label = t_plain(lang, "catalog.item_button", title=title, price=price)
    elif product.sold_out:
        label = t_plain(lang, "catalog.item_sold_out", title=title)
    else:
        label = t_plain(lang, "catalog.item_button", title=title, price=product.paid_money.format())
    return _button(label, ProductCB(a="open", p=product.id, s=page.start, n=page.number).pack())


def product_list(lang: str, page: ProductPage, flash: Mapping[int, LivePrice] | None = None) -> Screen:
    """`flash`: the page's products on a live flash sale, by product id."""
    name = html.escape(page.category.name(lang))
    live = flash or {}
    rows = [[item_button(lang, product, page, live.get(product.id))] for product in page.items]
    nav: list[InlineKeyboardButton] = []
    if page.has_prev:
        nav.append(
            _button(
                t(lang, "catalog.prev"), CategoryCB(c=page.category.id, s=page.start, n=page.number - 1, b=True).pack()
            )
        )
    if page.has_next and page.items:
        nav.append(
            _button(
                t(lang, "catalog.next"),
                CategoryCB(c=page.category.id, s=page.items[-1].id + 1, n=page.number + 1).pack(),
            )
        )
    if nav:
        rows.append(nav)
    rows.append([_button(t(lang, "catalog.categories"), MenuCB(action="catalog").pack())])
    if page.items:
        text = t(lang, "catalog.page_title", category=name, page=page.number + 1)
    else:
        text = t(lang, "catalog.page_empty", category=name)
    return Screen(text, InlineKeyboardMarkup(inline_keyboard=rows))


# ---------------------------------------------------------------------------------------------- product card


def quantity_limit(product: ProductView, max_per_line: int) -> int:
    return max(0, min(product.stock, max_per_line))


def flash_prices(product: ProductView, flash: LivePrice) -> tuple[Money, Money]:
    """(flash price, regular price) as the shopper pays them: a digital product in Stars (Telegram's rule), as
    its winner is charged and its group card quotes."""
    stars = product.stars_price if product.is_digital else None
    return flashsale.shown_prices(product.price, product.currency, flash.price, stars)


def flash_price_line(lang: str, product: ProductView, flash: LivePrice) -> str:
    price, regular = flash_prices(product, flash)
    return t(lang, "flashsale.price.line", price=price.format(), regular=regular.format(), remaining=flash.remaining)


def card_text(lang: str, product: ProductView, limit: int, flash: LivePrice | None = None) -> str:
    """The card's text, with the description shortened so the whole fits Telegram's limit. During a live flash
    sale the flash price leads and the regular price is struck through."""
    price = product.money.format()
    if flash is not None:
        price_line = flash_price_line(lang, product, flash)
    elif product.is_digital and product.stars_price:
        # Telegram sells digital goods for Stars only, so the Star price is the price.
        price_line = t(lang, "catalog.stars_price", stars=product.stars_price)
    elif not product.for_sale:
        price_line = t(lang, "catalog.not_for_sale")
    else:
        price_line = t(lang, "catalog.price", price=price)
    facts = [price_line]
    if product.is_digital:
        facts.append(t(lang, "catalog.digital"))
    if flash is None and product.for_sale:
        facts.append(t(lang, "catalog.sold_out") if product.sold_out else t(lang, "catalog.stock", stock=product.stock))
    head = f"<b>{html.escape(product.title(lang))}</b>"
    tail = "\n\n" + "\n".join(facts)
    description = product.description(lang)
    # Limits count visible characters; tags are not counted, so measure the escaped text conservatively.
    room = limit - len(head) - len(tail) - 2
    if len(html.escape(description)) > room:
        description = description[: max(0, room - 1 - (len(html.escape(description)) - len(description)))] + "…"
    body = f"\n{html.escape(description)}" if description.strip() else ""
    return head + body + tail


def cart_count_line(lang: str, options: CardOptions) -> str:
    """How many of the product the viewer's cart holds, on a private card only: a group card is everyone's, so it
    never shows one member's cart. Nothing when the cart holds none (or the count was not read)."""
    if options.group or (options.in_cart or 0) <= 0:
        return ""
    return t(lang, "catalog.in_cart", count=options.in_cart)


def product_card(
    lang: str, product: ProductView, options: CardOptions, bot_username: str, flash: LivePrice | None = None
) -> Screen:
    """`flash`: a live flash sale of the product. Its Buy button replaces "Add to cart", so what the card shows
    is what the shopper is charged (the sale's order at the flash price, within its per-person limit)."""
    limit = CAPTION_LIMIT if options.with_photo else TEXT_LIMIT
    lines = [cart_count_line(lang, options), options.extra_line]
    extra = "".join(f"\n{line}" for line in lines if line)
    text = card_text(lang, product, limit - len(extra), flash) + extra
    max_qty = quantity_limit(product, options.max_per_line)
    quantity = max(1, min(options.quantity, max_qty or 1))

    def cb(action: str, qty: int = quantity) -> str:
        return ProductCB(
            a=action,
            p=product.id,
            v=product.version,
            q=qty,
            s=options.back_start,
            n=options.back_number,
            o=options.origin,
            c=0 if options.in_cart is None else options.in_cart % COUNT_MODULUS + 1,
        ).pack()

    rows: list[list[InlineKeyboardButton]] = []
    if flash is not None:
        price = flash_prices(product, flash)[0].format()
        rows.append(
            [
                _button(
                    t(lang, "flashsale.card.buy", price=price), FlashBuyCB(sale_id=flash.sale_id, p=product.id).pack()
                )
            ]
        )
    elif not product.for_sale:
        pass  # the card says why; no button that could only be refused
    elif product.sold_out:
        rows.append([_button(t(lang, "catalog.sold_out_button"), cb("qty"))])
        if not options.group:
            rows.append([notify_me_button(lang, product.id, watching=options.watching)])
    elif options.group:
        rows.append([_button(t(lang, "catalog.add_group"), cb("add", 1))])
    else:
        rows.append(
            [
                _button("➖", cb("dec")),
                _button(t(lang, "catalog.qty", qty=quantity), cb("qty")),
                _button("➕", cb("inc")),
            ]
        )
        rows.append([_button(t(lang, "catalog.add", qty=quantity), cb("add"))])
    link = product_link(bot_username, product.sku, None if options.group else options.referral)
    share = share_url(link, product.title(lang))
    links = [InlineKeyboardButton(text=t(lang, "catalog.share"), url=share)]
    if options.group:
        links.insert(0, InlineKeyboardButton(text=t(lang, "catalog.my_cart"), url=cart_link(bot_username)))
    else:
        links.append(_button(t(lang, "catalog.cart"), MenuCB(action="cart").pack()))
    rows.append(links)
    rows.extend(list(row) for row in options.extra_rows)
    rows.append([_button(t(lang, "catalog.back"), back_callback(product, options))])
    return Screen(text, InlineKeyboardMarkup(inline_keyboard=rows))


def back_callback(product: ProductView, options: CardOptions) -> str:
    if options.origin == "c" and not options.group:
        return MenuCB(action="cart").pack()
    state_id = search_origin(options.origin)
    if state_id is not None:
        return SearchCB(s=state_id, i=options.back_number).pack()
    return CategoryCB(c=product.category_id, s=options.back_start, n=options.back_number).pack()


def notify_me_button(lang: str, product_id: int, *, watching: bool) -> InlineKeyboardButton:
    """A private sold-out card's "Notify me": it puts the shopper on the list; once they are on it, it says so and
    takes them off. Each drawing carries its intent (not "toggle"), so a repeated tap cannot flip the state twice."""
    if watching:
        return _button(t_plain(lang, "notify_me.on_button"), WatchCB(p=product_id, a=WATCH_OFF).pack())
    return _button(t_plain(lang, "ops.notify_me"), WatchCB(p=product_id).pack())


def with_notify_me(
    lang: str, markup: InlineKeyboardMarkup | None, product_id: int, *, watching: bool
) -> InlineKeyboardMarkup | None:
    """A card's keyboard with its "Notify me" button for `product_id` drawn as `watching`; None when the keyboard
    has no such button or already shows that (nothing to edit)."""
    if markup is None:
        return None
    wanted = notify_me_button(lang, product_id, watching=watching)

    def ours(button: InlineKeyboardButton) -> bool:
        try:
            return button.callback_data is not None and WatchCB.unpack(button.callback_data).p == product_id
        except (TypeError, ValueError):
            return False

    rows = [[wanted if ours(button) else button for button in row] for row in markup.inline_keyboard]
    if rows == markup.inline_keyboard:
        return None
    return InlineKeyboardMarkup(inline_keyboard=rows)


def unavailable(lang: str, items: list[CategoryView], *, group: bool, bot_username: str) -> Screen:
    """A product that is gone (hidden or deleted): say so and offer the categories instead."""
    screen = categories(lang, items, group=group, bot_username=bot_username)
    return Screen(t(lang, "catalog.link_unavailable"), screen.markup)


def not_found(lang: str, items: list[CategoryView], *, group: bool, bot_username: str) -> Screen:
    """A product link naming no product that ever existed (a mistyped or invalid SKU): say the link is not valid,
    not that the product is "no longer" available, and offer the categories instead."""
    screen = categories(lang, items, group=group, bot_username=bot_username)
    return Screen(t(lang, "catalog.link_not_found"), screen.markup)
