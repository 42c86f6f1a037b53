"""Callback data of the search results message. A button carries the id of its message's saved state and its own
number in it (store/search/states.py), never the shopper's words: those can be 4,096 characters and Telegram
allows 64 bytes. "sq:<8 characters>:<number>" is at most 15 bytes whatever was searched.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

SORT_CODES = {"relevance": "r", "price_asc": "pa", "price_desc": "pd", "newest": "n", "rating": "rt"}
CALLBACK_LIMIT = 64
PREFIX = "sq"


class SearchCB(CallbackData, prefix="sq"):
    s: str = Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")  # the saved state's id
    i: int = Field(ge=0, le=99)  # which of the message's buttons
