"""A flash-sale change and its audit entry commit or roll back together (SQLite and PostgreSQL): the store
writes the entry in the change's own transaction, so a failure after the change (a crash, here a forced error
just before commit) leaves neither, and a committed change always has its entry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from store import flashsale
from store.db import Database
from store.flashsale import admin as flash_admin
from store.models import utcnow
from store.models.flashsale import FlashSale
from store.models.ops import AuditEntry
from tests.flashsale.helpers import make_product, product_stock, scheduled_sale

ADMIN = 4242


class Crash(Exception):
    """Stands for anything failing after the change was written but before its transaction commits."""


def _crash_before_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    # `_changed` is the last step inside each use case's transaction, after the audit entry was added.
    def boom(session: Any, sale_id: int) -> None:
        raise Crash

    monkeypatch.setattr(flash_admin, "_changed", boom)


async def _audit(db: Database) -> list[tuple[str, int | None, str, str, dict[str, Any] | None]]:
    async with db.read() as session:
        rows = (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
        return [(r.action, r.actor_id, r.actor_role, r.target, r.after) for r in rows]


async def _sales(db: Database) -> int:
    async with db.read() as session:
        return int((await session.execute(select(func.count()).select_from(FlashSale))).scalar_one())


def _spec(starts_in: timedelta = timedelta(minutes=10)) -> flashsale.SaleSpec:
    now = utcnow()
    return flashsale.SaleSpec("FLASH-1", 1990, 10, now + starts_in, now + starts_in + timedelta(hours=1))


async def test_create_commits_with_its_entry(any_db: Database) -> None:
    await make_product(any_db)
    sale = await flashsale.create_sale(any_db, _spec(), actor_id=ADMIN)
    entries = await _audit(any_db)
    assert [e[:4] for e in entries] == [("flash.create", ADMIN, "admin", f"flash:{sale.id}")]
    assert entries[0][4] is not None and entries[0][4]["stock"] == 10 and entries[0][4]["status"] == "scheduled"


async def test_a_failed_create_leaves_neither_sale_nor_entry(any_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    product_id = await make_product(any_db)
    _crash_before_commit(monkeypatch)
    with pytest.raises(Crash):
        await flashsale.create_sale(any_db, _spec(), actor_id=ADMIN)
    assert await _sales(any_db) == 0
    assert await _audit(any_db) == []
    assert await product_stock(any_db, product_id) == 500  # the units never left the product


async def test_a_failed_entry_undoes_the_create(any_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other way round: the change is not kept when its entry cannot be written."""
    await make_product(any_db)

    async def refuse(*args: Any, **kwargs: Any) -> None:
        raise Crash

    monkeypatch.setattr(flash_admin.audit, "record_flash_sale", refuse)
    with pytest.raises(Crash):
        await flashsale.create_sale(any_db, _spec(), actor_id=ADMIN)
    assert await _sales(any_db) == 0


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda db, sid: flashsale.edit_sale(db, sid, flashsale.SaleEdit(stock=25), actor_id=ADMIN), id="edit"
        ),
        pytest.param(lambda db, sid: flashsale.cancel_sale(db, sid, actor_id=ADMIN), id="cancel"),
    ],
)
async def test_a_failed_edit_or_cancel_leaves_the_sale_and_the_log_as_they_were(
    any_db: Database, monkeypatch: pytest.MonkeyPatch, change: Callable[[Database, int], Any]
) -> None:
    product_id = await make_product(any_db)
    sale = await scheduled_sale(any_db, stock=10, created_by=ADMIN)
    before = await _audit(any_db)
    with monkeypatch.context() as patched:
        _crash_before_commit(patched)
        with pytest.raises(Crash):
            await change(any_db, sale.id)
    again = await flashsale.get_sale(any_db, sale.id)
    assert (again.stock, again.status) == (10, "scheduled")
    assert await product_stock(any_db, product_id) == 490
    assert await _audit(any_db) == before
    # Without the failure the same call commits the change and its entry together.
    done = await change(any_db, sale.id)
    entries = await _audit(any_db)
    assert len(entries) == len(before) + 1
    action, actor, role, target, after = entries[-1]
    assert (actor, role, target) == (ADMIN, "admin", f"flash:{sale.id}")
    assert action in ("flash.edit", "flash.cancel")
    assert after is not None and (after["stock"], after["status"]) == (done.stock, done.status)


async def test_the_command_line_is_the_actor_without_one(any_db: Database) -> None:
    await make_product(any_db)
    sale = await flashsale.create_sale(any_db, _spec(), actor_id=None)
    await flashsale.cancel_sale(any_db, sale.id, actor_id=None)
    assert [e[:3] for e in await _audit(any_db)] == [("flash.create", None, "cli"), ("flash.cancel", None, "cli")]
