"""Invoices, the pre-checkout round trip, successful_payment, and Stars refunds."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.emulator.conftest import Harness

STARS = {"title": "Green tea", "description": "50 g tin", "payload": "order:1", "currency": "XTR",
         "prices": [{"label": "Tea", "amount": 50}]}


async def test_invoice_validation(h: Harness) -> None:
    alice = await h.user()
    h.emu.limiter.enabled = False
    cases: list[tuple[dict[str, Any], str]] = [
        ({"title": "t" * 33}, "Bad Request: INVOICE_TITLE_INVALID"),
        ({"description": "d" * 256}, "Bad Request: INVOICE_DESCRIPTION_INVALID"),
        ({"payload": "p" * 129}, "Bad Request: INVOICE_PAYLOAD_INVALID"),
        ({"title": ""}, 'Bad Request: parameter "title" is required'),
        ({"prices": [{"label": "a", "amount": 1}, {"label": "b", "amount": 2}]}, "Bad Request: STARS_INVOICE_INVALID"),
        ({"provider_token": "TEST:sandbox-provider"}, "Bad Request: STARS_INVOICE_INVALID"),
        ({"currency": "USD"}, "Bad Request: PAYMENT_PROVIDER_INVALID"),
        ({"prices": [{"label": "Tea", "amount": 1.5}]}, 'Bad Request: can\'t parse labeled price: field "amount" '
                                                        "must be an Integer"),
        ({"prices": [{"label": "Tea", "amount": 0}]}, "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID"),
    ]
    for override, description in cases:
        body = await h.error("sendInvoice", chat_id=alice["id"], **{**STARS, **override})
        assert body["description"] == description, override
    ok = await h.ok("sendInvoice", chat_id=alice["id"], **{**STARS, "title": "t" * 32, "payload": "p" * 128})
    assert ok["invoice"]["total_amount"] == 50
    usd = await h.ok("sendInvoice", chat_id=alice["id"], **{**STARS, "currency": "USD",
                                                            "provider_token": "TEST:sandbox-provider",
                                                            "prices": [{"label": "Tea", "amount": 1250},
                                                                       {"label": "Ship", "amount": 300}]})
    assert usd["invoice"] == {"title": "Green tea", "description": "50 g tin", "start_parameter": "",
                              "currency": "USD", "total_amount": 1550}


async def _pay(h: Harness, user_id: int, **extra: Any) -> asyncio.Task[Any]:
    return asyncio.create_task(h.control("pay", {"user_id": user_id, **extra}))


async def _next_query(h: Harness) -> dict[str, Any]:
    """Long-poll for the pre-checkout query (the pay task runs concurrently) and confirm it."""
    update = (await h.updates(timeout=2))[0]
    await h.updates(offset=update["update_id"] + 1)
    query: dict[str, Any] = update["pre_checkout_query"]
    return query


async def test_pay_ok_then_refund_once(h: Harness) -> None:
    alice = await h.user()
    await h.ok("sendInvoice", chat_id=alice["id"], **STARS)
    paying = await _pay(h, alice["id"])
    update = (await h.updates(timeout=2))[0]
    query = update["pre_checkout_query"]
    assert query["from"]["id"] == alice["id"]
    assert (query["currency"], query["total_amount"], query["invoice_payload"]) == ("XTR", 50, "order:1")
    await h.updates(offset=update["update_id"] + 1)
    assert await h.ok("answerPreCheckoutQuery", pre_checkout_query_id=query["id"], ok=True) is True
    result = await paying
    assert result["status"] == "paid"
    message = (await h.drain())[0]["message"]
    payment = message["successful_payment"]
    assert message["from"]["id"] == alice["id"] and message["chat"]["id"] == alice["id"]
    assert payment["telegram_payment_charge_id"] == result["telegram_payment_charge_id"]
    assert payment["provider_payment_charge_id"] == ""
    assert (payment["currency"], payment["total_amount"], payment["invoice_payload"]) == ("XTR", 50, "order:1")
    charge = payment["telegram_payment_charge_id"]
    assert await h.ok("refundStarPayment", user_id=alice["id"], telegram_payment_charge_id=charge) is True
    refunded = (await h.drain())[0]["message"]["refunded_payment"]
    assert refunded["telegram_payment_charge_id"] == charge
    body = await h.error("refundStarPayment", user_id=alice["id"], telegram_payment_charge_id=charge)
    assert body["description"] == "Bad Request: CHARGE_ALREADY_REFUNDED"
    body = await h.error("refundStarPayment", user_id=alice["id"], telegram_payment_charge_id="unknown")
    assert body["description"] == "Bad Request: CHARGE_NOT_FOUND"


async def test_pre_checkout_timeout_and_late_answer(h: Harness) -> None:
    alice = await h.user()
    await h.ok("sendInvoice", chat_id=alice["id"], **STARS)
    paying = await _pay(h, alice["id"])
    query = (await h.updates(timeout=2))[0]["pre_checkout_query"]
    result = await paying  # 10 s scaled by 0.02 = 0.2 s
    assert result["status"] == "timeout"
    body = await h.error("answerPreCheckoutQuery", pre_checkout_query_id=query["id"], ok=True)
    assert body["description"] == ("Bad Request: query is too old and response timeout expired or query ID is "
                                   "invalid")
    assert not any("successful_payment" in u.get("message", {}) for u in await h.drain())


async def test_rejected_declined_and_duplicate(h: Harness) -> None:
    alice = await h.user()
    await h.ok("sendInvoice", chat_id=alice["id"], **{**STARS, "currency": "EUR",
                                                     "provider_token": "TEST:sandbox-provider"})
    await h.drain()
    for answer, card, status in ((False, "ok", "rejected"), (True, "declined", "declined")):
        paying = await _pay(h, alice["id"], card=card)
        query = await _next_query(h)
        params: dict[str, Any] = {"pre_checkout_query_id": query["id"], "ok": answer}
        if not answer:
            params["error_message"] = "Sold out"
        await h.ok("answerPreCheckoutQuery", **params)
        result = await paying
        assert result["status"] == status
        if status == "rejected":
            assert result["error"] == "Sold out"
        assert await h.drain() == []
    paying = await _pay(h, alice["id"], duplicate=True)
    query = await _next_query(h)
    await h.ok("answerPreCheckoutQuery", pre_checkout_query_id=query["id"], ok=True)
    result = await paying
    twice = [u["message"] for u in await h.drain()]
    assert len(twice) == 2
    assert twice[0]["successful_payment"] == twice[1]["successful_payment"]
    assert twice[0]["successful_payment"]["provider_payment_charge_id"]
    assert result["telegram_payment_charge_id"] == twice[0]["successful_payment"]["telegram_payment_charge_id"]
    body = await h.error("refundStarPayment", user_id=alice["id"],
                         telegram_payment_charge_id=result["telegram_payment_charge_id"])
    assert body["description"] == "Bad Request: CHARGE_NOT_FOUND"  # only Stars payments can be refunded


async def test_invoice_link(h: Harness) -> None:
    alice = await h.user()
    link = await h.ok("createInvoiceLink", **STARS)
    assert link.startswith("https://t.me/$")
    paying = await _pay(h, alice["id"], link=link)
    query = await _next_query(h)
    await h.ok("answerPreCheckoutQuery", pre_checkout_query_id=query["id"], ok=True)
    assert (await paying)["status"] == "paid"
    assert "successful_payment" in (await h.drain())[0]["message"]


async def test_the_control_api_takes_the_test_card_numbers_the_readme_names(h: Harness) -> None:
    """Outside tester: the README's test card was refused by POST /control/pay ("card must be ok or declined")
    though the web chat's payment sheet takes it."""
    alice = await h.user()
    await h.ok("sendInvoice", chat_id=alice["id"], **{**STARS, "currency": "EUR",
                                                     "provider_token": "TEST:sandbox-provider"})
    await h.drain()
    for card, status in (("4242 4242 4242 4242", "paid"), ("4000000000000002", "declined")):
        paying = await _pay(h, alice["id"], card=card)
        query = await _next_query(h)
        await h.ok("answerPreCheckoutQuery", pre_checkout_query_id=query["id"], ok=True)
        assert (await paying)["status"] == status, card
        await h.drain()
    refused = await h.control("pay", {"user_id": alice["id"], "card": "1234"}, expect=400)
    assert "4242 4242 4242 4242" in str(refused)
