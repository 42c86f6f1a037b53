"""Views shared by features: the main menu, help, language picker. Pure functions: data in, text + keyboard out."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks.common import LangCB, MenuCB
from bot.deeplinks import start_link
from bot.i18n import t, t_plain
from store.order_queues import Buyer

MAIN_MENU = ("catalog", "search", "cart", "orders", "foryou", "wishlist", "help")


def main_menu(lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for action in MAIN_MENU:
        builder.button(text=t(lang, f"menu.{action}"), callback_data=MenuCB(action=action))
    builder.adjust(2, 2, 2, 1)
    return builder.as_markup()


def language_picker() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="English", callback_data=LangCB(code="en").pack()),
                InlineKeyboardButton(text="中文", callback_data=LangCB(code="zh").pack()),
            ]
        ]
    )


def open_private_chat(lang: str, url: str, label_key: str = "start.open_private") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=t(lang, label_key), url=url)]])


def personal_in_group(lang: str, bot_username: str, link: tuple[str, str], label_key: str) -> InlineKeyboardMarkup:
    """The button under a short group reply to a personal command: it opens that command's own screen in the
    private chat (a deep link `<prefix>_<value>`, which also works for someone who never started the bot)."""
    return open_private_chat(lang, start_link(bot_username, *link), label_key)


def welcome_text(lang: str, name: str) -> str:
    return t(lang, "start.welcome", name=name)


def help_text(lang: str) -> str:
    return t(lang, "help.text")


def buyer_label(lang: str, buyer: Buyer) -> str:
    """`Alice Liddell (@alice)` / `李雷（@lilei）`: who the order is for, as staff would call them (several staff
    screens)."""
    return (
        t_plain(lang, "people.with_handle", name=buyer.name, username=buyer.username) if buyer.username else buyer.name
    )
