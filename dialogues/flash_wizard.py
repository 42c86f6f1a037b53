"""The admin's flash-sale set-up in private chat: product, sale price, units, per-person limit, start, duration
and audience, then a summary to confirm. Editing a scheduled sale reuses the same steps from its edit menu
(`edit`), each step returning there. What is chosen so far lives in the FSM data."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class FlashWizard(StatesGroup):
    product = State()
    price = State()
    stock = State()
    limit = State()
    start = State()
    duration = State()
    audience = State()
    confirm = State()
    edit = State()
