"""The staff audit log: every admin, leader or agent action that changes stock, prices, orders, refunds,
roles, coupons, flash sales, group buys or tickets leaves one row (who, in which role, what, on which object,
the state before and after, when). `record()` writes in the caller's transaction, so an entry exists exactly
when the change it describes committed."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store import order_hooks
from store.db import Database
from store.models.ops import AuditEntry

SYSTEM = "system"
CLI = "cli"


@dataclass(frozen=True)
class Entry:
    id: int
    actor_id: int | None
    actor_role: str
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    created_at: datetime


async def record(
    session: AsyncSession,
    *,
    actor_id: int | None,
    actor_role: str,
    action: str,
    target: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> int:
    """The entry's id."""
    entry = AuditEntry(
        actor_id=actor_id,
        actor_role=actor_role[:16],
        action=action[:48],
        target=target[:64],
        before=before,
        after=after,
    )
    session.add(entry)
    await session.flush()
    return int(entry.id)


STOCK_CHANGES = ("stock.restock", "stock.adjust")


def product_target(sku: str) -> str:
    return f"product:{sku}"[:64]


async def latest_stock_change(session: AsyncSession, sku: str) -> int:
    """The id of the newest staff change to this product's stock (0: none): a Restock button carries the one its
    screen showed, so the same intent tapped twice, or by two admins from one alert, adds once."""
    newest = await session.execute(
        select(func.max(AuditEntry.id)).where(
            AuditEntry.target == product_target(sku), AuditEntry.action.in_(STOCK_CHANGES)
        )
    )
    return int(newest.scalar() or 0)


async def record_flash_sale(session: AsyncSession, actor_id: int | None, action: str, sale: Any) -> None:
    """A flash sale created, edited or cancelled by staff (`sale`: a store.flashsale SaleView); written by the
    flash-sale core in the transaction of the change (no actor: the command line)."""
    await record(
        session,
        actor_id=actor_id,
        actor_role="admin" if actor_id is not None else CLI,
        action=f"flash.{action}",
        target=f"flash:{sale.id}",
        after={
            "sku": sale.sku,
            "price": sale.price,
            "stock": sale.stock,
            "per_user_limit": sale.per_user_limit,
            "starts_at": sale.starts_at.isoformat(),
            "ends_at": sale.ends_at.isoformat(),
            "status": sale.status,
        },
    )


async def record_role(session: AsyncSession, actor_id: int | None, user_id: int, role: str, *, granted: bool) -> None:
    await record(
        session,
        actor_id=actor_id,
        actor_role="admin" if actor_id is not None else CLI,
        action="role.grant" if granted else "role.revoke",
        target=f"{USER_TARGET}{user_id}",
        before={"role": None if granted else role},
        after={"role": role if granted else None},
    )


async def record_stock(session: AsyncSession, actor_id: int | None, sku: str, before: int, after: int) -> None:
    await record(
        session,
        actor_id=actor_id,
        actor_role="admin" if actor_id is not None else CLI,
        action="stock.adjust",
        target=product_target(sku),
        before={"stock": before},
        after={"stock": after},
    )


STAFF_ACTORS = ("admin", "leader", "agent", "support")


async def order_changed(session: AsyncSession, change: order_hooks.Transition) -> None:
    """Orders name who moved them (`admin:<id>`); the staff's moves (ship, deliver, cancel, refund) are logged."""
    kind, _, who = change.actor.partition(":")
    if kind not in STAFF_ACTORS or not who.isdigit():
        return
    await record(
        session,
        actor_id=int(who),
        actor_role=kind,
        action=f"order.{change.to_status}",
        target=f"order:{change.order.id}",
        before={"status": change.from_status},
        after={"status": change.to_status, "total": change.order.total, "currency": change.order.currency},
    )


USER_TARGET = "user:"


def target_user(target: str) -> int | None:
    """The person a `user:<id>` target names (role grants and revocations), else None."""
    rest = target.removeprefix(USER_TARGET)
    if rest == target or not rest.lstrip("-").isdigit():
        return None
    return int(rest)


def people(entries: list[Entry]) -> list[int]:
    """Everyone the entries name by id, actors and `user:` targets, once each (a screen shows them by name)."""
    ids = [e.actor_id for e in entries if e.actor_id is not None]
    ids += [uid for uid in (target_user(e.target) for e in entries) if uid is not None]
    return list(dict.fromkeys(ids))


def _entry(row: AuditEntry) -> Entry:
    return Entry(row.id, row.actor_id, row.actor_role, row.action, row.target, row.before, row.after, row.created_at)


async def latest(db: Database, limit: int = 10, *, before_id: int | None = None) -> list[Entry]:
    """Newest first; `before_id` pages back through older entries."""
    async with db.read() as session:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(AuditEntry.id < before_id)
        return [_entry(row) for row in (await session.execute(query)).scalars()]


async def between(db: Database, start: datetime | None = None, end: datetime | None = None) -> list[Entry]:
    async with db.scan() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if start is not None:
            query = query.where(AuditEntry.created_at >= start)
        if end is not None:
            query = query.where(AuditEntry.created_at < end)
        return [_entry(row) for row in (await session.execute(query)).scalars()]


CSV_COLUMNS = ("id", "created_at", "actor_id", "actor_role", "action", "target", "before", "after")


def to_csv(entries: list[Entry]) -> str:
    import json

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        writer.writerow(
            [
                e.id,
                e.created_at.isoformat(),
                "" if e.actor_id is None else e.actor_id,
                e.actor_role,
                e.action,
                e.target,
                "" if e.before is None else json.dumps(e.before, ensure_ascii=False, sort_keys=True),
                "" if e.after is None else json.dumps(e.after, ensure_ascii=False, sort_keys=True),
            ]
        )
    return out.getvalue()
