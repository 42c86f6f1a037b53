"""/invite: the personal referral link, a Share button and stats; the `r_` deep-link part records who
brought a new user (first touch)."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.context import AppContext
from bot.deeplinks import start_link
from bot.i18n import Translator
from bot.routes import Routes
from bot.views import growth as views
from bot.views.common import open_private_chat
from store.growth import referrals

routes = Routes("referral")


async def referral_link(message: Message, code: str, data: dict[str, Any]) -> None:
    # Silent on purpose: a refused referral (self, loop, not new) must not tell anyone anything.
    ctx: AppContext = data["ctx"]
    if message.from_user is not None:
        await referrals.attribute(ctx.db, message.from_user.id, code)


@routes.message(Command("invite"))
async def invite(message: Message, ctx: AppContext, lang: str, _: Translator) -> None:
    if message.from_user is None:
        return
    if message.chat.type != "private":
        url = f"https://t.me/{ctx.bot_username}?start=hello"
        await message.reply(_("growth.invite_private"), reply_markup=open_private_chat(lang, url))
        return
    stats = await referrals.stats(ctx.db, message.from_user.id)
    link = start_link(ctx.bot_username, "r", stats.code)
    loyalty = ctx.settings.loyalty
    text, markup = views.invite_view(lang, link, stats, loyalty.referral_points, loyalty.welcome_coupon_percent)
    await message.answer(text, reply_markup=markup)


def setup() -> Router:
    return routes.build()
