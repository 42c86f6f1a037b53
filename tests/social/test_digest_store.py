"""The weekly digest's contents and its once-a-week key, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from store.db import Database
from store.models import Chat, OutboxMessage, utcnow
from store.models.groupbuy import GroupBuy, GroupBuyParticipant
from store.models.social import ProductVisit
from store.social import digest
from tests.social.helpers import add_products, bought, make_user, product, product_id

SEEN, JOINED, OLD, STRANGER = 801, 802, 803, 804
LIVELY, QUIET, SILENCED = -5001, -5002, -5003


async def neighbourhood(db: Database) -> None:
    """In LIVELY: one shopper opened a card there, another joined its (closed) group buy, a third bought only
    long ago; a stranger bought without ever being seen there. SILENCED has the same people but turned it off."""
    await add_products(db, product("A"), product("B"), product("C"), product("D"))
    for user in (SEEN, JOINED, OLD, STRANGER):
        await make_user(db, user)
    async with db.tx() as session:
        for chat_id, enabled in ((LIVELY, True), (QUIET, True), (SILENCED, False)):
            session.add(Chat(id=chat_id, type="supergroup", bot_status="administrator", digest_enabled=enabled))
        for chat_id in (LIVELY, SILENCED):
            for user in (SEEN, OLD):
                session.add(ProductVisit(user_id=user, product_id=await product_id(db, "A"), chat_id=chat_id))
            buy = GroupBuy(
                leader_id=SEEN,
                chat_id=chat_id,
                product_id=await product_id(db, "D"),
                status="succeeded",
                currency="CNY",
                base_price=1000,
                tiers=[[2, 800]],
                min_participants=2,
                deadline=utcnow() - timedelta(days=1),
            )
            session.add(buy)
            await session.flush()
            session.add(GroupBuyParticipant(group_buy_id=buy.id, user_id=JOINED))
    await bought(db, SEEN, ["A", "B"], ago=timedelta(days=2))
    await bought(db, JOINED, ["A"], ago=timedelta(days=6))
    await bought(db, JOINED, ["B"], status="pending_payment", ago=timedelta(days=1))  # not bought yet
    await bought(db, OLD, ["C", "C"], ago=timedelta(days=8))  # last week's news
    await bought(db, STRANGER, ["C"], ago=timedelta(days=1))


async def cards(db: Database) -> list[OutboxMessage]:
    async with db.read() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.template == digest.TEMPLATE))
        return list(rows.all())


async def test_members_purchases_of_the_week_once_per_group_and_week(any_db: Database) -> None:
    await neighbourhood(any_db)
    now = utcnow()
    async with any_db.tx() as session:
        built = await digest.build(session, LIVELY, now, "2026-W49")
    assert [(item["sku"], item["buyers"]) for item in built.products] == [("A", 2), ("B", 1)]
    assert built.buys == [] and built.sales == [], "the group buy has closed; no flash sale is coming"

    for _ in range(2):  # a second run in the same week queues nothing
        async with any_db.tx() as session:
            await digest.enqueue_week(session, now, "2026-W49")
    (card,) = await cards(any_db)
    assert card.chat_id == LIVELY and card.user_id is None and card.dedupe_key == f"digest:{LIVELY}:2026-W49"
    assert [item["sku"] for item in card.params["products"]] == ["A", "B"]

    async with any_db.tx() as session:
        assert await digest.enqueue_week(session, now + timedelta(days=7), "2026-W50") == 0, "nothing new"

    assert await digest.set_enabled(any_db, SILENCED, True)
    async with any_db.tx() as session:
        assert await digest.enqueue_week(session, now, "2026-W49") == 1  # the group turned back on
    assert {c.chat_id for c in await cards(any_db)} == {LIVELY, SILENCED}
    assert not await digest.set_enabled(any_db, -1, False), "a group the shop does not know"
