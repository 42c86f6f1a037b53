"""Did-you-mean buttons. They carry the server-side question's id (store/nlu_review.py) and the button's
number, never the shopper's text: "dym:<id>:<n>" stays under 30 bytes. n = HUMAN_BUTTON is "Talk to a person".
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

HUMAN_BUTTON = 9


class DidYouMeanCB(CallbackData, prefix="dym"):
    q: int = Field(ge=1, le=2_147_483_647)  # the question's id (re-checked against the tapping user)
    n: int = Field(ge=0, le=HUMAN_BUTTON)  # which offered intent, or HUMAN_BUTTON
