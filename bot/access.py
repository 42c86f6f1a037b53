"""Who may do what. Callback data is never trusted: every action re-checks the tapping user's role here."""

from __future__ import annotations

from bot.context import AppContext
from store import users
from store.errors import Forbidden


async def roles(ctx: AppContext, user_id: int) -> set[str]:
    granted = await users.roles_of(ctx.db, user_id)
    if ctx.is_config_admin(user_id):
        granted.add("admin")
    return granted


async def has_role(ctx: AppContext, user_id: int, role: str) -> bool:
    """Admins may act as leaders and support agents too."""
    granted = await roles(ctx, user_id)
    return role in granted or "admin" in granted


async def require_role(ctx: AppContext, user_id: int, role: str) -> None:
    if not await has_role(ctx, user_id, role):
        raise Forbidden("not_allowed", role=role)
