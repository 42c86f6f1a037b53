"""A buyer's words or photo for a rating they just gave: which order line and how many stars live in the FSM
data while the bot waits for the text or photo."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class ReviewWords(StatesGroup):
    waiting = State()
