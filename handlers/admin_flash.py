"""An admin creates a flash sale in chat by taps (/flash_new, or "New flash sale" in /admin): the product found
by name, the price from discount buttons, units, per-person limit, start (including "now") and duration, then a
summary to confirm. /flash_create stays for those who prefer one typed line; /flash_list lists and cancels.

Each step edits the one live question when a button is tapped; a typed answer gets the next question below it
and the question above loses its buttons. Every tap re-checks the admin role."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.access import require_role
from bot.admin_menu import AdminSection
from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.admin_flash import FlashWizardCB
from bot.context import AppContext
from bot.i18n import t
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from bot.views import admin_flash as views
from bot.views.flashsale import sale_text
from dialogues.flash_wizard import FlashWizard
from store import audit, flashsale, groupbuy
from store.catalog import ProductView
from store.errors import DomainError
from store.models import utcnow
from store.money import parse_major

routes = Routes("admin_flash")
PRIVATE = F.chat.type == "private"
ANSWER = F.text & ~F.text.startswith("/")

ADMIN_SECTION = AdminSection("flashnew", "admin_flash.section", "admin", order=41)


async def _product(ctx: AppContext, data: dict[str, Any]) -> ProductView:
    return await groupbuy.product_for_wizard(ctx.db, product_id=int(data["product_id"]))


def _start_at(key: str, now: datetime, timezone: str) -> datetime:
    if key == "now":
        return now
    if key == "10m":
        return now + timedelta(minutes=10)
    if key == "1h":
        return now + timedelta(hours=1)
    if key == "20h":
        local = now.astimezone(ZoneInfo(timezone))
        at = local.replace(hour=20, minute=0, second=0, microsecond=0)
        return (at if at > local else at + timedelta(days=1)).astimezone(now.tzinfo)
    raise DomainError("bad_button")


async def _screen(ctx: AppContext, lang: str, step: str, data: dict[str, Any]) -> views.Screen:
    if step == "product":
        return views.product_step(lang, await groupbuy.candidate_products(ctx.db))
    if step == "limit":
        return views.limit_step(lang)
    if step == "start":
        return views.start_step(lang)
    if step == "duration":
        return views.duration_step(lang)
    product = await _product(ctx, data)
    if step == "price":
        return views.price_step(lang, product)
    if step == "stock":
        return views.stock_step(lang, product.stock)
    starts_at, ends_at = _times(ctx, data)
    return views.summary(
        lang,
        product,
        int(data["price"]),
        int(data["stock"]),
        int(data["limit"]),
        starts_at,
        ends_at,
        ctx.settings.shop.timezone,
        data["start"] == "now",
    )


def _times(ctx: AppContext, data: dict[str, Any]) -> tuple[datetime, datetime]:
    """Counted when shown and again at Create: "now" means when the admin confirms, not when they tapped."""
    starts_at = _start_at(str(data["start"]), utcnow(), ctx.settings.shop.timezone)
    return starts_at, starts_at + timedelta(minutes=int(data["minutes"]))


async def _live(bot: Bot, chat_id: int, state: FSMContext, message_id: int) -> None:
    """`message_id` is the one live question now; the previous one loses its buttons."""
    old = (await state.get_data()).get("prompt_id")
    await state.update_data(prompt_id=message_id)
    if old and old != message_id:
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(chat_id=chat_id, message_id=int(old), reply_markup=None)


async def _ask(target: Message | CallbackQuery, ctx: AppContext, lang: str, state: FSMContext, step: str) -> None:
    await state.set_state(getattr(FlashWizard, step))
    data = await state.get_data()
    screen = await _screen(ctx, lang, step, data)
    if isinstance(target, CallbackQuery):
        await target.answer()
        message = target.message
        if isinstance(message, Message) and message.message_id == data.get("prompt_id"):
            await edit_or_answer(target, screen.text, screen.markup)
            return
        sent = await ctx.bot.send_message(target.from_user.id, screen.text, reply_markup=screen.markup)
        await _live(ctx.bot, target.from_user.id, state, sent.message_id)
        return
    sent = await target.answer(screen.text, reply_markup=screen.markup)
    await _live(ctx.bot, target.chat.id, state, sent.message_id)


async def _begin(target: Message | CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await state.set_state(FlashWizard.product)
    await state.set_data({})
    await _ask(target, ctx, lang, state, "product")


@routes.message(Command("flash_new"), PRIVATE)
async def flash_new(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    if message.from_user is None:
        return
    await require_role(ctx, message.from_user.id, "admin")
    await _begin(message, ctx, lang, state)


@routes.callback_query(AdminMenuCB.filter(F.section == "flashnew"))
async def from_menu(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    await state.set_state(FlashWizard.product)
    message = query.message
    await state.set_data({"prompt_id": message.message_id} if isinstance(message, Message) else {})
    await _ask(query, ctx, lang, state, "product")


@routes.message(FlashWizard.product, PRIVATE, ANSWER)
async def product_typed(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    if message.from_user is None:
        return
    await require_role(ctx, message.from_user.id, "admin")
    found = await groupbuy.find_products_for_wizard(ctx.db, message.text or "")
    if not found:
        raise DomainError("gb_product_not_found")
    if len(found) == 1:
        await state.update_data(product_id=found[0].id)
        await _ask(message, ctx, lang, state, "price")
        return
    screen = views.product_step(lang, found, query=(message.text or "").strip()[:64])
    sent = await message.answer(screen.text, reply_markup=screen.markup)
    await _live(ctx.bot, message.chat.id, state, sent.message_id)


@routes.message(FlashWizard.price, PRIVATE, ANSWER)
async def price_typed(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    product = await _product(ctx, await state.get_data())
    try:
        price = parse_major(message.text or "", product.currency)
    except ValueError as exc:
        raise DomainError("flash_bad_price") from exc
    if not 0 < price < product.price:
        raise DomainError("flash_bad_price")
    await state.update_data(price=price)
    await _ask(message, ctx, lang, state, "stock")


@routes.message(FlashWizard.stock, PRIVATE, ANSWER)
async def stock_typed(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    product = await _product(ctx, await state.get_data())
    text = (message.text or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= min(product.stock, flashsale.MAX_STOCK):
        raise DomainError("flash_bad_stock", max=min(product.stock, flashsale.MAX_STOCK))
    await state.update_data(stock=int(text))
    await _ask(message, ctx, lang, state, "limit")


@routes.callback_query(FlashWizardCB.filter(F.a == "stop"))
async def stop(query: CallbackQuery, lang: str, state: FSMContext) -> None:
    if await state.get_state() is not None and str(await state.get_state()).startswith("FlashWizard"):
        await state.clear()
    await query.answer()
    await edit_or_answer(query, t(lang, "admin_flash.stopped"))


_STEP_OF_ACTION = {
    "prod": (FlashWizard.product, "price"),
    "price": (FlashWizard.price, "stock"),
    "stock": (FlashWizard.stock, "limit"),
    "lim": (FlashWizard.limit, "start"),
    "start": (FlashWizard.start, "duration"),
    "dur": (FlashWizard.duration, "confirm"),
}


@routes.callback_query(FlashWizardCB.filter(F.a == "make"), FlashWizard.confirm)
async def make(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    data = await state.get_data()
    product = await _product(ctx, data)
    starts_at, ends_at = _times(ctx, data)
    spec = flashsale.SaleSpec(
        sku=product.sku,
        price=int(data["price"]),
        stock=int(data["stock"]),
        starts_at=starts_at,
        ends_at=ends_at,
        per_user_limit=int(data["limit"]),
    )
    sale = await flashsale.create_sale(ctx.db, spec, created_by=query.from_user.id)
    await audit.flash_sale(ctx.db, query.from_user.id, "create", sale)
    await state.clear()
    await query.answer()
    await edit_or_answer(query, sale_text(lang, "flashsale.admin.created", sale, ctx.settings.shop.timezone))


@routes.callback_query(FlashWizardCB.filter(F.a.in_(set(_STEP_OF_ACTION))))
async def step_tap(
    query: CallbackQuery, callback_data: FlashWizardCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    expected, following = _STEP_OF_ACTION[callback_data.a]
    if await state.get_state() != expected.state:
        await query.answer(t(lang, "errors.stale_button"), show_alert=True)
        return
    value = callback_data.v
    if not value.isdigit() and callback_data.a != "start":
        raise DomainError("bad_button")
    data = await state.get_data()
    if callback_data.a == "prod":
        product = await groupbuy.product_for_wizard(ctx.db, product_id=int(value))
        await state.update_data(product_id=product.id)
    elif callback_data.a == "price":
        if int(value) not in views.PRICE_PERCENTS:
            raise DomainError("bad_button")
        product = await _product(ctx, data)
        await state.update_data(price=views.sale_price(product.price, int(value)))
    elif callback_data.a == "stock":
        product = await _product(ctx, data)
        if not 1 <= int(value) <= product.stock:
            raise DomainError("flash_bad_stock", max=product.stock)
        await state.update_data(stock=int(value))
    elif callback_data.a == "lim":
        if int(value) not in views.LIMIT_CHOICES:
            raise DomainError("bad_button")
        await state.update_data(limit=int(value))
    elif callback_data.a == "start":
        if value not in views.START_CHOICES:
            raise DomainError("bad_button")
        await state.update_data(start=value)
    else:
        if int(value) not in views.DURATION_MINUTES:
            raise DomainError("bad_button")
        await state.update_data(minutes=int(value))
    await _ask(query, ctx, lang, state, following)


@routes.callback_query(FlashWizardCB.filter())
async def stale(query: CallbackQuery, lang: str) -> None:
    """A button of a finished, stopped or earlier set-up."""
    await query.answer(t(lang, "errors.stale_button"), show_alert=True)


@routes.message(StateFilter(FlashWizard), PRIVATE, ~F.text.startswith("/"))
async def needs_text(message: Message, lang: str) -> None:
    await message.answer(t(lang, "groupbuy.wizard.text_please"))


def setup() -> Router:
    return routes.build()
