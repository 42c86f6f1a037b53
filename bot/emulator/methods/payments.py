"""Invoices, pre-checkout answers and Telegram Stars refunds."""

from __future__ import annotations

import secrets
from typing import Any

from bot.emulator.engine import Emulator
from bot.emulator.errors import QUERY_TOO_OLD, bad_request
from bot.emulator.methods.common import deliver, reply_markup, target_chat
from bot.emulator.methods.registry import method
from bot.emulator.params import Params
from bot.emulator.state import JSON, InvoiceInfo

STARS = "XTR"


def _prices(p: Params) -> list[JSON]:
    raw: Any = p.json("prices", "prices")
    if raw is None:
        raise bad_request('parameter "prices" is required')
    if not isinstance(raw, list):
        raise bad_request("can't parse prices JSON object")
    if not raw:
        raise bad_request("prices must be non-empty")
    prices: list[JSON] = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("can't parse labeled price: expected an Object")
        label, amount = item.get("label"), item.get("amount")
        if not isinstance(label, str) or not label:
            raise bad_request("can't parse labeled price: LabeledPrice label must be non-empty")
        if isinstance(amount, str) and amount.lstrip("-").isdigit():
            amount = int(amount)
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise bad_request('can\'t parse labeled price: field "amount" must be an Integer')
        prices.append({"label": label, "amount": amount})
    return prices


def parse_invoice(p: Params) -> InvoiceInfo:
    """Telegram's invoice rules: lengths, integer minor-unit prices, and the Stars/provider-token split."""
    title = p.required_str("title")
    description = p.required_str("description")
    payload = p.required_str("payload")
    currency = p.required_str("currency")
    if len(title) > 32:
        raise bad_request("INVOICE_TITLE_INVALID")
    if len(description) > 255:
        raise bad_request("INVOICE_DESCRIPTION_INVALID")
    if len(payload.encode("utf-8")) > 128:
        raise bad_request("INVOICE_PAYLOAD_INVALID")
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise bad_request("CURRENCY_INVALID")
    prices = _prices(p)
    provider_token = p.str("provider_token", "") or ""
    if currency == STARS:
        if len(prices) != 1 or provider_token:
            raise bad_request("STARS_INVOICE_INVALID")
    elif not provider_token:
        raise bad_request("PAYMENT_PROVIDER_INVALID")
    invoice = InvoiceInfo(
        title=title,
        description=description,
        payload=payload,
        currency=currency,
        prices=prices,
        provider_token=provider_token,
        start_parameter=p.str("start_parameter", "") or "",
        need_name=p.bool("need_name"),
        need_phone_number=p.bool("need_phone_number"),
        need_email=p.bool("need_email"),
        need_shipping_address=p.bool("need_shipping_address"),
    )
    if invoice.total_amount <= 0:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    return invoice


@method("sendInvoice")
async def send_invoice(emu: Emulator, p: Params) -> JSON:
    invoice = parse_invoice(p)
    chat = target_chat(emu, p)
    markup = reply_markup(p)
    if markup is not None:
        rows = markup.get("inline_keyboard") or [[]]
        if not rows or not rows[0] or not rows[0][0].get("pay"):
            raise bad_request("REPLY_MARKUP_BUY_EMPTY")
    content = {
        "invoice": {
            "title": invoice.title,
            "description": invoice.description,
            "start_parameter": invoice.start_parameter,
            "currency": invoice.currency,
            "total_amount": invoice.total_amount,
        }
    }
    return await deliver(emu, chat, p, content, markup=markup, invoice=invoice)


@method("createInvoiceLink")
async def create_invoice_link(emu: Emulator, p: Params) -> str:
    invoice = parse_invoice(p)
    link = f"https://t.me/${secrets.token_urlsafe(16)}"
    emu.invoice_links[link] = invoice
    return link


@method("answerPreCheckoutQuery")
async def answer_pre_checkout_query(emu: Emulator, p: Params) -> bool:
    record = emu.pre_checkouts.get(p.str("pre_checkout_query_id") or "")
    if record is None or record.expired or record.answer.done():
        raise bad_request(QUERY_TOO_OLD)
    ok = p.bool("ok")
    error = p.str("error_message", "") or ""
    if not ok and not error:
        raise bad_request("error_message must be non-empty")
    record.answer.set_result({"ok": ok, "error_message": error or None})
    return True


@method("answerShippingQuery")
async def answer_shipping_query(emu: Emulator, p: Params) -> bool:
    raise bad_request(QUERY_TOO_OLD)


@method("refundStarPayment")
async def refund_star_payment(emu: Emulator, p: Params) -> bool:
    user_id = p.required_int("user_id", "invalid user_id specified")
    charge = emu.charges.get(p.required_str("telegram_payment_charge_id"))
    if charge is None or charge.user_id != user_id or charge.currency != STARS:
        raise bad_request("CHARGE_NOT_FOUND")
    if charge.refunded:
        raise bad_request("CHARGE_ALREADY_REFUNDED")
    charge.refunded = True
    user = emu.users[user_id]
    refund = {
        "currency": charge.currency,
        "total_amount": charge.total_amount,
        "invoice_payload": charge.payload,
        "telegram_payment_charge_id": charge.telegram_payment_charge_id,
    }
    await emu.post(emu.private_chat(user), user, {"refunded_payment": refund})
    await emu.emit("payment", user_id=user_id, status="refunded", **refund)
    return True


@method("getStarTransactions")
async def get_star_transactions(emu: Emulator, p: Params) -> JSON:
    return {"transactions": []}
