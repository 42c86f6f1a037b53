"""Operations conversations: an admin typing a restock amount or a low-stock alert threshold, composing a
broadcast, typing a report period."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup

RESTOCK_PRODUCT = "ops_restock_product"  # FSM data key: the product of the stock prompt opened last
STOCK_PROMPTS = "ops_stock_prompts"  # FSM data key: prompt message id -> [restock | threshold, product id]
STOCK_LATEST = "ops_stock_latest"  # FSM data key: the message id of the stock prompt opened last


class OpsSG(StatesGroup):
    restock_amount = State()
    broadcast_text = State()
    broadcast_product = State()  # typing part of the name of the product the broadcast's button opens
    analytics_period = State()
    stock_threshold = State()  # the product: RESTOCK_PRODUCT


BROADCAST_AUDIENCE = "ops_broadcast_audience"  # FSM data key: who the broadcast being typed is for
BROADCAST_DRAFT = "ops_broadcast_draft"  # FSM data key: the draft whose product is being picked
BROADCAST_PREVIEW = "ops_broadcast_preview"  # FSM data key: [draft id, preview message id] of the last preview
BROADCAST_PICKERS = "ops_broadcast_pickers"  # FSM data key: the product pickers on screen (message ids)
