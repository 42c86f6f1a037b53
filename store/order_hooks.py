"""What other features do when an order changes state, without orders knowing about them.

Each feature's hooks are listed in store.rules.standard_rules; they run inside the same transaction as the
transition, so a reward or a group-buy update commits together with the payment (or not at all). Orders call
`run()` after each transition. Hooks must be idempotent (keyed writes): a transition itself happens once, but
keep the habit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Order


@dataclass(frozen=True)
class Transition:
    order: Order
    from_status: str | None
    to_status: str
    actor: str
    # Extra parameters for the buyer's notice of this change, whichever message carries it (store.orders).
    notice: Mapping[str, Any] = field(default_factory=dict)


Hook = Callable[[AsyncSession, Transition], Awaitable[None]]


@dataclass(frozen=True)
class Notice:
    """The buyer's notice of a transition in the words of the order's source, instead of the generic status one."""

    template: str
    params: Mapping[str, Any] = field(default_factory=dict)


# Asked before the transition's hooks run, so it sees the order's source as it was when the change happened.
NoticeMaker = Callable[[AsyncSession, Transition], Awaitable[Notice | None]]


async def run(session: AsyncSession, transition: Transition) -> None:
    from store.rules import rules_of

    for hook in rules_of(session).order_hooks.get(transition.to_status, ()):
        await hook(session, transition)
