"""Whole numbers typed by a person, read the way people write them: full-width digits and signs from a Chinese
keyboard ("１２", "＋5"), thousands separators ("1,000", "1 000", "1，000"), a typographic minus or a dash
("−3", "–3") where a sign is expected. One reader for every typed amount, so a format accepted in one prompt is
accepted in all of them. A refusal is a NotANumber whose code names what was wrong (a decimal point, commas in
the wrong places, not a number, too many digits); each caller words it in the user's language with its example.
"""

from __future__ import annotations

import re
import unicodedata

from store.errors import DomainError

MAX_DIGITS = 9  # more is no stock, price or threshold anyone means; callers check their own (smaller) ranges

# Characters people (and their keyboards' autocorrect) type for a minus sign, and the dashes between two dates.
# NFKC already folds the full-width forms (＋ －) and the small ones (﹢ ﹣); these have no compatibility form.
_DASHES = str.maketrans(dict.fromkeys("\u2212\u2010\u2011\u2012\u2013\u2014\u2015", "-"))

_PLAIN = re.compile(r"[0-9]+", re.ASCII)
# Thousands groups: 1,000 or 1 000 (NFKC turns a full-width comma and a no-break space into these).
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+", re.ASCII)
_DECIMAL = re.compile(r"[0-9]*[.][0-9]+|[0-9]+[.]", re.ASCII)
_DIGITS_AND_COMMAS = re.compile(r"[0-9][0-9, ]*[0-9]", re.ASCII)


class NotANumber(DomainError):
    """Codes: typed_not_number, typed_decimal (units are whole), typed_grouping (commas not between groups of
    three digits), typed_too_big. Param `text`: what was typed, shortened."""


def fold(text: str) -> str:
    """Full-width and compatibility forms to ASCII, every minus and dash to "-", spaces squeezed."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_DASHES).split())


def read_whole(text: str) -> int:
    """A whole number of 0 or more: `12`, `１２`, `1,000`, `1 000`. NotANumber otherwise."""
    folded = fold(text)
    shown = folded[:20]
    if _PLAIN.fullmatch(folded):
        digits = folded
    elif _GROUPED.fullmatch(folded):
        digits = folded.replace(",", "").replace(" ", "")
    elif _DECIMAL.fullmatch(folded):
        raise NotANumber("typed_decimal", text=shown)
    elif _DIGITS_AND_COMMAS.fullmatch(folded):
        raise NotANumber("typed_grouping", text=shown)
    else:
        raise NotANumber("typed_not_number", text=shown)
    if len(digits.lstrip("0")) > MAX_DIGITS:
        raise NotANumber("typed_too_big", text=shown)
    return int(digits)


def read_signed(text: str) -> tuple[str, int]:
    """A change: ("+" | "-" | "" when no sign was typed, the amount). `+5`, `＋5`, `−3`, `–3`, `- 1,000`, `5`."""
    folded = fold(text)
    sign = folded[:1] if folded[:1] in ("+", "-") else ""
    try:
        return sign, read_whole(folded[len(sign) :])
    except NotANumber as exc:
        exc.params["text"] = folded[:20]  # the whole change as typed, sign included
        raise
