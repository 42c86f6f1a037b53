from __future__ import annotations

import pytest

from bot import deeplinks
from store.money import Money, major_units, parse_major


def test_money_formats_per_currency() -> None:
    assert Money(1250, "CNY").format() == "¥12.50"
    assert Money(1_234_500, "USD").format() == "$12,345.00"
    assert Money(150, "XTR").format() == "⭐ 150"
    assert Money(500, "JPY").format() == "¥500"
    assert Money(99, "SEK").format() == "0.99 SEK"


def test_money_arithmetic_is_integer_and_same_currency() -> None:
    assert Money(100, "CNY") + Money(250, "CNY") == Money(350, "CNY")
    assert Money(999, "CNY").percent_off(10) == Money(899, "CNY")  # 99.9 off rounds to 100
    with pytest.raises(ValueError):
        Money(1, "CNY") + Money(1, "USD")
    with pytest.raises(TypeError):
        Money(1.5, "CNY")  # type: ignore[arg-type]
    assert major_units(1999, "CNY") == 19


@pytest.mark.parametrize(("text", "minor"), [("12.50", 1250), ("12", 1200), ("0.01", 1), ("1,000", 100000)])
def test_parse_major(text: str, minor: int) -> None:
    assert parse_major(text, "CNY") == minor


@pytest.mark.parametrize("text", ["-1", "1.234", "abc", "", "nan", "inf"])
def test_parse_major_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_major(text, "CNY")


def test_deep_link_payloads() -> None:
    assert deeplinks.parse_payload("p_TEA-01") == deeplinks.StartPayload("p", "TEA-01", None)
    assert deeplinks.parse_payload("p_TEA-01-r_k3x9q2") == deeplinks.StartPayload("p", "TEA-01", "k3x9q2")
    assert deeplinks.parse_payload("r_k3x9q2") == deeplinks.StartPayload(None, None, "k3x9q2")
    assert deeplinks.parse_payload("bad payload!") == deeplinks.StartPayload(None, None, None)
    assert deeplinks.parse_payload("x" * 65) == deeplinks.StartPayload(None, None, None)


def test_start_links_stay_within_telegram_limits() -> None:
    assert deeplinks.start_link("shop_bot", "p", "TEA-01", "abc") == "https://t.me/shop_bot?start=p_TEA-01-r_abc"
    long_value = "A" * 60
    # The referral is dropped rather than producing a payload Telegram would refuse.
    assert deeplinks.start_payload("p", long_value, "abcdef") == f"p_{long_value}"
    with pytest.raises(ValueError):
        deeplinks.start_payload("p", "has space")


def test_the_hello_link_opens_the_private_chat_on_the_welcome() -> None:
    assert deeplinks.hello_link("shop_bot") == "https://t.me/shop_bot?start=hello"
    # A valid payload with no prefix: /start shows the welcome, not "that link is not valid any more".
    assert deeplinks.parse_payload(deeplinks.HELLO_PAYLOAD) == deeplinks.StartPayload(None, None, None)
    assert deeplinks.PAYLOAD_RE.match(deeplinks.HELLO_PAYLOAD)
