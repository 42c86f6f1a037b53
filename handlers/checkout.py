"""Checkout dialogue: delivery or pickup, contact details, summary with discounts, payment method, order.

The dialogue's state and answers live in the FSM storage (the database by default), so it continues after a
restart. Every button carries the dialogue's token: a button from an older checkout is refused as stale.
"""

from __future__ import annotations

import contextlib
import html
import logging
import secrets
from datetime import timedelta
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import (
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
)

from bot import nlu_service, social, tap_guard
from bot import payments as bot_payments
from bot.callbacks.checkout import CheckoutCB
from bot.callbacks.common import MenuCB
from bot.context import AppContext
from bot.delivery_rules import delivery_rule
from bot.i18n import LANGUAGES, Translator, t, t_plain
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from bot.views import checkout as views
from bot.views.cart import empty_cart
from bot.views.checkout import pickup_point, private_link
from bot.views.errors import error_text
from dialogues import checkout as keys
from dialogues.checkout import CheckoutSG
from dialogues.nlu import FALLBACK_INTENT, IntentResult
from dialogues.nlu.builtin import has_enough_signal
from store import checkout, orders, phones
from store.errors import DomainError
from store.growth import points
from store.models import utcnow

log = logging.getLogger(__name__)
routes = Routes("checkout")
DEEPLINK = views.DEEPLINK
# A Pay that finds its cart just checked out by another summary names the order placed within this long.
JUST_PLACED_SECONDS = 30
# Set when the summary's order leaves digital items in the cart for their own (Stars) checkout.
HELD = "ck_held"
# token -> order id of the last few checkouts that placed an order. Kept across checkouts (not in OWN_KEYS), so a
# Pay on an older summary is answered from its order, not refused as a stranger's button.
PLACED = "ck_placed"
PLACED_KEEP = 5
OWN_KEYS = (
    keys.TOKEN,
    keys.DELIVERY,
    keys.POINT,
    keys.NAME,
    keys.PHONE,
    keys.ADDRESS,
    keys.COUPON,
    keys.POINTS,
    keys.POINTS_TAKEN,
    keys.EXPECTED_TOTAL,
    keys.EXPECTED_CURRENCY,
    keys.ORDER_ID,
    keys.ASKED,
    "ck_stars",
    HELD,
)
# A command typed at a step runs (its own router takes it) and the step waits; it is never an answer.
ANSWER = F.text & ~F.text.startswith("/")
# A typed answer the classifier reads as one of these with at least this confidence is taken as a question.
QUESTION_CONFIDENCE = 0.9
NOT_QUESTIONS = frozenset({"greet", "goodbye", "thanks", "human_agent"})
ECHO_MAX = 80


def policy(ctx: AppContext) -> checkout.CheckoutPolicy:
    s = ctx.settings
    return checkout.CheckoutPolicy(
        currency=s.shop.currency,
        delivery=delivery_rule(s),
        reservation_minutes=s.orders.reservation_minutes,
        pickup_hold_minutes=s.orders.pickup_hold_minutes,
        max_quantity_per_line=s.orders.max_quantity_per_line,
        pickup_points=tuple(p.id for p in s.shop.pickup_points),
        card_enabled=bot_payments.card_payments_available(ctx),
        stars_enabled=s.payments.stars_enabled,
        pickup_payment_enabled=s.payments.pickup_payment_enabled,
        phone_region=s.shop.phone_region,
    )


async def _reset(state: FSMContext, **keep: Any) -> None:
    """Drop this dialogue's answers (other features' data in the same storage key stays)."""
    data = {k: v for k, v in (await state.get_data()).items() if k not in OWN_KEYS}
    data.update(keep)
    await state.set_data(data)
    await state.set_state(None)


def _contact(data: dict[str, Any]) -> orders.Contact:
    return orders.Contact(data.get(keys.NAME), data.get(keys.PHONE), data.get(keys.ADDRESS))


# ---------------------------------------------------------------- entry


async def _begin(ctx: AppContext, user_id: int, lang: str, state: FSMContext) -> tuple[str, InlineKeyboardMarkup]:
    """Start (or restart) the dialogue; the cart is checked first so a bad cart is refused right away. An empty
    cart is no error: it is shown as the empty cart, which leads to the catalog (and offers no Check out)."""
    if await checkout.cart_is_empty(ctx.db, user_id):
        return empty_cart(lang)
    quote = await checkout.preview(ctx.db, user_id, "pickup", policy(ctx), lang=lang)
    await _reset(state)
    token = secrets.token_hex(4)
    await state.update_data({keys.TOKEN: token})
    if quote.all_digital:
        if not ctx.settings.payments.stars_enabled:  # digital goods are sold for Stars only
            raise DomainError("checkout_stars_unavailable")
        await state.update_data({keys.DELIVERY: "digital"})
        return await _summary(ctx, user_id, lang, state)
    await state.set_state(CheckoutSG.delivery)
    return views.delivery_choice(lang, token, ctx.settings.shop.pickup_points, quote)


@routes.message(Command("checkout"), F.chat.type == "private")
async def checkout_command(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    if message.from_user is None:
        return
    text, markup = await _begin(ctx, message.from_user.id, lang, state)
    await message.answer(text, reply_markup=markup)


@routes.message(Command("checkout"))
async def checkout_in_group(message: Message, ctx: AppContext, lang: str) -> None:
    await message.reply(t(lang, "checkout.in_private"), reply_markup=views.open_private(lang, private_link(ctx)))


@routes.callback_query(MenuCB.filter(F.action == "checkout"))
async def checkout_button(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    message = query.message
    if message is None or message.chat.type != "private":
        # Groups stay quiet: a toast, and Telegram opens the private chat through the start link.
        await query.answer(t(lang, "checkout.in_private"), url=private_link(ctx))
        return
    text, markup = await _begin(ctx, query.from_user.id, lang, state)
    await query.answer()
    await edit_or_answer(query, text, markup)


@routes.callback_query(MenuCB.filter(F.action == views.NEXT_CHECKOUT))
async def next_checkout_button(
    query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext, fsm_storage: BaseStorage
) -> None:
    """The digital items' checkout after a mixed cart's physical order: a new message below the placed one,
    which keeps its pickup code and order button (outside tester: the summary replaced the pickup code). The
    button goes from the placed order; a double tap starts one checkout."""
    message = query.message
    if message is None or isinstance(message, InaccessibleMessage) or message.chat.type != "private":
        await query.answer(t(lang, "checkout.in_private"), url=private_link(ctx))
        return
    if await tap_guard.repeated(ctx, query, fsm_storage):
        return
    text, markup = await _begin(ctx, query.from_user.id, lang, state)
    await query.answer()
    await message.answer(text, reply_markup=markup)
    if message.reply_markup is not None:
        rows = [
            [button for button in row if button.callback_data != query.data]
            for row in message.reply_markup.inline_keyboard
        ]
        with contextlib.suppress(TelegramAPIError):  # edited meanwhile (another device): the new message stands
            await message.edit_reply_markup(reply_markup=InlineKeyboardMarkup(inline_keyboard=[r for r in rows if r]))


async def checkout_link(message: Message, value: str, data: dict[str, Any]) -> None:
    """`/start co_cart` from a group's "Check out in private chat": a Check out button, or the empty cart."""
    ctx: AppContext = data["ctx"]
    lang = data["lang"]
    if message.from_user is None or await checkout.cart_is_empty(ctx.db, message.from_user.id):
        text, markup = empty_cart(lang)
        await message.answer(text, reply_markup=markup)
        return
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t(lang, "checkout.continue_button"), callback_data=MenuCB(action="checkout").pack()
                )
            ]
        ]
    )
    await message.answer(t(lang, "checkout.continue_here"), reply_markup=markup)


# ---------------------------------------------------------------- buttons


async def _own_button(
    query: CallbackQuery, callback_data: CheckoutCB, state: FSMContext, lang: str
) -> dict[str, Any] | None:
    """The dialogue's data when the button belongs to the current checkout; otherwise the tap is refused."""
    data = await state.get_data()
    if data.get(keys.TOKEN) != callback_data.token:
        await query.answer(t(lang, "errors.stale_button"), show_alert=True)
        return None
    if data.get(keys.ORDER_ID):
        await query.answer(t(lang, "checkout.already_placed", order_id=data[keys.ORDER_ID]), show_alert=True)
        return None
    return data


@routes.callback_query(CheckoutCB.filter(F.action == "cancel"))
async def cancel_button(query: CallbackQuery, callback_data: CheckoutCB, lang: str, state: FSMContext) -> None:
    if await _own_button(query, callback_data, state, lang) is None:
        return
    await _reset(state)
    await query.answer()
    await edit_or_answer(query, *views.cancelled(lang))


@routes.callback_query(CheckoutCB.filter(F.action == "dlv"), StateFilter(CheckoutSG.delivery))
async def delivery_chosen(
    query: CallbackQuery, callback_data: CheckoutCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    if await _own_button(query, callback_data, state, lang) is None:
        return
    await state.update_data({keys.DELIVERY: "delivery", keys.POINT: None})
    saved = await checkout.saved_contact(ctx.db, query.from_user.id)
    await query.answer()
    if saved is not None:
        await state.set_state(CheckoutSG.contact_choice)
        text, markup = views.contact_choice(lang, callback_data.token, saved)
        await edit_or_answer(query, text, markup)
        return
    await state.set_state(CheckoutSG.name)
    await edit_or_answer(query, *views.ask_name(lang, callback_data.token))


@routes.callback_query(CheckoutCB.filter(F.action == "pick"), StateFilter(CheckoutSG.delivery))
async def pickup_chosen(
    query: CallbackQuery, callback_data: CheckoutCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    if await _own_button(query, callback_data, state, lang) is None:
        return
    if pickup_point(ctx, callback_data.value) is None:
        await query.answer(t(lang, "errors.bad_button"), show_alert=True)
        return
    await state.update_data({keys.DELIVERY: "pickup", keys.POINT: callback_data.value})
    text, markup = await _summary(ctx, query.from_user.id, lang, state)
    await query.answer()
    await edit_or_answer(query, text, markup)


@routes.callback_query(CheckoutCB.filter(F.action.in_({"saved", "new"})), StateFilter(CheckoutSG.contact_choice))
async def contact_chosen(
    query: CallbackQuery, callback_data: CheckoutCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    if await _own_button(query, callback_data, state, lang) is None:
        return
    saved = await checkout.saved_contact(ctx.db, query.from_user.id) if callback_data.action == "saved" else None
    await query.answer()
    if saved is None:
        await state.set_state(CheckoutSG.name)
        await edit_or_answer(query, *views.ask_name(lang, callback_data.token))
        return
    await state.update_data({keys.NAME: saved.name, keys.PHONE: saved.phone, keys.ADDRESS: saved.address})
    text, markup = await _summary(ctx, query.from_user.id, lang, state)
    await edit_or_answer(query, text, markup)


async def _with_points(ctx: AppContext, user_id: int, lang: str, data: dict[str, Any]) -> checkout.Quote:
    """This summary's quote with "Use my points" on: its points_spent is what the points would take off (none
    when there are no points, the cap lets none in, or nothing is left to pay)."""
    return await checkout.preview(
        ctx.db,
        user_id,
        data.get(keys.DELIVERY) or "delivery",
        policy(ctx),
        coupon_code=data.get(keys.COUPON),
        use_points=True,
        lang=lang,
    )


@routes.callback_query(
    CheckoutCB.filter(F.action.in_({"coupon", "nocoupon", "pts", "back"})),
    StateFilter(CheckoutSG.summary, CheckoutSG.coupon),
)
async def summary_option(
    query: CallbackQuery, callback_data: CheckoutCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    data = await _own_button(query, callback_data, state, lang)
    if data is None:
        return
    points_on = False
    with_points: checkout.Quote | None = None
    # The button shows points in use only when they take something off (views.summary): a tap on it as shown
    # turns them off; on "Use my points" it turns them on, or says why nothing would change.
    if callback_data.action == "pts" and not data.get(keys.POINTS_TAKEN):
        with_points = await _with_points(ctx, query.from_user.id, lang, data)
        points_on = True
        if with_points.points_spent <= 0:
            # Nothing would change on the summary: say why instead of flipping the button.
            await query.answer(await _why_no_points(ctx, query.from_user.id, lang, with_points))
            return
    await query.answer()
    if callback_data.action == "coupon":
        await state.set_state(CheckoutSG.coupon)
        text, coupon_markup = views.ask_coupon(lang, callback_data.token)
        await edit_or_answer(query, text, coupon_markup)
        return
    if callback_data.action == "nocoupon":
        await state.update_data({keys.COUPON: None})
    elif callback_data.action == "pts":
        await state.update_data({keys.POINTS: points_on})
    text, markup = await _summary(ctx, query.from_user.id, lang, state, quote=with_points)
    await edit_or_answer(query, text, markup)


@routes.callback_query(CheckoutCB.filter(F.action == "pay"))
async def pay_chosen(
    query: CallbackQuery,
    callback_data: CheckoutCB,
    ctx: AppContext,
    lang: str,
    state: FSMContext,
    fsm_storage: BaseStorage,
) -> None:
    pickup = callback_data.value == "pickup"
    # What a repeat of this tap is told while its first tap is still placing the order: a pay-on-pickup order has
    # no invoice, it is placed and paid at the counter.
    repeat = t_plain(lang, "taps.pickup_placed" if pickup else "taps.invoice_sent")
    first = await tap_guard.first_tap(ctx, query, fsm_storage)  # a double tap places one order, sends one invoice
    placed_id = _placed_by(await state.get_data(), callback_data.token)
    if not first and placed_id is None:
        await query.answer(repeat)
        return
    if placed_id is not None:
        # The button says which method it offered, not how the order is paid: the order is asked instead.
        await _answer_placed(ctx, query, lang, placed_id)
        return
    data = await _own_button(query, callback_data, state, lang)
    if data is None:
        return
    if await state.get_state() != CheckoutSG.summary.state:
        await query.answer(t(lang, "errors.stale_button"), show_alert=True)
        return
    method = callback_data.value
    stars = method == "stars"
    choice = checkout.CheckoutChoice(
        user_id=query.from_user.id,
        delivery_method=data.get(keys.DELIVERY) or "delivery",
        payment_method=method,
        pickup_point=data.get(keys.POINT),
        contact=_contact(data),
        coupon_code=None if stars else data.get(keys.COUPON),
        use_points=False if stars else bool(data.get(keys.POINTS)),
        lang=lang,
        expected_total=data.get("ck_stars") if stars else data.get(keys.EXPECTED_TOTAL),
        expected_currency="XTR" if stars else data.get(keys.EXPECTED_CURRENCY),
    )
    try:
        placed = await checkout.place_order(ctx.db, choice, policy(ctx))
    except DomainError as exc:
        if exc.code in ("checkout_in_progress", "checkout_cart_empty"):
            # Another summary's Pay (a second device, a stale summary) placed this cart a moment ago: say which
            # order it was, not "your cart is empty" (outside tester).
            just_placed = await _just_placed(ctx, query.from_user.id, state, callback_data.token)
            if just_placed is not None:
                await _answer_placed(ctx, query, lang, just_placed)
                return
            if exc.code == "checkout_in_progress":  # the other tap of a double tap is placing it right now
                await query.answer(repeat)
                return
        if _kind_changed(exc, stars):
            # The cart changed from digital only to mixed (or back) since this summary: it is no longer the right
            # checkout (Stars or money, delivery or none), so it starts again from the cart as it is now.
            text, markup = await _begin(ctx, query.from_user.id, lang, state)
            await query.answer(t_plain(lang, "checkout.cart_changed"), show_alert=True)
            await edit_or_answer(query, text, markup)
            return
        if exc.code != "checkout_price_changed":
            raise
        text, markup = await _summary(ctx, query.from_user.id, lang, state)
        await query.answer(t(lang, "errors.checkout_price_changed"), show_alert=True)
        await edit_or_answer(query, text, markup)
        return
    held = bool(data.get(HELD))
    await _reset(
        state,
        **{
            keys.TOKEN: callback_data.token,
            keys.ORDER_ID: placed.order_id,
            PLACED: _remember_placed(data, callback_data.token, placed.order_id),
        },
    )
    await query.answer()
    chat_id = (
        query.message.chat.id
        if query.message and not isinstance(query.message, InaccessibleMessage)
        else query.from_user.id
    )
    if placed.status == orders.CONFIRMED:
        point = pickup_point(ctx, choice.pickup_point)
        text = views.placed_pickup(lang, placed.order_id, placed.total, placed.currency, point)
        if placed.pickup_code:
            text += "\n" + t(lang, "orders.pickup_code", code=placed.pickup_code)
        markup = views.order_button(lang, placed.order_id)
        markup = await social.after_checkout(ctx, query.from_user.id, lang, placed.order_id, markup)
        await edit_or_answer(query, *_then_digital(lang, held, text, markup))
        return
    if placed.status in orders.PAID_STATUSES:  # nothing left to pay after discounts (digital: delivered too)
        markup = views.order_button(lang, placed.order_id)
        markup = await social.after_checkout(ctx, query.from_user.id, lang, placed.order_id, markup)
        text = t(lang, "checkout.placed_free", order_id=placed.order_id)
        if choice.delivery_method == "pickup":
            # The one confirmation of a free order (no "payment received" follows): where and what to show.
            point = pickup_point(ctx, choice.pickup_point)
            if point is not None:
                text += "\n" + t(lang, "checkout.free_pickup_at", name=point.name.get(lang))
            if placed.pickup_code:
                text += "\n" + t(lang, "orders.pickup_code", code=placed.pickup_code)
        await edit_or_answer(query, *_then_digital(lang, held, text, markup))
        return
    minutes = ctx.settings.orders.reservation_minutes
    text = views.placed_for_payment(lang, placed.order_id, placed.total, placed.currency, minutes)
    await edit_or_answer(query, *_then_digital(lang, held, text, None))
    order = await orders.get_order(ctx.db, placed.order_id, user_id=query.from_user.id)
    await bot_payments.send_order_invoice(ctx, chat_id, order, lang)


async def _just_placed(ctx: AppContext, user_id: int, state: FSMContext, token: str) -> int | None:
    """The order another tap placed from this cart a moment ago: the one saved for this checkout, or the buyer's
    newest order of the last few seconds (its tap may not have saved it yet)."""
    saved = _placed_by(await state.get_data(), token)
    if saved is not None:
        return saved
    newest = await orders.latest_orders(ctx.db, user_id, 1)
    if newest and newest[0].created_at >= utcnow() - timedelta(seconds=JUST_PLACED_SECONDS):
        return newest[0].id
    return None


def _placed_by(data: dict[str, Any], token: str) -> int | None:
    """The order the checkout with this token placed: the current one's, or one of the last few (a summary of
    an earlier checkout may still be in the chat after a new checkout began)."""
    if data.get(keys.TOKEN) == token and data.get(keys.ORDER_ID):
        return int(data[keys.ORDER_ID])
    earlier = (data.get(PLACED) or {}).get(token)
    return int(earlier) if earlier else None


def _remember_placed(data: dict[str, Any], token: str, order_id: int) -> dict[str, int]:
    placed = {k: int(v) for k, v in (data.get(PLACED) or {}).items() if k != token}
    placed[token] = order_id
    return dict(list(placed.items())[-PLACED_KEEP:])


def _placed_state(ctx: AppContext, lang: str, order: orders.OrderDetail) -> str:
    """What a Pay tap on a placed order's summary is told: the order's state and how it is really paid."""
    if order.status in orders.PAID_STATUSES:
        return t_plain(lang, "orders.already_paid_toast", order_id=order.id)
    if order.status not in (orders.PENDING_PAYMENT, orders.CONFIRMED):  # cancelled, expired, refunded
        status = t_plain(lang, f"orders.status.{order.status}")
        return t_plain(lang, "checkout.placed_state.closed", order_id=order.id, status=status)
    if order.payment_method == "pickup":
        point = pickup_point(ctx, order.pickup_point)
        where = point.name.get(lang) if point is not None else ""
        return t_plain(lang, "checkout.placed_state.on_pickup", order_id=order.id, point=where)
    method = t_plain(lang, f"orders.method.{order.payment_method}")
    return t_plain(lang, "checkout.placed_state.awaiting", order_id=order.id, method=method)


async def _answer_placed(ctx: AppContext, query: CallbackQuery, lang: str, order_id: int) -> None:
    """A Pay button of a checkout that placed its order already: nothing is placed, paid or invoiced again; the
    toast says how the order stands. A summary that still shows this Pay loses its keyboard (nothing on it is
    left to do); a message redrawn since (the placed order, with its own buttons) keeps its own."""
    order = await orders.get_order(ctx.db, order_id, user_id=query.from_user.id)
    await query.answer(_placed_state(ctx, lang, order))
    message = query.message
    if message is None or isinstance(message, InaccessibleMessage) or message.reply_markup is None:
        return
    shown = {button.callback_data for row in message.reply_markup.inline_keyboard for button in row}
    if query.data in shown:
        with contextlib.suppress(TelegramAPIError):  # already gone (another device): the answer above stands
            await message.edit_reply_markup(reply_markup=None)


def _kind_changed(exc: DomainError, stars: bool) -> bool:
    """A Pay refused because the cart is no longer the kind its summary was made for: a Stars summary whose cart
    now holds physical products, or a money summary whose cart now holds digital products only."""
    if stars:
        return exc.code == "checkout_payment_unavailable"
    return exc.code == "checkout_digital_stars_only"


def _then_digital(
    lang: str, held: bool, text: str, markup: InlineKeyboardMarkup | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """After the physical order of a mixed cart: say the digital items wait in the cart, with a Stars checkout."""
    if not held:
        return text, markup
    return text + "\n\n" + t(lang, "checkout.digital_remain"), views.next_checkout(lang, markup)


@routes.callback_query(CheckoutCB.filter())
async def stale_checkout_button(query: CallbackQuery, callback_data: CheckoutCB, lang: str, state: FSMContext) -> None:
    """A checkout button from a step that is over (or another checkout)."""
    if await _own_button(query, callback_data, state, lang) is None:
        return
    await query.answer(t(lang, "errors.stale_button"), show_alert=True)


# ---------------------------------------------------------------- typed answers


@routes.message(Command("cancel"), StateFilter(CheckoutSG))
@routes.message(
    StateFilter(CheckoutSG.name, CheckoutSG.phone, CheckoutSG.address, CheckoutSG.coupon, CheckoutSG.summary),
    F.text.in_({t(language, "checkout.cancel_text") for language in LANGUAGES}),
)
async def cancel_typed(message: Message, lang: str, state: FSMContext) -> None:
    at_phone = await state.get_state() == CheckoutSG.phone.state
    await _reset(state)
    text, markup = views.cancelled(lang)
    if at_phone and (message.text or "").startswith("/"):
        # /cancel typed at the phone step: its keyboard is still up and has to go, and a message has one markup.
        # (Its own Cancel button hides that one-time keyboard.) A message that only takes the keyboard away is
        # deleted at once (the keyboard stays gone), so the one answer left is the one with Cart and Menu.
        remover = await message.answer(text, reply_markup=ReplyKeyboardRemove())
        with contextlib.suppress(TelegramAPIError):  # not deleted: two answers, still correct
            await remover.delete()
    await message.answer(text, reply_markup=markup)


async def _answered_question(message: Message, ctx: AppContext, lang: str, state: FSMContext, step: str) -> bool:
    """A question typed where an answer was expected (it ends with ? or ？, or reads as an FAQ with high
    confidence) gets its answer and a reminder of the step, which stays. Text taken as a question only by the
    classifier is accepted when sent again right away, so a name like "Anna Points" cannot be refused forever."""
    text = " ".join((message.text or "").split())
    asked = text.endswith(("?", "？"))
    if not asked and not has_enough_signal(text):
        return False
    answer = await _faq_answer(ctx, text, lang)
    if not asked and (answer is None or (await state.get_data()).get(keys.ASKED) == text):
        return False
    await state.update_data({keys.ASKED: text})
    what = t(lang, f"checkout.step.{step}")
    lines = [answer or t(lang, "checkout.question_later"), "", t(lang, "checkout.expect_text", step=what)]
    if not asked:
        shown = text if len(text) <= ECHO_MAX else text[: ECHO_MAX - 1] + "…"  # the reply stays within limits
        lines.append(t(lang, "checkout.send_again", text=html.escape(shown), step=what))
    await message.answer("\n".join(lines))
    return True


async def _faq_answer(ctx: AppContext, text: str, lang: str) -> str | None:
    """The FAQ's answer (HTML) when the classifier reads `text` with high confidence as a question it has an
    answer for; None otherwise."""
    try:
        result = await nlu_service.understand(ctx, text, lang)
    except Exception:  # the classifier's trouble must not block a checkout: the text is taken as typed
        log.exception("classifying a typed checkout answer failed")
        result = IntentResult(FALLBACK_INTENT, 0.0, "none")
    faq = (
        nlu_service.confident(ctx, result)
        and result.confidence >= QUESTION_CONFIDENCE
        and result.intent not in NOT_QUESTIONS
        and nlu_service.has_response(result.intent)
    )
    return html.escape(nlu_service.faq_answer(ctx.settings, result.intent, lang)) if faq else None


@routes.message(StateFilter(CheckoutSG.summary), F.chat.type == "private", ~F.text.startswith("/"))
async def summary_typed(message: Message, ctx: AppContext, lang: str) -> None:
    """Anything typed (or sent) at the summary, whose answer is a button: a question is answered as at the typed
    steps, then the shopper is reminded to choose how to pay with the buttons (or /cancel). Nothing goes
    unanswered, and the summary stays."""
    text = " ".join((message.text or "").split())
    asked = text.endswith(("?", "？"))
    answer = await _faq_answer(ctx, text, lang) if asked or has_enough_signal(text) else None
    lines = [answer or t(lang, "checkout.question_later"), ""] if asked or answer else []
    lines.append(t(lang, "checkout.choose_with_buttons"))
    await message.answer("\n".join(lines))


@routes.message(StateFilter(CheckoutSG.name), ANSWER)
async def name_typed(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    if await _answered_question(message, ctx, lang, state, "name"):
        return
    name = checkout.clean_name(message.text or "")
    await state.update_data({keys.NAME: name})
    await state.set_state(CheckoutSG.phone)
    text, markup = views.ask_phone(lang)
    await message.answer(text, reply_markup=markup)


@routes.message(StateFilter(CheckoutSG.phone), F.contact)
@routes.message(StateFilter(CheckoutSG.phone), ANSWER)
async def phone_given(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    if message.contact is None and await _answered_question(message, ctx, lang, state, "phone"):
        return
    region = ctx.settings.shop.phone_region
    if message.contact is not None:
        phone = phones.shared_phone(message.contact.phone_number, region)
    else:
        # A number that is not valid for its country is refused with an example; the step stays for a retry.
        phone = checkout.clean_phone(message.text or "", region)
    await state.update_data({keys.PHONE: phone})
    await state.set_state(CheckoutSG.address)
    text, markup = views.ask_address(lang)
    await message.answer(text, reply_markup=markup)


@routes.message(StateFilter(CheckoutSG.address), ANSWER)
async def address_typed(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    if message.from_user is None or await _answered_question(message, ctx, lang, state, "address"):
        return
    address = checkout.clean_address(message.text or "")
    await state.update_data({keys.ADDRESS: address})
    text, markup = await _summary(ctx, message.from_user.id, lang, state)
    await message.answer(text, reply_markup=markup)


@routes.message(StateFilter(CheckoutSG.coupon), ANSWER)
async def coupon_typed(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    if message.from_user is None:
        return
    # The text is tried as a code first (any case; a code that exists but does not apply says why); only text that
    # is no coupon's code may be a question.
    data = await state.get_data()
    try:
        code = checkout.clean_coupon(message.text or "")
        quote = await checkout.preview(
            ctx.db,
            message.from_user.id,
            data.get(keys.DELIVERY) or "delivery",
            policy(ctx),
            coupon_code=code,
            use_points=bool(data.get(keys.POINTS)),
            lang=lang,
        )
        if quote.coupon_code is None:
            raise DomainError("checkout_coupon_not_applicable", code=code)
    except DomainError as exc:
        if not _about_the_coupon(exc):
            raise
        if exc.code in _NOT_A_CODE and await _answered_question(message, ctx, lang, state, "coupon"):
            return
        # Still at the coupon step: say why, and keep both ways on (another code, or back without one).
        text, markup = views.ask_coupon(lang, data[keys.TOKEN], refused=error_text(lang, exc))
        await message.answer(text, reply_markup=markup)
        return
    await state.update_data({keys.COUPON: code})
    text, markup = await _summary(ctx, message.from_user.id, lang, state)
    await message.answer(text, reply_markup=markup)


# What the store says of text that is no coupon's code (not shaped like one, or no such coupon).
_NOT_A_CODE = frozenset({"checkout_bad_coupon", "coupon_unknown"})


def _about_the_coupon(exc: DomainError) -> bool:
    return exc.code.startswith("coupon_") or exc.code in {"checkout_bad_coupon", "checkout_coupon_not_applicable"}


@routes.message(
    StateFilter(CheckoutSG.name, CheckoutSG.phone, CheckoutSG.address, CheckoutSG.coupon), ~F.text.startswith("/")
)
async def not_text(message: Message, state: FSMContext, _: Translator) -> None:
    """A sticker, photo or voice where an answer was expected: say what is needed, keep the step."""
    current = await state.get_state()
    step = (current or "").rsplit(":", 1)[-1]
    await message.answer(_("checkout.expect_text", step=_(f"checkout.step.{step}")))


# ---------------------------------------------------------------- summary


async def _why_no_points(ctx: AppContext, user_id: int, lang: str, with_points: checkout.Quote) -> str:
    """Why points take nothing off: nothing left to pay, no points, or an order too small for the share of an
    order points may pay (outside tester: a shopper with points was told "You have no points")."""
    if with_points.total == 0:
        return t(lang, "checkout.points_not_needed")
    if await points.balance(ctx.db, user_id) > 0:
        return t(lang, "checkout.points_order_too_small", percent=f"{ctx.settings.loyalty.max_points_share_percent:g}")
    return t(lang, "checkout.no_points")


async def _summary(
    ctx: AppContext, user_id: int, lang: str, state: FSMContext, *, quote: checkout.Quote | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """The summary of the checkout in `state`; `quote`: its preview when the caller has just made it (same
    options), so it is not computed twice."""
    data = await state.get_data()
    if quote is None:
        quote = await checkout.preview(
            ctx.db,
            user_id,
            data.get(keys.DELIVERY) or "delivery",
            policy(ctx),
            coupon_code=data.get(keys.COUPON),
            use_points=bool(data.get(keys.POINTS)),
            lang=lang,
        )
    await state.update_data(
        {
            keys.POINTS_TAKEN: bool(data.get(keys.POINTS)) and quote.points_spent > 0,
            keys.EXPECTED_TOTAL: quote.total,
            keys.EXPECTED_CURRENCY: quote.currency,
            "ck_stars": quote.stars_total,
            HELD: bool(quote.held_back),
        }
    )
    await state.set_state(CheckoutSG.summary)
    payments = ctx.settings.payments
    return views.summary(
        lang,
        data[keys.TOKEN],
        quote,
        point=pickup_point(ctx, data.get(keys.POINT)),
        contact=_contact(data) if quote.delivery_method == "delivery" else None,
        coupon=data.get(keys.COUPON),
        use_points=bool(data.get(keys.POINTS)),
        free_delivery_over=ctx.settings.shop.free_delivery_over,
        card=bot_payments.card_payments_available(ctx),
        stars=payments.stars_enabled,
        pay_on_pickup=payments.pickup_payment_enabled and quote.delivery_method == "pickup",
        timezone=ctx.settings.shop.timezone,
    )


def setup() -> Router:
    return routes.build()
