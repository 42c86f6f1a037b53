"""/admin -> Audit log: the latest staff actions, newest first, paged back by id. Admins only; every tap
re-checks the role."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery

from bot.access import require_role
from bot.admin_menu import AdminSection
from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.ops import AuditCB
from bot.context import AppContext
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from bot.views import ops as views
from store import audit, order_queues

routes = Routes("admin_ops")

ADMIN_SECTION = AdminSection("audit", "ops.section.audit", "admin", order=80)



async def _show(query: CallbackQuery, ctx: AppContext, lang: str, before_id: int) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    size = ctx.settings.ops.audit_page_size
    entries = await audit.latest(ctx.db, size, before_id=before_id or None)
    named = {b.user_id: b for b in await order_queues.buyers(ctx.db, audit.people(entries))}
    await query.answer()
    text, markup = views.audit_page(
        lang, entries, ctx.settings.shop.timezone, page_size=size, first_page=not before_id, people=named
    )
    await edit_or_answer(query, text, markup)


@routes.callback_query(AdminMenuCB.filter(F.section == "audit"))
async def audit_section(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    await _show(query, ctx, lang, 0)


@routes.callback_query(AuditCB.filter())
async def audit_page(query: CallbackQuery, callback_data: AuditCB, ctx: AppContext, lang: str) -> None:
    await _show(query, ctx, lang, callback_data.b)


def setup() -> Router:
    return routes.build()
