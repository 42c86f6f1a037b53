"""Money: integer minor units plus an ISO 4217 code (DESIGN.md). Never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Digits after the decimal point. Telegram Stars (XTR) are whole units.
_EXPONENTS = {"JPY": 0, "KRW": 0, "XTR": 0, "VND": 0, "CLP": 0, "ISK": 0}
STARS = "XTR"


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def major_units(amount: int, currency: str) -> int:
    """Whole major units, rounded down (used for points per currency unit)."""
    return amount // (10 ** exponent(currency))


@dataclass(frozen=True, order=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int):
            raise TypeError("money is an integer of minor units")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def times(self, quantity: int) -> Money:
        return Money(self.amount * quantity, self.currency)

    def percent_off(self, percent: float) -> Money:
        """Discounted price, rounded half up to the minor unit, never below zero."""
        discount = (self.amount * round(percent * 100) + 5000) // 10000
        return Money(max(self.amount - discount, 0), self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def format(self) -> str:
        exp = exponent(self.currency)
        sign = "-" if self.amount < 0 else ""
        whole, frac = divmod(abs(self.amount), 10**exp)
        symbol = _SYMBOLS.get(self.currency)
        number = f"{whole:,}" + (f".{frac:0{exp}d}" if exp else "")
        if self.currency == STARS:
            return f"{sign}⭐ {number}"
        return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {self.currency}"

    def __str__(self) -> str:
        return self.format()


_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


_CURRENCY_MARKS = re.compile(r"[¥￥$€£]|\b(cny|rmb|usd|yuan)\b|元", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"^\d+,\d{1,2}$")


def parse_typed_price(text: str, currency: str) -> int:
    """A price as people type it: `¥99.90`, `99.9元`, `99,90` (a decimal comma: one or two digits after it),
    `1,299` (a thousands comma). ValueError when it is not a price."""
    cleaned = _CURRENCY_MARKS.sub("", text).strip()
    if _DECIMAL_COMMA.match(cleaned):
        cleaned = cleaned.replace(",", ".")
    return parse_major(cleaned, currency)


def parse_major(text: str, currency: str) -> int:
    """'12.5' -> 1250 for CNY; rejects more decimals than the currency has, negatives and junk."""
    from decimal import Decimal, InvalidOperation

    cleaned = text.strip().replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"not a price: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a price: {text!r}")
    exp = exponent(currency)
    scaled = value.scaleb(exp)
    if value < 0 or scaled != scaled.to_integral_value():
        raise ValueError(f"not a price: {text!r}")
    return int(scaled)
