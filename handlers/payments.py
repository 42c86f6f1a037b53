"""Telegram Payments: the pre-checkout re-check and the successful payment (for every feature's orders)."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.types import Message, OrderInfo, PreCheckoutQuery

from bot import payments as bot_payments
from bot.context import AppContext
from bot.i18n import Translator
from handlers.errors import error_text
from store import payments
from store.errors import DomainError
from store.orders import Contact

log = logging.getLogger(__name__)
router = Router(name="payments")


@router.pre_checkout_query()
async def pre_checkout(query: PreCheckoutQuery, ctx: AppContext, lang: str) -> None:
    """Answered within Telegram's 10 s: one short transaction re-checks owner, status, expiry and amount."""
    try:
        await payments.check_pre_checkout(
            ctx.db, query.from_user.id, query.invoice_payload, query.currency, query.total_amount
        )
    except DomainError as exc:
        await query.answer(ok=False, error_message=error_text(lang, exc)[:255])
        return
    await query.answer(ok=True)


def contact_from(info: OrderInfo | None) -> Contact | None:
    """Delivery details collected by Telegram's payment form (invoices for orders that had no address)."""
    if info is None or info.shipping_address is None:
        return None
    a = info.shipping_address
    parts = [a.street_line1, a.street_line2, a.city, a.state, a.post_code, a.country_code]
    return Contact(info.name, info.phone_number, ", ".join(p for p in parts if p)[:512])


@router.message(F.successful_payment)
async def successful_payment(message: Message, ctx: AppContext, _: Translator) -> None:
    """Recorded exactly once per charge id; the buyer hears about it once, through the outbox."""
    paid = message.successful_payment
    if paid is None or message.from_user is None:
        return
    outcome = await payments.record_payment(
        ctx.db,
        payments.IncomingPayment(
            payer_id=message.from_user.id,
            payload=paid.invoice_payload,
            currency=paid.currency,
            total_amount=paid.total_amount,
            telegram_charge_id=paid.telegram_payment_charge_id,
            provider_charge_id=paid.provider_payment_charge_id or None,
            contact=contact_from(paid.order_info),
        ),
    )
    if outcome.kind == "duplicate":
        log.info("payment %s delivered again: ignored", outcome.charge_id)
        return
    if outcome.needs_star_refund:
        await bot_payments.refund_stars(
            ctx, message.from_user.id, outcome.payment_id, outcome.charge_id, bot=message.bot
        )
    if outcome.kind == "orphan":
        # No order to attach it to (should not happen: the payload is ours); the user must not be left wondering.
        await message.answer(_("payments.orphan"))
