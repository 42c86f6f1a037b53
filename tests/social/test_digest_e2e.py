"""The weekly group digest through the real bot, the scheduler, the paced outbox and the emulator: what the
group's members bought this week, its open group buys and coming flash sales, in the group's language; once a
week per group; nothing for a group with nothing to show; the group's admins (only they) switch it off and on."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot import social
from bot.emulator.client import ChatHandle, MessageView, UserHandle
from bot.jobs import digest as digest_jobs
from bot.sandbox import Stack
from store import scheduling
from store.models import Chat, OutboxMessage, ScheduledJob, utcnow
from store.models.flashsale import FlashSale
from store.models.groupbuy import GroupBuy
from store.social import digest
from tests.social.helpers import bought, make_user, product_id

pytestmark = pytest.mark.seeded

NEIGHBOURS = range(710_001, 710_004)
STRANGER = 710_100


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [button.text for row in message.buttons for button in row]


async def started(shop: Stack, name: str, lang: str) -> UserHandle:
    user = await shop.client.user(name, lang=lang)
    await user.send("/start")
    return user


async def week_of_history(shop: Stack, group: ChatHandle, leader: int) -> None:
    """Three people seen in the group bought Pu'er this week (two also Oolong); one bought Longjing a month ago;
    a shopper never seen in the group bought tissue. The group has an open group buy of Longjing and a flash
    sale of detergent for this group starts in two days; another flash sale is only for some other group."""
    rec = social.recommender(shop.app.ctx)
    for user in NEIGHBOURS:
        await make_user(shop.db, user)
        rec.note_visit(user, await product_id(shop.db, "TEA-PUER"), group.id)
        await bought(shop.db, user, ["TEA-PUER"], ago=timedelta(days=2))
    for user in list(NEIGHBOURS)[:2]:
        await bought(shop.db, user, ["TEA-OOLONG"], ago=timedelta(days=3))
    await bought(shop.db, NEIGHBOURS[0], ["TEA-LONGJING"], ago=timedelta(days=30))
    await make_user(shop.db, STRANGER)
    await bought(shop.db, STRANGER, ["HOM-TISSUE", "HOM-TISSUE"], ago=timedelta(days=1))
    await rec.flush_visits()
    now = utcnow()
    async with shop.db.tx() as session:
        session.add(
            GroupBuy(
                leader_id=leader,
                chat_id=group.id,
                product_id=await product_id(shop.db, "TEA-LONGJING"),
                status="open",
                currency="CNY",
                base_price=10000,
                tiers=[[3, 9000], [5, 8000]],
                min_participants=3,
                deadline=now + timedelta(days=3),
                joined=1,
            )
        )
        for sku, groups in (("HOM-DETERGENT", [group.id]), ("HOM-TISSUE", [-1])):
            session.add(
                FlashSale(
                    product_id=await product_id(shop.db, sku),
                    price=990,
                    currency="CNY",
                    stock=5,
                    starts_at=now + timedelta(days=2),
                    ends_at=now + timedelta(days=2, hours=1),
                    groups=groups,
                )
            )


async def digest_job(shop: Stack) -> ScheduledJob:
    async with shop.db.read() as session:
        return (
            await session.execute(
                select(ScheduledJob).where(ScheduledJob.kind == digest_jobs.KIND, ScheduledJob.status == "pending")
            )
        ).scalar_one()


async def fire_digest(shop: Stack, run_at: datetime | None = None) -> ScheduledJob:
    """The pending weekly event, made due now (on time, not missed), fired."""
    job = await digest_job(shop)
    async with shop.db.tx() as session:
        row = await session.get(ScheduledJob, job.id)
        assert row is not None
        row.run_at = run_at or utcnow()
        # Its key named the day it was meant for; the chain's next link may now fall on that day.
        row.key = f"{digest_jobs.KIND}:moved-{row.id}"
    await fire_due(shop, job.id)
    return job


async def fire_due(shop: Stack, job_id: int) -> None:
    """Fire an event made due by the test. The scheduler's sweep (every 0.2 s here) may take a due row first;
    then this waits for that run to finish instead: either way the event ran exactly once."""
    assert shop.app.scheduler is not None
    if await shop.app.scheduler.fire(job_id):
        return
    for _ in range(200):
        async with shop.db.read() as session:
            status = await session.scalar(select(ScheduledJob.status).where(ScheduledJob.id == job_id))
        if status != "running":
            break
        await asyncio.sleep(0.05)
    assert status == "done", f"the event ended {status}"


async def cards(shop: Stack, chat_id: int | None = None) -> list[OutboxMessage]:
    async with shop.db.read() as session:
        query = select(OutboxMessage).where(OutboxMessage.template == digest.TEMPLATE)
        if chat_id is not None:
            query = query.where(OutboxMessage.chat_id == chat_id)
        return list((await session.scalars(query.order_by(OutboxMessage.id))).all())


async def card_in(shop: Stack, member: UserHandle, group: ChatHandle, words: str) -> MessageView:
    async def shown() -> MessageView | None:
        for message in reversed(await member.messages(chat=group)):
            if message.from_bot and words in (message.text or ""):
                return message
        return None

    found: MessageView = await shop.client.wait_for(shown, timeout=10)
    return found


@pytest.mark.parametrize(
    ("group_lang", "tapper_lang", "title", "puer", "buy", "flash", "turn_off", "turn_on", "off_toast", "only"),
    [
        (
            "en",
            "zh",
            "What's hot this week",
            "Pu'er",
            "Group buys open here",
            "Flash sales coming up",
            "Turn off the weekly digest",
            "Turn on the weekly digest",
            "本群的每周精选已关闭",
            "Only the group's admins",
        ),
        (
            "zh",
            "en",
            "本周热门",
            "普洱",
            "本群进行中的拼团",
            "即将开始的秒杀",
            "关闭每周精选",
            "开启每周精选",
            "The weekly digest is off for this group",
            "只有群管理员",
        ),
    ],
)
async def test_weekly_digest_in_the_groups_language_once_a_week_and_admins_switch_it(
    shop: Stack,
    group_lang: str,
    tapper_lang: str,
    title: str,
    puer: str,
    buy: str,
    flash: str,
    turn_off: str,
    turn_on: str,
    off_toast: str,
    only: str,
) -> None:
    await shop.client.set_flood_limits(False)
    owner = await started(shop, "Olga", group_lang)  # adds the bot: the group speaks her language
    admin = await started(shop, "Carl", tapper_lang)
    member = await started(shop, "Mia", "zh" if tapper_lang == "en" else "en")
    group = await shop.client.group("Neighbours", members=[owner, admin, member], bot_admin=True)
    await group.set_member(admin, "administrator")
    quiet = await shop.client.group("Quiet corner", members=[owner], bot_admin=True)
    await week_of_history(shop, group, owner.id)

    job = await fire_digest(shop)
    card = await card_in(shop, member, group, title)
    text = card.text or ""
    assert puer in text and buy in text and flash in text, text
    assert "3" in text.split("\n")[3], "three members bought Pu'er"  # the first product line
    assert "Tissue" not in text and "纸巾" not in text.split(flash)[0], "a stranger's purchases are not the group's"
    assert ("Longjing" in text.split(buy)[1]) or ("龙井" in text.split(buy)[1]), "the open group buy"
    sales = text.split(flash)[1]
    assert ("detergent" in sales or "洗衣液" in sales) and not ("Tissue" in sales or "纸巾" in sales), sales
    assert any(turn_off in label for label in labels(card))
    assert await cards(shop, quiet.id) == [], "a group with nothing to show gets no card"
    # The chain goes on: the next event waits at the configured weekday and hour (shop time), within a week.
    # (This one was made due "now", whatever the weekday, so the next may be fewer than seven days away.)
    following = await digest_job(shop)
    now = utcnow()
    local = following.run_at.astimezone(ZoneInfo(shop.settings.shop.timezone))
    assert following.id != job.id and now < following.run_at <= now + timedelta(days=7)
    assert (local.weekday(), local.hour) == (shop.settings.digest.weekday, shop.settings.digest.hour)

    # The same week again (a restart at the scheduled minute, a second process): no second card.
    async with shop.db.tx() as session:
        await scheduling.schedule(session, digest_jobs.KIND, "again", job.run_at, key="group_digest:again")
    async with shop.db.read() as session:
        repeat = (
            await session.execute(select(ScheduledJob).where(ScheduledJob.key == "group_digest:again"))
        ).scalar_one()
    async with shop.db.tx() as session:
        row = await session.get(ScheduledJob, repeat.id)
        assert row is not None
        row.run_at = utcnow()
    await fire_due(shop, repeat.id)
    assert len(await cards(shop, group.id)) == 1

    # A member who is not a Telegram admin of the group cannot switch it off, whatever the shop thinks of them.
    tapped = await member.tap(turn_off, message=card, chat=group)
    assert tapped.toast is not None and tapped.toast.show_alert and only in (tapped.toast.text or "")
    async with shop.db.read() as session:
        assert await session.scalar(select(Chat.digest_enabled).where(Chat.id == group.id)) is True

    # An admin can: the toast speaks the admin's language, the card's button the group's, edited in place.
    tapped = await admin.tap(turn_off, message=card, chat=group)
    assert tapped.toast is not None and off_toast in (tapped.toast.text or "")
    redrawn = await card_in(shop, member, group, title)
    assert redrawn.message_id == card.message_id
    shown = labels(redrawn)
    assert any(turn_on in label for label in shown) and not any(turn_off in label for label in shown)
    assert not await digest.is_enabled(shop.db, group.id)

    # Next week: nothing for the group that turned it off.
    await fire_digest(shop, utcnow() + timedelta(days=7))
    assert len(await cards(shop, group.id)) == 1

    # And back on from the same card.
    await admin.tap(turn_on, message=redrawn, chat=group)
    assert await digest.is_enabled(shop.db, group.id)
    assert any(turn_off in label for label in labels(await card_in(shop, member, group, title)))


async def test_a_second_start_at_the_scheduled_minute_keeps_one_event(shop: Stack) -> None:
    """Start-up hooks run again after a restart: a due event is left to fire, and no second one is added."""
    job = await digest_job(shop)
    async with shop.db.tx() as session:
        row = await session.get(ScheduledJob, job.id)
        assert row is not None
        row.run_at = utcnow() - timedelta(seconds=5)
    assert shop.app.scheduler is not None
    await digest_jobs.ensure_weekly_digest(shop.app.ctx, shop.app.scheduler)
    async with shop.db.read() as session:
        pending = await session.scalar(
            select(func.count())
            .select_from(ScheduledJob)
            .where(ScheduledJob.kind == digest_jobs.KIND, ScheduledJob.status == "pending")
        )
    assert pending == 1
