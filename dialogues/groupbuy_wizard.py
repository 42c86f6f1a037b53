"""Conversation states of group buys: the leader's set-up wizard (private chat) and a participant typing a
delivery contact. The data gathered so far lives in the FSM data (persisted by bot.fsm_storage)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class GroupBuyWizard(StatesGroup):
    product = State()
    tiers = State()
    minimum = State()
    maximum = State()
    limit = State()
    deadline = State()
    pickup = State()
    confirm = State()


class ParticipantContact(StatesGroup):
    contact = State()


# Wizard steps in order, with the FSM-data key each one fills.
STEPS: tuple[tuple[State, str], ...] = (
    (GroupBuyWizard.product, "product_id"),
    (GroupBuyWizard.tiers, "tiers"),
    (GroupBuyWizard.minimum, "minimum"),
    (GroupBuyWizard.maximum, "maximum"),
    (GroupBuyWizard.limit, "limit"),
    (GroupBuyWizard.deadline, "deadline"),
    (GroupBuyWizard.pickup, "pickup"),
    (GroupBuyWizard.confirm, ""),
)


def next_state(current: State) -> State:
    states = [state for state, _ in STEPS]
    return states[min(states.index(current) + 1, len(states) - 1)]
