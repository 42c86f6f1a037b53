"""The ticket store on SQLite and PostgreSQL: topics reused, assignment, closing, ratings, transcripts,
history trimming, canned replies, SLA scheduling and statistics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from store import support, users
from store.db import Database
from store.errors import Conflict, DomainError, Forbidden
from store.models import Order, ScheduledJob, utcnow
from store.models.support import SupportTicket

SHOPPER, OTHER, AGENT, AGENT2 = 501, 502, 601, 602
SUPPORT_CHAT = -100777


async def _people(db: Database) -> None:
    for uid, name in ((SHOPPER, "Alice"), (OTHER, "Bob"), (AGENT, "Sam"), (AGENT2, "Tess")):
        await users.ensure_user(db, uid, name, None, None, "en")


async def _open(db: Database, user_id: int = SHOPPER, **kw: object) -> support.OpenResult:
    return await support.open_ticket(db, user_id, support_chat_id=SUPPORT_CHAT, take_sla_minutes=10, **kw)  # type: ignore[arg-type]


async def _jobs(db: Database) -> dict[str, tuple[str, object]]:
    async with db.read() as session:
        rows = (await session.execute(select(ScheduledJob))).scalars().all()
        return {r.key: (r.status, r.run_at) for r in rows}


async def test_open_reuses_active_ticket_and_topic(any_db: Database) -> None:
    await _people(any_db)
    first = await _open(any_db)
    assert first.created and first.ticket.status == "open" and first.ticket.thread_id is None
    again = await _open(any_db)
    assert not again.created and again.ticket.id == first.ticket.id  # a double tap opens one ticket

    await support.set_topic(any_db, SHOPPER, SUPPORT_CHAT, 42)
    assert (await support.get_ticket(any_db, first.ticket.id)).thread_id == 42
    assert await support.ticket_in_topic(any_db, SUPPORT_CHAT, 42) == (
        SHOPPER,
        await support.get_ticket(any_db, first.ticket.id),
    )

    await support.close(any_db, first.ticket.id, closed_by=AGENT, reason="agent")
    second = await _open(any_db)
    assert second.created and second.ticket.id != first.ticket.id
    assert second.ticket.thread_id == 42  # the shopper's topic is reused
    # another support chat (config changed): no topic there yet
    await support.close(any_db, second.ticket.id, closed_by=AGENT, reason="agent")
    moved = await support.open_ticket(any_db, SHOPPER, support_chat_id=-100888, take_sla_minutes=10)
    assert moved.ticket.thread_id is None


async def test_one_active_ticket_per_shopper_is_enforced_by_the_database(any_db: Database) -> None:
    await _people(any_db)
    await _open(any_db)
    with pytest.raises(Exception):  # noqa: B017  (IntegrityError from either driver)
        async with any_db.tx() as session:
            session.add(SupportTicket(user_id=SHOPPER, status="open", reason="request"))


async def test_assign_take_and_reassign(any_db: Database) -> None:
    await _people(any_db)
    ticket = (await _open(any_db)).ticket
    jobs = await _jobs(any_db)
    assert jobs[f"support_take:{ticket.id}"][0] == "pending"

    taken, changed = await support.assign(any_db, ticket.id, AGENT, by=AGENT)
    assert changed and taken.status == "taken" and taken.assignee_id == AGENT and taken.taken_at is not None
    assert (await _jobs(any_db))[f"support_take:{ticket.id}"][0] == "cancelled"

    same, changed = await support.assign(any_db, ticket.id, AGENT, by=AGENT)
    assert not changed and same.assignee_id == AGENT

    moved, changed = await support.assign(any_db, ticket.id, AGENT2, by=AGENT)
    assert changed and moved.assignee_id == AGENT2 and moved.taken_at == taken.taken_at

    await support.close(any_db, ticket.id, closed_by=AGENT2, reason="agent")
    with pytest.raises(Conflict):
        await support.assign(any_db, ticket.id, AGENT, by=AGENT)


async def test_close_is_idempotent_and_rating_belongs_to_the_shopper(any_db: Database) -> None:
    await _people(any_db)
    ticket = (await _open(any_db)).ticket
    with pytest.raises(Conflict):
        await support.rate(any_db, ticket.id, SHOPPER, 5)  # still open
    closed = await support.close(any_db, ticket.id, closed_by=AGENT, reason="agent")
    assert closed is not None and closed.status == "closed" and closed.closed_at is not None
    assert await support.close(any_db, ticket.id, closed_by=AGENT, reason="agent") is None

    with pytest.raises(Forbidden):
        await support.rate(any_db, ticket.id, OTHER, 1)
    with pytest.raises(DomainError):
        await support.rate(any_db, ticket.id, SHOPPER, 6)
    assert await support.rate(any_db, ticket.id, SHOPPER, 4) is True
    assert await support.rate(any_db, ticket.id, SHOPPER, 1) is False  # a second tap changes nothing
    await support.comment(any_db, ticket.id, SHOPPER, "  quick and kind  ")
    with pytest.raises(Forbidden):
        await support.comment(any_db, ticket.id, OTHER, "spam")
    async with any_db.read() as session:
        row = await session.get(SupportTicket, ticket.id)
        assert row is not None and row.rating == 4 and row.rating_comment == "quick and kind"


async def test_reply_sla_starts_with_the_first_unanswered_message(any_db: Database) -> None:
    await _people(any_db)
    ticket = (await _open(any_db)).ticket
    key = f"support_reply:{ticket.id}"
    await support.record_shopper_message(any_db, ticket.id, SHOPPER, kind="text", text="hello?", reply_sla_minutes=15)
    assert key not in await _jobs(any_db)  # nobody took it yet: the take SLA covers that

    await support.assign(any_db, ticket.id, AGENT, by=AGENT)
    before = utcnow()
    await support.record_shopper_message(any_db, ticket.id, SHOPPER, kind="text", text="anyone?", reply_sla_minutes=15)
    status, run_at = (await _jobs(any_db))[key]
    assert status == "pending"
    assert timedelta(minutes=14) < run_at - before < timedelta(minutes=16)  # type: ignore[operator]
    await support.record_shopper_message(any_db, ticket.id, SHOPPER, kind="photo", text="", reply_sla_minutes=15)
    assert (await _jobs(any_db))[key][1] == run_at  # a second message does not push the deadline

    await support.record_agent_message(any_db, ticket.id, AGENT, kind="text", text="note", note=True)
    assert (await _jobs(any_db))[key][0] == "pending"  # an internal note answers nobody
    await support.record_agent_message(any_db, ticket.id, AGENT, kind="text", text="Hi!", note=False)
    assert (await _jobs(any_db))[key][0] == "cancelled"
    info = await support.get_ticket(any_db, ticket.id)
    assert info.first_response_at is not None
    lines = await support.transcript(any_db, ticket.id)
    assert [(line.role, line.kind) for line in lines] == [
        ("shopper", "text"),
        ("shopper", "text"),
        ("shopper", "photo"),
        ("note", "text"),
        ("agent", "text"),
    ]


async def test_sla_checks_follow_the_ticket_state(any_db: Database) -> None:
    await _people(any_db)
    ticket = (await _open(any_db)).ticket
    async with any_db.tx() as session:
        assert (await support.untaken_ticket(session, ticket.id)) is not None
        assert (await support.unanswered_ticket(session, ticket.id)) is None
    await support.assign(any_db, ticket.id, AGENT, by=AGENT)
    await support.record_shopper_message(any_db, ticket.id, SHOPPER, kind="text", text="?", reply_sla_minutes=1)
    async with any_db.tx() as session:
        assert (await support.untaken_ticket(session, ticket.id)) is None
        found = await support.unanswered_ticket(session, ticket.id)
        assert found is not None and found[0].assignee_id == AGENT
        assert not await support.shopper_unreachable(session, SHOPPER)
    await users.mark_unreachable(any_db, SHOPPER)
    async with any_db.tx() as session:
        assert await support.shopper_unreachable(session, SHOPPER)
        assert await support.close_in_session(session, ticket.id, reason="blocked")
        assert not await support.close_in_session(session, ticket.id, reason="blocked")
    assert (await support.get_ticket(any_db, ticket.id)).close_reason == "blocked"


async def test_history_is_trimmed_and_misses_counted(any_db: Database) -> None:
    await _people(any_db)
    for i in range(30):
        await support.record_turn(any_db, SHOPPER, "shopper", f"q{i}")
        await support.record_turn(any_db, SHOPPER, "bot", f"a{i}", "delivery_cost")
    await support.record_turn(any_db, OTHER, "shopper", "mine")
    turns = await support.recent_turns(any_db, SHOPPER)
    assert len(turns) == support.HISTORY_KEEP
    assert turns[-1].text == "a29" and turns[0].text == "q20"
    assert len(await support.recent_turns(any_db, OTHER)) == 1
    assert await support.consecutive_misses(any_db, SHOPPER) == 0
    turn_id = await support.record_turn(any_db, SHOPPER, "shopper", "blah")
    await support.record_turn(any_db, SHOPPER, "bot", "rephrase?", "fallback_rephrase")
    assert await support.consecutive_misses(any_db, SHOPPER) == 1
    await support.record_turn(any_db, SHOPPER, "shopper", "blah blah")
    await support.record_turn(any_db, SHOPPER, "bot", "human?", "fallback_human")
    assert await support.consecutive_misses(any_db, SHOPPER) == 2
    await support.record_turn(any_db, SHOPPER, "bot", "Delivery is ¥8", "delivery_cost")
    assert await support.consecutive_misses(any_db, SHOPPER) == 0
    assert (await support.get_turn(any_db, turn_id, SHOPPER)) is not None
    assert (await support.get_turn(any_db, turn_id, OTHER)) is None  # another shopper's search button


async def test_snapshot_shows_orders_cart_and_conversation(any_db: Database) -> None:
    await _people(any_db)
    async with any_db.tx() as session:
        for i, status in enumerate(("delivered", "paid", "pending_payment", "cancelled")):
            session.add(
                Order(
                    user_id=SHOPPER,
                    status=status,
                    currency="CNY",
                    subtotal=1000 * (i + 1),
                    total=1000 * (i + 1),
                    payment_method="card",
                    delivery_method="delivery",
                    created_at=utcnow() - timedelta(days=10 - i),
                )
            )
    await support.record_turn(any_db, SHOPPER, "shopper", "where is my order")
    snap = await support.snapshot(any_db, SHOPPER)
    assert snap.first_name == "Alice" and snap.language == "en"
    assert [o.status for o in snap.orders] == ["cancelled", "pending_payment", "paid"]  # newest three
    assert snap.cart == [] and [t.text for t in snap.turns] == ["where is my order"]
    assert await support.order_of(any_db, OTHER, snap.orders[0].id) is None


async def test_canned_replies(any_db: Database) -> None:
    assert await support.save_canned(any_db, "Hello", "Hi there!", "您好！", by=AGENT) is True
    assert await support.save_canned(any_db, "hello", "Hello!", "你好！", by=AGENT) is False
    found = await support.get_canned(any_db, "HELLO")
    assert found is not None and found.text("en") == "Hello!" and found.text("zh") == "你好！"
    with pytest.raises(DomainError):
        await support.save_canned(any_db, "two words", "a", "b", by=AGENT)
    with pytest.raises(DomainError):
        await support.save_canned(any_db, "x", "only english", " ", by=AGENT)
    assert [c.name for c in await support.list_canned(any_db)] == ["hello"]
    assert await support.delete_canned(any_db, "hello") is True
    assert await support.delete_canned(any_db, "hello") is False


async def test_stats_over_a_period(any_db: Database) -> None:
    await _people(any_db)
    now = utcnow()
    a = (await _open(any_db, SHOPPER)).ticket
    b = (await _open(any_db, OTHER)).ticket
    async with any_db.tx() as session:
        # a: opened 2 h ago, first reply after 10 min, closed after 1 h, rated 5
        await session.execute(
            update(SupportTicket)
            .where(SupportTicket.id == a.id)
            .values(
                opened_at=now - timedelta(hours=2),
                first_response_at=now - timedelta(hours=2) + timedelta(minutes=10),
                status="closed",
                closed_at=now - timedelta(hours=1),
                close_reason="agent",
                rating=5,
            )
        )
        # b: opened 20 minutes ago, answered after 20 min... still open
        await session.execute(
            update(SupportTicket)
            .where(SupportTicket.id == b.id)
            .values(opened_at=now - timedelta(minutes=40), first_response_at=now - timedelta(minutes=20))
        )
        # an old ticket outside the 7-day window
        session.add(
            SupportTicket(
                user_id=SHOPPER,
                status="closed",
                reason="request",
                opened_at=now - timedelta(days=20),
                closed_at=now - timedelta(days=20) + timedelta(hours=5),
                close_reason="agent",
                rating=1,
            )
        )
    week = await support.stats(any_db, 7)
    assert (week.opened, week.open_now, week.closed, week.rated) == (2, 1, 1, 1)
    assert week.avg_first_response_seconds == pytest.approx(15 * 60, abs=2)
    assert week.avg_resolution_seconds == pytest.approx(3600, abs=2)
    assert week.avg_rating == 5
    month = await support.stats(any_db, 30)
    assert (month.opened, month.rated) == (3, 2)
    assert month.avg_rating == 3
    assert month.avg_resolution_seconds == pytest.approx((3600 + 5 * 3600) / 2, abs=2)
