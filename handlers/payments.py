"""Telegram Payments: the pre-checkout re-check, and applying a successful (or refunded) payment for every
feature's orders (called by the payment inbox, bot/payment_inbox.py)."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.types import Message, OrderInfo, PreCheckoutQuery

from bot import payments as bot_payments
from bot import social
from bot.context import AppContext
from bot.i18n import language_from_telegram, t
from bot.routes import Routes
from bot.views.errors import error_text
from store import payments, phones
from store.errors import DomainError
from store.money import STARS
from store.orders import Contact

log = logging.getLogger(__name__)
routes = Routes("payments")


@routes.pre_checkout_query()
async def pre_checkout(query: PreCheckoutQuery, ctx: AppContext, lang: str) -> None:
    """Answered within Telegram's 10 s: one short transaction re-checks owner, status, expiry and amount."""
    try:
        await payments.check_pre_checkout(
            ctx.db, query.from_user.id, query.invoice_payload, query.currency, query.total_amount, query_id=query.id
        )
    except DomainError as exc:
        await query.answer(ok=False, error_message=error_text(lang, exc)[:255])
        if exc.code == "payment_order_already_paid":
            # The stale invoice's Pay button goes: the order's invoices have nothing left to pay.
            await bot_payments.withdraw_older_invoices(ctx, int(exc.params["order_id"]))
        return
    await query.answer(ok=True)


def contact_from(info: OrderInfo | None, phone_region: str) -> Contact | None:
    """Delivery details collected by Telegram's payment form (invoices for orders that had no address); the
    phone is stored in E.164 like a typed one when it reads as valid."""
    if info is None or info.shipping_address is None:
        return None
    a = info.shipping_address
    parts = [a.street_line1, a.street_line2, a.city, a.state, a.post_code, a.country_code]
    phone = phones.collected_phone(info.phone_number, phone_region)
    return Contact(info.name, phone, ", ".join(p for p in parts if p)[:512])


# No router handler for `successful_payment` / `refunded_payment`: those updates never reach the routers.
# bot/payment_inbox.py spools them first (ahead of conversation state, middlewares and the error handler) and
# calls the two functions below until they succeed; an exception here means "retry later", never an apology.


async def apply_successful_payment(ctx: AppContext, bot: Bot, message: Message, retried: bool) -> None:
    """Recorded exactly once per charge id; the buyer hears about it once, through the outbox."""
    paid = message.successful_payment
    if paid is None or message.from_user is None:
        return
    # "You may also like" rides on the paid notice; drawn first, since that notice is written with the payment.
    notice = await social.payment_notice(ctx, message.from_user.id, payments.parse_payload(paid.invoice_payload))
    outcome = await payments.record_payment(
        ctx.db,
        payments.IncomingPayment(
            payer_id=message.from_user.id,
            payload=paid.invoice_payload,
            currency=paid.currency,
            total_amount=paid.total_amount,
            telegram_charge_id=paid.telegram_payment_charge_id,
            provider_charge_id=paid.provider_payment_charge_id or None,
            contact=contact_from(paid.order_info, ctx.settings.shop.phone_region),
        ),
        admin_ids=ctx.settings.admins,
        notice=notice,
    )
    if outcome.kind == "duplicate":
        log.info("payment %s delivered again: ignored", outcome.charge_id)
        if retried and outcome.status == payments.REFUND_PENDING and outcome.currency == STARS:
            # An earlier attempt recorded the late payment but stopped before giving the Stars back.
            await _refund_stars(ctx, bot, message.from_user.id, outcome)
        return
    if outcome.needs_star_refund:
        await _refund_stars(ctx, bot, message.from_user.id, outcome)
    if outcome.kind == "orphan":
        # No order to attach it to (should not happen: the payload is ours); the user must not be left wondering.
        lang = language_from_telegram(message.from_user.language_code)
        await bot.send_message(message.chat.id, t(lang, "payments.orphan"))


async def _refund_stars(ctx: AppContext, bot: Bot, user_id: int, outcome: payments.PaymentOutcome) -> None:
    done = await bot_payments.refund_stars(ctx, user_id, outcome.payment_id, outcome.charge_id, bot=bot)
    if not done and outcome.payment_id is not None:
        await payments.refund_failed(ctx.db, outcome.payment_id, ctx.settings.admins)


async def apply_refunded_payment(ctx: AppContext, bot: Bot, message: Message, retried: bool) -> None:
    """Telegram reports a refund: the payment (and a still paid order) becomes refunded, once."""
    refund = message.refunded_payment
    if refund is None:
        return
    outcome = await payments.record_refund(ctx.db, refund.telegram_payment_charge_id)
    log.info("refund of %s reported by Telegram: %s", refund.telegram_payment_charge_id, outcome.kind)


def setup() -> Router:
    return routes.build()
