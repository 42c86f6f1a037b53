"""Who may do what: the shop's role rules. Callback data is never trusted, so every staff action re-checks the
acting user's role here. Roles are granted in the database (leader, support, admin); the admins named in the
shop's configuration are admins whatever the database says; an admin may act as a leader or agent too."""

from __future__ import annotations

from store import users
from store.db import Database
from store.errors import Forbidden
from store.rules import rules_of


async def roles(db: Database, user_id: int) -> set[str]:
    granted = await users.roles_of(db, user_id)
    if user_id in rules_of(db).admins:
        granted.add("admin")
    return granted


async def has_role(db: Database, user_id: int, role: str) -> bool:
    granted = await roles(db, user_id)
    return role in granted or "admin" in granted


async def require_role(db: Database, user_id: int, role: str) -> None:
    if not await has_role(db, user_id, role):
        raise Forbidden("not_allowed", role=role)
