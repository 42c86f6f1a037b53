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
from bot.views.common import personal_in_group
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
        # The reply promises the link in the private chat: its button opens the invite screen there, not the menu.
        markup = personal_in_group(lang, ctx.bot_username, views.INVITE_LINK, "start.open_private")
        await message.reply(_("growth.invite_private"), reply_markup=markup)
        return
    await _send_invite(message, ctx, lang)


async def invite_link(message: Message, value: str, data: dict[str, Any]) -> None:
    """`/start inv_me` from the group reply to /invite: the invite screen, in the private chat."""
    await _send_invite(message, data["ctx"], data["lang"])


async def _send_invite(message: Message, ctx: AppContext, lang: str) -> None:
    if message.from_user is None:
        return
    stats = await referrals.stats(ctx.db, message.from_user.id)
    link = start_link(ctx.bot_username, "r", stats.code)
    loyalty = ctx.settings.loyalty
    text, markup = views.invite_view(lang, link, stats, loyalty.referral_points, loyalty.welcome_coupon_percent)
    await message.answer(text, reply_markup=markup)


def setup() -> Router:
    return routes.build()
