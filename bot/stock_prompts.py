"""Which product a number typed at a stock prompt is for: a restock amount ("How many units of …?") or a
low-stock alert threshold (the stepper).

An admin may open several such prompts before answering (Other amount on product A, then on product B). One
"current product" in the conversation made the answer's target depend on which prompt's write landed last,
and a reply to A's prompt still went to whatever was current. So every prompt message is remembered with its
product: a reply to one of them is for that product; a number typed without a reply is for the latest prompt
(for restock prompts, each a new message, the highest message id: it does not depend on the order the taps
were handled in; for the stepper, drawn on the stock screen's own message, the one opened last)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from dialogues.ops import RESTOCK_PRODUCT, STOCK_LATEST, STOCK_PROMPTS, OpsSG

RESTOCK = "restock"
THRESHOLD = "threshold"
KEPT = 10  # prompts remembered per admin: older ones are long scrolled away

_STATE_KIND = {OpsSG.restock_amount.state: RESTOCK, OpsSG.stock_threshold.state: THRESHOLD}
# A reply to a prompt is read in these states only: any other conversation (a checkout under way) keeps its text.
_READ_IN = {None, *_STATE_KIND}


@dataclass(frozen=True)
class Target:
    kind: str  # RESTOCK or THRESHOLD
    product_id: int
    prompt_id: int | None  # the prompt message answered (None: a conversation begun before prompts were kept)


def _prompts(data: dict[str, Any]) -> dict[str, list[Any]]:
    raw = data.get(STOCK_PROMPTS)
    return {str(key): list(value) for key, value in raw.items()} if isinstance(raw, dict) else {}


async def remember(state: FSMContext, prompt_id: int, kind: str, product_id: int) -> None:
    """`prompt_id` now asks for a `kind` number about `product_id`, and it is the prompt just opened."""
    prompts = _prompts(await state.get_data())
    prompts[str(prompt_id)] = [kind, product_id]
    kept = dict(sorted(prompts.items(), key=lambda item: int(item[0]))[-KEPT:])
    await state.set_state(OpsSG.restock_amount if kind == RESTOCK else OpsSG.stock_threshold)
    await state.update_data({STOCK_PROMPTS: kept, RESTOCK_PRODUCT: product_id, STOCK_LATEST: prompt_id})


async def forget(state: FSMContext, prompt_id: int | None, *, stop_typing: bool = True) -> None:
    """`prompt_id` was answered or closed (its message shows something else now): a number is no longer taken
    for it. `stop_typing`: a number typed without a reply is taken for no prompt either, unless a newer prompt
    than this one is still open (a reply answered an older prompt: the latest one still waits)."""
    data = await state.get_data()
    prompts = _prompts(data)
    if prompt_id is not None and str(prompt_id) in prompts:
        prompts.pop(str(prompt_id))
        await state.update_data({STOCK_PROMPTS: prompts})
    current = await state.get_state()
    kind = _STATE_KIND.get(current) if current is not None else None
    if not stop_typing or kind is None:
        return
    latest = _latest(kind, prompts, data)
    if latest is None or prompt_id is None or (kind == RESTOCK and latest < prompt_id):
        await state.set_state(None)


def _latest(kind: str, prompts: dict[str, list[Any]], data: dict[str, Any]) -> int | None:
    """The open prompt of `kind` a number typed without a reply is for."""
    waiting = [int(key) for key, (each_kind, _) in prompts.items() if each_kind == kind]
    if kind == RESTOCK and waiting:
        # Each restock prompt is a new message, so the highest id is the newest whichever tap was handled last.
        return max(waiting)
    opened = data.get(STOCK_LATEST)
    if opened is not None and str(opened) in prompts and prompts[str(opened)][0] == kind:
        return int(opened)
    return None


async def forget_all(state: FSMContext) -> None:
    """/cancel at a prompt: none of the open prompts is waiting any more."""
    await state.set_state(None)
    await state.update_data({STOCK_PROMPTS: {}})


async def target(message: Message, state: FSMContext) -> Target | None:
    """The prompt `message` answers, or None when it answers none of them."""
    current = await state.get_state()
    replied = message.reply_to_message
    if current not in _READ_IN or (current is None and replied is None):
        return None  # most messages: decided without reading the conversation's data
    data = await state.get_data()
    prompts = _prompts(data)
    if replied is not None and str(replied.message_id) in prompts:
        kind, product_id = prompts[str(replied.message_id)]
        return Target(str(kind), int(product_id), replied.message_id)
    kind = _STATE_KIND.get(current) if current is not None else None
    if kind is None:
        return None
    latest = _latest(kind, prompts, data)
    if latest is not None:
        return Target(kind, int(prompts[str(latest)][1]), latest)
    product_id = int(data.get(RESTOCK_PRODUCT) or 0)  # a prompt opened before prompts were remembered
    return Target(kind, product_id, None) if product_id else None


class Answers(Filter):
    """A text message that answers a prompt of `kind`; the handler gets it as `target`."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    async def __call__(self, message: Message, state: FSMContext) -> bool | dict[str, Any]:
        found = await target(message, state)
        if found is None or found.kind != self.kind:
            return False
        return {"target": found}
