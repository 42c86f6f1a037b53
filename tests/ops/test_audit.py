"""The staff audit log: role grants, stock adjustments and order moves by staff are recorded with who,
before/after and when (buyers' own moves are not staff actions); the CSV export; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from store import audit, catalog, checkout, orders, users
from store.db import Database
from tests.orders.helpers import POLICY, card_pickup, fill_cart, make_product, make_users

ADMIN = 900_000_001


async def test_staff_actions_are_recorded(any_db: Database) -> None:
    await make_users(any_db, [1, 2])
    tea = await make_product(any_db, "TEA-1", stock=5)
    assert await users.grant_role(any_db, 2, "leader", granted_by=ADMIN)
    assert not await users.grant_role(any_db, 2, "leader", granted_by=ADMIN)  # no change, no entry
    assert await users.revoke_role(any_db, 2, "leader", revoked_by=ADMIN)
    assert await catalog.adjust_stock(any_db, "TEA-1", -2, actor_id=ADMIN) == 3
    await fill_cart(any_db, 1, {tea: 1})
    placed = await checkout.place_order(any_db, card_pickup(1), POLICY)  # the buyer's act: not audited
    await orders.admin_transition(any_db, placed.order_id, orders.CANCELLED, ADMIN)

    entries = await audit.latest(any_db, 10)
    assert [(e.actor_id, e.actor_role, e.action, e.target) for e in entries] == [
        (ADMIN, "admin", "order.cancelled", f"order:{placed.order_id}"),
        (ADMIN, "admin", "stock.adjust", "product:TEA-1"),
        (ADMIN, "admin", "role.revoke", "user:2"),
        (ADMIN, "admin", "role.grant", "user:2"),
    ]
    cancelled, adjusted = entries[0], entries[1]
    assert cancelled.before == {"status": "pending_payment"} and cancelled.after is not None
    assert cancelled.after["status"] == "cancelled" and cancelled.after["total"] == 2500
    assert (adjusted.before, adjusted.after) == ({"stock": 5}, {"stock": 3})
    # Paging back by id.
    older = await audit.latest(any_db, 2, before_id=entries[1].id)
    assert [e.action for e in older] == ["role.revoke", "role.grant"]


def test_csv_export_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import main
    from tests.conftest import ROOT

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    config = str(ROOT / "config.yaml")
    assert main(["--config", config, "admin", "grant", "support", "42"]) == 0
    out = tmp_path / "audit.csv"
    assert main(["--config", config, "audit", "export", "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 1
    row = rows[0]
    assert (row["actor_id"], row["actor_role"], row["action"], row["target"]) == ("", "cli", "role.grant", "user:42")
    assert json.loads(row["after"]) == {"role": "support"}
    assert (
        main(["--config", config, "audit", "export", "--from", "2000-01-01", "--to", "2000-01-02", "--out", str(out)])
        == 0
    )
    assert len(list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))) == 0
