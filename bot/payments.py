"""Telegram Payments for every feature: sending an order's invoice and refunding Star payments.

Cart checkout, group buys and flash sales all create orders through store.orders and send the invoice with
`send_order_invoice`; handlers/payments.py answers the pre-checkout query and records the payment.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import LabeledPrice, Message

from bot.context import AppContext
from bot.i18n import t, t_plain
from store import invoices, payments
from store.money import STARS, Money
from store.orders import OrderDetail

log = logging.getLogger(__name__)

TITLE_MAX, DESCRIPTION_MAX, LABEL_MAX = 32, 255, 64


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def invoice_prices(order: OrderDetail, lang: str) -> list[LabeledPrice]:
    """Minor units. Itemised when there is no discount (Telegram sums the parts); else one total line."""
    if order.currency == STARS:
        return [LabeledPrice(label=t(lang, "payments.stars_label", order_id=order.id), amount=order.total)]
    if order.discount or order.points_discount:
        return [LabeledPrice(label=t(lang, "payments.total_label", order_id=order.id), amount=order.total)]
    prices = [
        LabeledPrice(
            label=_clip(f"{item.title(lang)} × {item.quantity}", LABEL_MAX), amount=item.unit_price * item.quantity
        )
        for item in order.items
    ]
    if order.delivery_fee:
        prices.append(LabeledPrice(label=t(lang, "payments.delivery_label"), amount=order.delivery_fee))
    return prices


def invoice_description(order: OrderDetail, lang: str) -> str:
    items = ", ".join(f"{item.title(lang)} × {item.quantity}" for item in order.items)
    text = t_plain(lang, "payments.description", items=items, amount=Money(order.total, order.currency).format())
    return _clip(text, DESCRIPTION_MAX)


async def send_order_invoice(ctx: AppContext, chat_id: int, order: OrderDetail, lang: str) -> Message:
    """Send the invoice for an unpaid order (payload `order:<id>:<nonce>`; Stars use XTR and no provider)."""
    stars = order.currency == STARS
    provider_token = "" if stars else (ctx.settings.secrets.payment_provider_token or "")
    # Group-buy and flash-sale orders can be created before the buyer gave an address: let Telegram's payment
    # form collect it (Stars are digital goods and never ship).
    collect = not stars and order.delivery_method == "delivery" and not order.address
    sent = await ctx.bot.send_invoice(
        chat_id=chat_id,
        title=_clip(t_plain(lang, "payments.title", order_id=order.id), TITLE_MAX),
        description=invoice_description(order, lang),
        payload=payments.invoice_payload(order.id),
        provider_token=provider_token,
        currency=order.currency,
        prices=invoice_prices(order, lang),
        need_name=collect or None,
        need_phone_number=collect or None,
        need_shipping_address=collect or None,
    )
    await withdraw_older_invoices(ctx, order.id, await invoices.record(ctx.db, order.id, chat_id, sent.message_id))
    return sent


async def withdraw_older_invoices(ctx: AppContext, order_id: int, newest_id: int | None = None) -> None:
    """Delete the order's earlier invoice messages: one order shows one live Pay button (a double-click or a
    second "Pay" must not leave several invoices for one order in the chat)."""
    for old in await invoices.take_superseded(ctx.db, order_id, newest_id):
        try:
            await ctx.bot.delete_message(old.chat_id, old.message_id)
        except TelegramAPIError as exc:  # already gone, or older than Telegram lets a bot delete
            log.info("old invoice %s/%s of order %s not withdrawn: %s", old.chat_id, old.message_id, order_id, exc)


def card_payments_available(ctx: AppContext) -> bool:
    return ctx.settings.payments.card_enabled and bool(ctx.settings.secrets.payment_provider_token)


async def refund_stars(
    ctx: AppContext, user_id: int, payment_id: int | None, charge_id: str, *, bot: Bot | None = None
) -> bool:
    """Give Stars back through Telegram, then mark the payment refunded; False leaves it for an admin."""
    try:
        await (bot or ctx.bot).refund_star_payment(user_id=user_id, telegram_payment_charge_id=charge_id)
    except TelegramAPIError as exc:
        log.error("refundStarPayment for %s failed: %s", charge_id, exc)
        return False
    if payment_id is not None:
        await payments.mark_refunded(ctx.db, payment_id, details="refundStarPayment")
    return True
