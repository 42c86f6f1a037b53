"""/start (with deep links), /help, /language and the main menu."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import deeplinks
from bot.callbacks.common import LangCB, MenuCB
from bot.chat_language import group_language, set_group_language
from bot.context import AppContext
from bot.i18n import Translator, t, t_plain
from bot.middlewares import UserContextMiddleware
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from bot.views import common as views
from store import users

routes = Routes("start")


@routes.message(CommandStart(), F.chat.type == "private")
async def start_private(
    message: Message, command: CommandObject, ctx: AppContext, lang: str, _: Translator, state: FSMContext
) -> None:
    payload = deeplinks.parse_payload(command.args)
    # Deep-link handlers may resume a dialogue (e.g. the group-buy wizard), so they get the FSM context too.
    data = {"ctx": ctx, "lang": lang, "_": _, "state": state}
    if payload.referral:
        hook = ctx.wiring.deeplinks.get("r")
        if hook is not None:
            await hook(message, payload.referral, data)
    handler = ctx.wiring.deeplinks.get(payload.prefix or "")
    if handler is not None and payload.value:
        await handler(message, payload.value, data)
    else:
        if command.args and payload.prefix is not None:
            await message.answer(_("start.bad_link"))
        name = html.escape(message.from_user.first_name if message.from_user else "")
        await message.answer(views.welcome_text(lang, name), reply_markup=views.main_menu(lang))
    # What waited for the shopper to open this chat comes right after the first answer.
    for after in ctx.wiring.after_start:
        await after(message, data)


@routes.message(CommandStart())
async def start_group(message: Message, ctx: AppContext) -> None:
    lang = await group_language(ctx, message.chat.id)
    url = deeplinks.hello_link(ctx.bot_username)
    await message.reply(t(lang, "start.group_hint"), reply_markup=views.open_private_chat(lang, url))


@routes.message(Command("help"))
@routes.message(Command("menu"))
async def help_command(message: Message, lang: str) -> None:
    await message.answer(
        views.help_text(lang), reply_markup=views.main_menu(lang) if message.chat.type == "private" else None
    )


@routes.callback_query(MenuCB.filter(F.action == "help"))
async def help_button(query: CallbackQuery, lang: str) -> None:
    await query.answer()
    await edit_or_answer(query, views.help_text(lang), views.main_menu(lang))


@routes.callback_query(MenuCB.filter(F.action == "home"))
async def home_button(query: CallbackQuery, lang: str) -> None:
    await query.answer()
    name = html.escape(query.from_user.first_name)
    await edit_or_answer(query, views.welcome_text(lang, name), views.main_menu(lang))


GROUPS = ("group", "supergroup")
ADMIN_STATUSES = ("creator", "administrator")
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}


@routes.message(Command("language"), F.chat.type.in_(GROUPS))
async def group_language_command(message: Message, ctx: AppContext) -> None:
    """In a group, /language sets the group's language (its shared cards), which is a group admin's call."""
    lang = await group_language(ctx, message.chat.id)
    await message.reply(t(lang, "language.group_choose"), reply_markup=views.language_picker())


@routes.message(Command("language"))
async def language_command(message: Message, _: Translator) -> None:
    await message.answer(_("language.choose"), reply_markup=views.language_picker())


async def _group_language_chosen(query: CallbackQuery, ctx: AppContext, code: str, lang: str) -> None:
    message = query.message
    assert message is not None
    member = await ctx.bot.get_chat_member(message.chat.id, query.from_user.id)
    if member.status not in ADMIN_STATUSES:
        await query.answer(t_plain(lang, "language.group_admins_only"), show_alert=True)
        return
    await set_group_language(ctx, message.chat.id, code)
    name = LANGUAGE_NAMES[code]
    # The toast is the tapper's; the edited message is the group's, in the group's new language.
    await query.answer(t_plain(lang, "language.group_changed", language=name))
    await edit_or_answer(query, t(code, "language.group_changed", language=name))


@routes.callback_query(LangCB.filter())
async def language_chosen(
    query: CallbackQuery, callback_data: LangCB, ctx: AppContext, lang: str, user_context: UserContextMiddleware
) -> None:
    code = callback_data.code if callback_data.code in ("en", "zh") else "en"
    if query.message is not None and query.message.chat.type in GROUPS:
        await _group_language_chosen(query, ctx, code, lang)
        return
    await users.set_language(ctx.db, query.from_user.id, code)
    user_context.remember_language(query.from_user.id, code)
    await query.answer(t(code, "language.changed"))
    await edit_or_answer(query, t(code, "language.changed"), views.main_menu(code))


def setup() -> Router:
    return routes.build()


def asks_the_bot(message: Message, ctx: AppContext) -> bool:
    """A group message that speaks to the bot without a command: "@groupcart_bot where is my order?", or a reply
    to one of its messages. (Not in the support group, where agents reply to the bot's relayed messages.)"""
    if message.chat.type not in GROUPS or message.chat.id == ctx.settings.support.chat_id:
        return False
    text = message.text or message.caption or ""
    if not text.strip() or text.startswith("/"):
        return False
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == ctx.bot.id:
        return True
    mention = f"@{ctx.bot_username}".lower()
    entities = message.entities or message.caption_entities or []
    return any(e.type == "mention" and e.extract_from(text).lower() == mention for e in entities)


@routes.message(asks_the_bot)
async def question_in_group(message: Message, ctx: AppContext, lang: str) -> None:
    """Outside check: a question to the bot in a group got no answer at all. Orders and carts are personal, so
    the answer is where to ask, in the asker's language, with the private chat one tap away."""
    url = deeplinks.hello_link(ctx.bot_username)
    await message.reply(t(lang, "group_question.answer"), reply_markup=views.open_private_chat(lang, url))
