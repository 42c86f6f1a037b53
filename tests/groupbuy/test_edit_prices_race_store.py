"""A published buy's prices change until the first join (issue 14), on SQLite and PostgreSQL: checked by the
rules publishing uses, audited, and ordered against joins by the buy's row lock: a join either comes after the
change and sees the new prices, or comes first and the change is refused. Never a participant who joined under
prices that changed afterwards."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from store import groupbuy
from store.db import Database
from store.errors import DomainError, Forbidden
from store.groupbuy import Tier, TiersLocked
from store.groupbuy import leader as leader_module
from store.models.ops import AuditEntry
from tests.groupbuy.helpers import make_product, make_users, publish

OLD = (Tier(3, 9000),)
NEW = (Tier(2, 8500), Tier(5, 8000))


async def _audit_rows(db: Database, group_buy_id: int) -> list[AuditEntry]:
    async with db.read() as session:
        query = select(AuditEntry).where(
            AuditEntry.action == "groupbuy.tiers", AuditEntry.target == f"groupbuy:{group_buy_id}"
        )
        return list((await session.execute(query)).scalars().all())


async def test_prices_change_while_nobody_joined_with_the_publishing_rules_and_an_audit_entry(
    any_db: Database,
) -> None:
    await make_users(any_db, [1, 2, 11])
    product_id = await make_product(any_db, stock=20, price=10000)
    buy = await publish(any_db, product_id, minimum=2, maximum=10, per_person=2, tiers=OLD)

    view = await groupbuy.set_tiers(any_db, buy.id, 1, False, NEW)
    assert view.tiers == NEW and (await groupbuy.get(any_db, buy.id)).tiers == NEW
    (entry,) = await _audit_rows(any_db, buy.id)
    assert entry.actor_id == 1 and entry.actor_role == "leader"
    assert entry.before == {"tiers": [[3, 9000]]} and entry.after == {"tiers": [[2, 8500], [5, 8000]]}

    # The same checks as publishing: cheaper than the regular price, ordered, reachable within the maximum.
    refusals = {
        "gb_tier_not_cheaper": (Tier(2, 10000),),
        "gb_tiers_order": (Tier(2, 8000), Tier(5, 8500)),
        "gb_tier_unreachable": (Tier(12, 8000),),
    }
    for code, tiers in refusals.items():
        with pytest.raises(DomainError) as refused:
            await groupbuy.set_tiers(any_db, buy.id, 1, False, tiers)
        assert refused.value.code == code
    with pytest.raises(Forbidden):
        await groupbuy.set_tiers(any_db, buy.id, 2, False, OLD)
    assert (await groupbuy.get(any_db, buy.id)).tiers == NEW
    assert len(await _audit_rows(any_db, buy.id)) == 1, "a refused change leaves no entry"

    # After the first join the prices are what people joined under.
    assert (await groupbuy.join(any_db, buy.id, 11)).status == "joined"
    with pytest.raises(TiersLocked):
        await groupbuy.set_tiers(any_db, buy.id, 1, False, OLD)
    assert (await groupbuy.get(any_db, buy.id)).tiers == NEW


async def test_a_join_waits_for_a_change_in_progress_and_joins_at_the_new_prices(
    any_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The change holds the buy's row (FOR UPDATE on PostgreSQL, the writer lock on SQLite) while it checks
    that nobody joined; a join arriving meanwhile waits, then joins under the new prices."""
    await make_users(any_db, [1, 11])
    product_id = await make_product(any_db, stock=20)
    buy = await publish(any_db, product_id, minimum=2, tiers=OLD)
    inside, release = asyncio.Event(), asyncio.Event()
    participation = leader_module.participation

    async def slow_participation(session: object, group_buy_id: int) -> leader_module.Participation:
        inside.set()
        await release.wait()
        return await participation(session, group_buy_id)  # type: ignore[arg-type]

    monkeypatch.setattr(leader_module, "participation", slow_participation)
    change = asyncio.create_task(groupbuy.set_tiers(any_db, buy.id, 1, False, NEW))
    await asyncio.wait_for(inside.wait(), timeout=5)
    joining = asyncio.create_task(groupbuy.join(any_db, buy.id, 11))
    await asyncio.sleep(0.3)
    assert not joining.done(), "the join waits for the row the change holds"
    release.set()
    assert (await change).tiers == NEW
    result = await asyncio.wait_for(joining, timeout=10)
    assert result.status == "joined" and result.group_buy.tiers == NEW


async def test_join_and_price_change_racing_never_leave_a_participant_under_changed_prices(any_db: Database) -> None:
    users = list(range(100, 112))
    await make_users(any_db, [1, *users])
    product_id = await make_product(any_db, stock=200)
    outcomes: set[str] = set()
    for user_id in users:
        buy = await publish(any_db, product_id, minimum=2, tiers=OLD)
        joined, changed = await asyncio.gather(
            groupbuy.join(any_db, buy.id, user_id),
            groupbuy.set_tiers(any_db, buy.id, 1, False, NEW),
            return_exceptions=True,
        )
        assert isinstance(joined, groupbuy.JoinResult) and joined.status == "joined", joined
        final = await groupbuy.get(any_db, buy.id)
        if isinstance(changed, TiersLocked):
            outcomes.add("refused")
            assert final.tiers == OLD and joined.group_buy.tiers == OLD
            assert await _audit_rows(any_db, buy.id) == []
        else:
            assert isinstance(changed, groupbuy.GroupBuyView), changed
            outcomes.add("changed")
            assert final.tiers == NEW and joined.group_buy.tiers == NEW, "the join saw the prices it joined under"
            assert len(await _audit_rows(any_db, buy.id)) == 1
        assert final.joined == 1
    assert outcomes, "every round ends one of the two ways"
