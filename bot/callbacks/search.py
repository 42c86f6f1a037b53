"""Callback data of the search results message: every button re-runs the search with one thing changed.

The words travel in the button itself (so buttons keep working after a restart). Words too long for Telegram's
64-byte limit are kept in memory under a short key (`~` + key); such a button outlives a restart only as
"search again".
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

SORT_CODES = {"relevance": "r", "price_asc": "pa", "price_desc": "pd", "newest": "n"}
SORT_NAMES = {code: name for name, code in SORT_CODES.items()}
CALLBACK_LIMIT = 64


class SearchCB(CallbackData, prefix="sq"):
    q: str  # the words (canonical), or "~<key>" for words kept in memory
    o: str = "r"  # sort code
    p: int = 0  # page, from 0
    c: int | None = None  # category id
    lo: int | None = None  # price from (minor units, inclusive)
    hi: int | None = None  # price below (minor units, exclusive)

    @property
    def sort(self) -> str:
        return SORT_NAMES.get(self.o, "relevance")


def fits(query: str) -> bool:
    """Whether words fit in every button of a results message (the widest filters included)."""
    if ":" in query or not query:
        return False
    widest = SearchCB(q=query, o="pd", p=999, c=99_999, lo=99_999_999, hi=99_999_999)
    return len(widest.pack().encode()) <= CALLBACK_LIMIT
