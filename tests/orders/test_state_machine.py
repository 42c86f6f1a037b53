"""The order state machine as a pure rule, and the input rules of checkout."""

from __future__ import annotations

import pytest

from store import checkout, orders, payments
from store.delivery_fee import DeliveryRule
from store.errors import DomainError


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        ("pending_payment", "paid"),
        ("pending_payment", "cancelled"),
        ("pending_payment", "expired"),
        ("paid", "shipped"),
        ("shipped", "delivered"),
        ("paid", "refunded"),
        ("shipped", "refunded"),
        ("delivered", "refunded"),
        ("confirmed", "delivered"),
        ("confirmed", "cancelled"),
        ("confirmed", "expired"),
    ],
)
def test_legal_moves(src: str, dst: str) -> None:
    assert orders.can_transition(src, dst)


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        ("paid", "pending_payment"),
        ("paid", "cancelled"),
        ("paid", "expired"),
        ("expired", "paid"),
        ("cancelled", "paid"),
        ("refunded", "paid"),
        ("delivered", "shipped"),
        ("pending_payment", "shipped"),
        ("pending_payment", "delivered"),
        ("confirmed", "paid"),
        ("shipped", "cancelled"),
        ("paid", "bogus"),
    ],
)
def test_illegal_moves(src: str, dst: str) -> None:
    assert not orders.can_transition(src, dst)


def test_parcels_are_shipped_before_delivery_but_pickups_are_handed_over() -> None:
    assert not orders.can_transition("paid", "delivered", delivery_method="delivery")
    assert orders.can_transition("paid", "delivered", delivery_method="pickup")
    assert orders.can_transition("paid", "delivered", delivery_method="digital")


def test_terminal_states_have_no_exit() -> None:
    for status in ("cancelled", "expired", "refunded"):
        assert not any(orders.can_transition(status, other) for other in orders.STATUSES)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+1 202 555 0123", "+12025550123"),
        ("138 0013 8000", "+8613800138000"),  # national: read as the shop region's (CN)
        ("(010) 6552-9988", "+861065529988"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("１３８００１３８０００", "+8613800138000"),  # full-width digits from a Chinese keyboard
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_accepted(raw: str, e164: str) -> None:
    assert checkout.clean_phone(raw, "CN") == e164


@pytest.mark.parametrize(
    "raw", ["", "12345", "call me", "+1234567890123456", "555-CALL-NOW", "+86 138 0013 800", "+1 555 123 4567"]
)
def test_phone_refused(raw: str) -> None:
    with pytest.raises(DomainError) as err:
        checkout.clean_phone(raw, "CN")
    assert err.value.code == "checkout_bad_phone"
    assert err.value.params == {"example": "131 2345 6789", "international": "+86 131 2345 6789"}


def test_address_and_name_limits() -> None:
    with pytest.raises(DomainError):
        checkout.clean_address("abc")
    with pytest.raises(DomainError):
        checkout.clean_address("x" * 301)
    assert checkout.clean_address("  12  Main   St ") == "12 Main St"
    assert checkout.clean_address("北京市朝阳区建国路1号") == "北京市朝阳区建国路1号"
    for only_numbers in ("+86 138 0013 8000", "12345", "100-200, 3"):  # a phone number typed at the address step
        with pytest.raises(DomainError):
            checkout.clean_address(only_numbers)
    with pytest.raises(DomainError):
        checkout.clean_name("")
    with pytest.raises(DomainError):
        checkout.clean_name("/start")
    for not_a_name in ("A", "12345", "...", "？？", "x" * 65):
        with pytest.raises(DomainError):
            checkout.clean_name(not_a_name)
    assert checkout.clean_name(" Ada  Lovelace ") == "Ada Lovelace"
    assert checkout.clean_name("李雷") == "李雷"


def test_delivery_fee_rules() -> None:
    policy = checkout.CheckoutPolicy(delivery=DeliveryRule(fee=800, free_over=9900))
    assert checkout.delivery_fee_for(policy, "delivery", 5000) == 800
    assert checkout.delivery_fee_for(policy, "delivery", 9900) == 0
    assert checkout.delivery_fee_for(policy, "pickup", 100) == 0
    never_free = checkout.CheckoutPolicy(delivery=DeliveryRule(fee=800, free_over=0))
    assert checkout.delivery_fee_for(never_free, "delivery", 10**9) == 800


def test_invoice_payload_round_trip() -> None:
    payload = payments.invoice_payload(123456789)
    assert len(payload.encode()) <= 128
    assert payments.parse_payload(payload) == 123456789
    assert payload != payments.invoice_payload(123456789)
    for bad in ("", "order:x:1", "gift:1:abc", "order:1", "order:1:2:3"):
        assert payments.parse_payload(bad) is None
