"""The role rules (store/roles.py) as handlers call them, with the application's database."""

from __future__ import annotations

from bot.context import AppContext
from store import roles as shop_roles


async def roles(ctx: AppContext, user_id: int) -> set[str]:
    return await shop_roles.roles(ctx.db, user_id)


async def has_role(ctx: AppContext, user_id: int, role: str) -> bool:
    return await shop_roles.has_role(ctx.db, user_id, role)


async def require_role(ctx: AppContext, user_id: int, role: str) -> None:
    await shop_roles.require_role(ctx.db, user_id, role)
