"""Phone numbers shoppers type: read with libphonenumber (the `phonenumbers` package), kept in E.164.

Each country numbers its phones by its own rules (lengths, prefixes, mobile ranges), which change over time; a
hand-written pattern either refuses real numbers or lets typos through. libphonenumber carries those rules per
region: "138 0013 8000" typed in a shop whose region is CN is +86 138 0013 8000, a number with its country
code ("+44 20 7946 0958") is read by its own country's rules, and one digit too few is refused with an example.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from store.errors import DomainError

DEFAULT_REGION = "CN"
# Longer than any number with an extension and its separators: anything beyond is not a phone number.
TEXT_MAX = 40
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def example(region: str) -> tuple[str, str]:
    """A mobile number of `region` as its people dial it and with the country code, for error messages."""
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if number is None:  # a region without mobile examples: any example will do
        number = phonenumbers.example_number(region)
    if number is None:
        return "+86 131 2345 6789", "+86 131 2345 6789"
    return (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
    )


def refused(region: str) -> DomainError:
    national, international = example(region)
    return DomainError("checkout_bad_phone", example=national, international=international)


def parse_phone(text: str, region: str) -> str:
    """The E.164 form of a typed number. A number without country code is read as one of `region` (ISO 3166
    alpha-2, e.g. "CN"); full-width digits from a Chinese keyboard count as digits. Refused (with an example)
    unless it is a valid number of its country."""
    compact = unicodedata.normalize("NFKC", text).strip()
    # Letters would be read as a keypad's (1-800-FLOWERS): a shopper who types words typed no phone number.
    if not compact or len(compact) > TEXT_MAX or any(ch.isalpha() for ch in compact):
        raise refused(region)
    try:
        number = phonenumbers.parse(compact, region)
    except phonenumbers.NumberParseException as exc:
        raise refused(region) from exc
    if not phonenumbers.is_valid_number(number):
        raise refused(region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def shared_phone(raw: str, region: str) -> str:
    """A number from Telegram's "share my phone" button. Telegram verified it belongs to the account, so it is
    taken even where libphonenumber's rules lag behind a new range; only its form is made E.164 (Telegram
    sends it with or without the +)."""
    digits = re.sub(r"\D", "", raw)
    candidate = f"+{digits}"
    if E164.match(candidate):
        return candidate
    return parse_phone(raw, region)


def collected_phone(raw: str | None, region: str) -> str | None:
    """A number Telegram's payment form collected, after the payment: in E.164 when it reads as a valid number,
    else as given. Never refused, the money is taken already."""
    if not raw or not raw.strip():
        return None
    try:
        return parse_phone(raw, region)
    except DomainError:
        return raw.strip()[:32]  # the column's width


def is_e164(phone: str) -> bool:
    """The stored form: +, country code, subscriber number; 15 digits at most."""
    return bool(E164.match(phone))
