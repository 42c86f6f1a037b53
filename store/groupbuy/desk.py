"""The leader's desk: their buys with participants, paid totals and commission, one buy in detail, and its
pickup list as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store import orders
from store.db import Database
from store.groupbuy.leader import managed, participation
from store.groupbuy.rules import SOURCE
from store.groupbuy.views import GroupBuyView, ParticipantView, load_product, participants_in, receive_of, view_of
from store.models import Order
from store.models.groupbuy import GroupBuy, LeaderCommission
from store.money import Money


@dataclass(frozen=True)
class LeaderLine:
    group_buy: GroupBuyView
    participants: int
    units: int
    paid_total: int
    commission: int


@dataclass(frozen=True)
class LeaderOverview:
    open: tuple[LeaderLine, ...]
    past: tuple[LeaderLine, ...]
    commission_total: int
    currency: str | None


async def leader_overview(db: Database, leader_id: int, limit: int = 10) -> LeaderOverview:
    async with db.read() as session:
        rows = (
            (
                await session.execute(
                    select(GroupBuy).where(GroupBuy.leader_id == leader_id).order_by(GroupBuy.id.desc()).limit(limit)
                )
            )
            .scalars()
            .all()
        )
        lines = [await _leader_line(session, row) for row in rows]
        total_row = (
            await session.execute(
                select(func.coalesce(func.sum(LeaderCommission.amount), 0), func.min(LeaderCommission.currency)).where(
                    LeaderCommission.leader_id == leader_id
                )
            )
        ).one()
    return LeaderOverview(
        open=tuple(line for line in lines if line.group_buy.is_open),
        past=tuple(line for line in lines if not line.group_buy.is_open),
        commission_total=int(total_row[0]),
        currency=total_row[1] or (lines[0].group_buy.currency if lines else None),
    )


async def _leader_line(session: AsyncSession, row: GroupBuy) -> LeaderLine:
    view = view_of(row, await load_product(session, row.product_id))
    joined = await participation(session, row.id)
    paid = (
        await session.execute(
            select(func.coalesce(func.sum(Order.total), 0)).where(
                Order.source == SOURCE,
                Order.source_ref == row.id,
                Order.status.in_(sorted(orders.PAID_STATUSES)),
            )
        )
    ).scalar_one()
    commission = (
        await session.execute(
            select(func.coalesce(func.sum(LeaderCommission.amount), 0)).where(LeaderCommission.group_buy_id == row.id)
        )
    ).scalar_one()
    return LeaderLine(view, joined.people, joined.units, int(paid), int(commission))


async def leader_detail(
    db: Database, group_buy_id: int, actor_id: int, is_admin: bool
) -> tuple[LeaderLine, list[ParticipantView]]:
    async with db.read() as session:
        await managed(session, group_buy_id, actor_id, is_admin)
        row = await session.get(GroupBuy, group_buy_id)
        assert row is not None
        return await _leader_line(session, row), await participants_in(session, group_buy_id)


# `pickup_point` is the point's name, as the counter staff read it; `pickup_point_id` the configured id for scripts
# (empty for a point typed in free text, which has no id).
CSV_COLUMNS = ("user_id", "name", "username", "quantity", "receive", "pickup_point", "pickup_point_id", "contact",
               "phone", "address", "order_id", "order_status", "amount")  # fmt: skip


ERASED_NAME = "(erased)"


async def pickup_csv(
    db: Database,
    group_buy_id: int,
    actor_id: int,
    is_admin: bool,
    point_names: Mapping[str, str] | None = None,
    *,
    erased_name: str = ERASED_NAME,
) -> tuple[str, bytes]:
    """The pickup list of a buy as CSV (file name, UTF-8 with BOM so spreadsheet apps read Chinese).
    `point_names`: the configured pickup points' names by id (the store does not read the bot's settings);
    `erased_name`: the name shown for a participant who had their data erased (/forgetme), never an empty cell."""
    line, people = await leader_detail(db, group_buy_id, actor_id, is_admin)
    view = line.group_buy
    names = point_names or {}
    point = view.pickup_point or ""
    point_name, point_id = (names[point], point) if point in names else (point, "")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for person in people:
        amount = Money(person.order_total, view.currency).format() if person.order_total is not None else ""
        receive = receive_of(view, person)
        writer.writerow(
            (
                person.user_id,
                _csv_safe(person.name) if person.name.strip() else erased_name,
                _csv_safe(person.username or ""),
                person.quantity,
                receive,
                _csv_safe(point_name) if receive == "pickup" else "",
                point_id if receive == "pickup" else "",
                _csv_safe(person.contact_name or ""),
                _csv_safe(person.phone or ""),
                _csv_safe(person.address or ""),
                person.order_id or "",
                person.order_status or "",
                amount,
            )
        )
    return f"groupbuy-{view.id}-pickup.csv", ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_safe(value: str) -> str:
    """Names are user-controlled: keep spreadsheet apps from reading them as formulas."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


async def commission_balance(db: Database, leader_id: int) -> int:
    async with db.read() as session:
        value = (
            await session.execute(
                select(func.coalesce(func.sum(LeaderCommission.amount), 0)).where(
                    LeaderCommission.leader_id == leader_id
                )
            )
        ).scalar_one()
        return int(value)
