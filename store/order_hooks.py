"""What other features do when an order changes state, without orders knowing about them.

Features register async hooks, run inside the same transaction as the transition, so a reward or a
group-buy update commits together with the payment (or not at all). Orders call `run()` after each
transition. Hooks must be idempotent (keyed writes): a transition itself happens once, but keep the habit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Order


@dataclass(frozen=True)
class Transition:
    order: Order
    from_status: str | None
    to_status: str
    actor: str


Hook = Callable[[AsyncSession, Transition], Awaitable[None]]
_hooks: dict[str, list[Hook]] = {}


def on(to_status: str) -> Callable[[Hook], Hook]:
    """Decorator: `@order_hooks.on("paid")` runs for every order that becomes paid."""

    def register(func: Hook) -> Hook:
        bucket = _hooks.setdefault(to_status, [])
        if func not in bucket:
            bucket.append(func)
        return func

    return register


async def run(session: AsyncSession, transition: Transition) -> None:
    for hook in _hooks.get(transition.to_status, []):
        await hook(session, transition)
