"""A buy's life: publishing it with its deadline event, the card it is shown on, the countdown ticks, and
closing it once (succeeded: an order per participant at the final tier price; failed: every unit back)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import notify, orders, privacy, scheduling
from store.db import Database, rowcount
from store.errors import Conflict
from store.groupbuy.parsing import DeadlineChoice, GroupBuySpec, publish_deadline
from store.groupbuy.participants import return_units, saved_contact
from store.groupbuy.rules import (
    DEADLINE_JOB,
    FAILED,
    OPEN,
    SOURCE,
    SUCCEEDED,
    TICK_JOB,
    GroupBuyPolicy,
    check_setup,
    commission_of,
    price_for,
)
from store.groupbuy.views import (
    GroupBuyView,
    contact_of,
    load,
    load_product,
    pays_on_pickup,
    refuse_digital,
    view_of,
)
from store.growth import tiers
from store.models import utcnow
from store.models.groupbuy import GroupBuy, GroupBuyParticipant


async def publish(db: Database, leader_id: int, spec: GroupBuySpec, policy: GroupBuyPolicy) -> GroupBuyView:
    """Open the group buy (the leader's role was checked by the bot) and schedule its deadline."""
    now = utcnow()
    async with db.tx() as session:
        product = await load_product(session, spec.product_id)
        if not product.active or product.stock <= 0:
            raise Conflict("gb_product_unavailable")
        refuse_digital(product)  # paid in Telegram Stars only, while a group buy is paid by card or on pickup
        tiers = sorted(spec.tiers, key=lambda tier: tier.min_participants)
        check_setup(
            tiers, product.money, spec.min_participants, spec.max_participants, spec.per_person_limit, product.stock
        )
        deadline = publish_deadline(
            DeadlineChoice(duration=spec.duration, at=spec.deadline), now, policy.max_duration_days
        )
        row = GroupBuy(
            leader_id=leader_id,
            chat_id=spec.chat_id,
            message_thread_id=spec.message_thread_id,
            product_id=product.id,
            status=OPEN,
            currency=product.currency,
            base_price=product.price,
            tiers=[[tier.min_participants, tier.unit_price] for tier in tiers],
            min_participants=spec.min_participants,
            max_participants=spec.max_participants,
            per_person_limit=spec.per_person_limit,
            deadline=deadline,
            pickup_point=spec.pickup_point,
            joined=0,
            commission_bp=round(policy.commission_percent * 100),
            lang=spec.lang,
            card_has_photo=False,
        )
        session.add(row)
        await session.flush()
        await scheduling.schedule(session, DEADLINE_JOB, row.id, deadline)
        first_tick = now + timedelta(seconds=policy.countdown_refresh_seconds)
        if first_tick < deadline:
            await schedule_tick(session, row.id, first_tick, 0)
        return view_of(row, product)


async def attach_card(db: Database, group_buy_id: int, message_id: int, has_photo: bool) -> None:
    async with db.tx() as session:
        await session.execute(
            update(GroupBuy)
            .where(GroupBuy.id == group_buy_id)
            .values(card_message_id=message_id, card_has_photo=has_photo)
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True)
class CloseOutcome:
    status: str  # succeeded | failed | cancelled | noop (already closed)
    group_buy: GroupBuyView
    order_ids: tuple[int, ...] = ()


async def close(session: AsyncSession, group_buy_id: int, policy: GroupBuyPolicy) -> CloseOutcome:
    """The deadline (or a full buy): succeeded when the minimum was reached, else failed. Runs once."""
    result = await session.execute(
        update(GroupBuy)
        .where(GroupBuy.id == group_buy_id, GroupBuy.status == OPEN)
        .values(
            status=case((GroupBuy.joined >= GroupBuy.min_participants, SUCCEEDED), else_=FAILED),
            closed_at=utcnow(),
        )
        .returning(GroupBuy.status)
        .execution_options(synchronize_session=False)
    )
    row = result.first()
    view = await load(session, group_buy_id)
    if row is None:
        return CloseOutcome("noop", view)
    await cancel_ticks(session, group_buy_id)
    if row[0] == SUCCEEDED:
        return await _succeed(session, view, policy)
    units = await release_all(session, view, FAILED)
    await _tell_leader(session, view, FAILED, units)
    return CloseOutcome(FAILED, view)


async def close_full(db: Database, group_buy_id: int, policy: GroupBuyPolicy) -> CloseOutcome:
    """A join took the last place: the buy closes now, in this transaction, exactly as at its deadline, so the
    last joiner is answered with the order they got rather than with choices that no longer apply. The deadline
    event the join moved to "now" is withdrawn (it stays the safety net should this call never come). `noop`
    when the event closed it first, or when it is no longer full (someone left meanwhile: the event, still due
    now, closes it as before)."""
    async with db.tx() as session:
        # The same row lock as joins and leaves take (participants._lock_open), on the full buy only.
        locked = await session.execute(
            update(GroupBuy)
            .where(
                GroupBuy.id == group_buy_id,
                GroupBuy.status == OPEN,
                GroupBuy.max_participants.is_not(None),
                GroupBuy.joined >= GroupBuy.max_participants,
            )
            .values(joined=GroupBuy.joined)
            .execution_options(synchronize_session=False)
        )
        if rowcount(locked) != 1:
            return CloseOutcome("noop", await load(session, group_buy_id))
        await scheduling.cancel(session, f"{DEADLINE_JOB}:{group_buy_id}")
        return await close(session, group_buy_id, policy)


async def _succeed(session: AsyncSession, view: GroupBuyView, policy: GroupBuyPolicy) -> CloseOutcome:
    unit_price = price_for(view.tiers, view.base_price, view.joined)
    await session.execute(
        update(GroupBuy)
        .where(GroupBuy.id == view.id)
        .values(final_price=unit_price)
        .execution_options(synchronize_session=False)
    )
    view = replace(view, final_price=unit_price)
    now = utcnow()
    product = view.product
    rows = (
        (
            await session.execute(
                select(GroupBuyParticipant)
                .where(GroupBuyParticipant.group_buy_id == view.id)
                .order_by(GroupBuyParticipant.id)
            )
        )
        .scalars()
        .all()
    )
    order_ids: list[int] = []
    # A digital product is handed over in the chat once paid: no address, no fee, nothing to pick up.
    digital = product.is_digital
    # A tier with free delivery waives the fee (store.growth.tiers.shopper_rule): every participant's read at once.
    perks = await tiers.delivery_perks_in(session, [] if digital else [part.user_id for part in rows])
    for part in rows:
        pickup = not digital and part.delivery_method == "pickup" and bool(view.pickup_point)
        pay_on_pickup = pickup and pays_on_pickup(part) and policy.pickup_payment_enabled
        subtotal = unit_price * part.quantity
        shipped = not (pickup or digital)
        fee = policy.delivery.for_member(perks.get(part.user_id)).fee_for("delivery", subtotal) if shipped else 0
        hold = policy.pickup_hold_minutes if pay_on_pickup else policy.payment_window_minutes
        order = await orders.create_order(
            session,
            part.user_id,
            [orders.OrderLine(product.id, product.sku, product.title_en, product.title_zh, unit_price, part.quantity)],
            currency=view.currency,
            payment_method="pickup" if pay_on_pickup else "card",
            delivery_method="digital" if digital else "pickup" if pickup else "delivery",
            source=SOURCE,
            source_ref=view.id,
            expires_at=now + timedelta(minutes=hold) if hold > 0 else None,  # pickup hold 0: until cancelled
            delivery_fee=fee,
            pickup_point=(view.pickup_point or "")[:32] if pickup else None,
            contact=await _delivery_contact(session, part) if shipped else orders.Contact(),
            status=orders.CONFIRMED if pay_on_pickup else orders.PENDING_PAYMENT,
        )
        part.order_id = order.id
        if part.erase_when_finished:
            # /forgetme while the buy was open: the order keeps the details until it is finished, then its hook
            # erases them and the participation's copy (store.privacy); a copy the order did not take goes now.
            order.erase_when_finished = True
            if not shipped:
                privacy.forget_participation(part)
        order_ids.append(order.id)
        await notify.enqueue(
            session,
            part.user_id,
            "groupbuy.success",
            dedupe_key=f"gb:{view.id}:success:{part.user_id}",
            group_buy_id=view.id,
            order_id=order.id,
            title_en=product.title_en,
            title_zh=product.title_zh,
            quantity=part.quantity,
            unit_price=unit_price,
            base_price=view.base_price,
            total=order.total,
            currency=view.currency,
            pay_on_pickup=pay_on_pickup,
            pickup_point=view.pickup_point if pickup else None,
            # What the counter asks for; an order paid by card shows it once paid (as an ordinary order).
            pickup_code=order.pickup_code if pay_on_pickup else None,
            window_minutes=hold,
            # The notice says how long is left when it is read (a shopper who opens the bot later has less).
            expires_at=order.expires_at.isoformat() if order.expires_at else None,
        )
    await session.flush()
    units = sum(part.quantity for part in rows)
    await _tell_leader(session, view, SUCCEEDED, units, commission_of(unit_price * units, view.commission_bp))
    return CloseOutcome(SUCCEEDED, view, tuple(order_ids))


async def _tell_leader(session: AsyncSession, view: GroupBuyView, status: str, units: int, commission: int = 0) -> None:
    """The leader hears how their buy ended (deadline, full or closed early), once, in their own language."""
    await notify.enqueue(
        session,
        view.leader_id,
        "groupbuy.leader_result",
        dedupe_key=f"gb:{view.id}:leader:{status}",
        group_buy_id=view.id,
        status=status,
        title_en=view.product.title_en,
        title_zh=view.product.title_zh,
        joined=view.joined,
        minimum=view.min_participants,
        units=units,
        unit_price=view.final_price or view.base_price,
        currency=view.currency,
        commission=commission,
        commission_bp=view.commission_bp,
    )


async def _delivery_contact(session: AsyncSession, part: GroupBuyParticipant) -> orders.Contact:
    """The contact typed in the panel, else the one saved at an earlier checkout (may still be empty when a
    buy without pickup point closes before the participant gave one; the order then shows no address)."""
    contact = contact_of(part)
    if contact.address:
        return contact
    return await saved_contact(session, part.user_id) or contact


async def release_all(session: AsyncSession, view: GroupBuyView, reason: str) -> int:
    """Failed or cancelled: every reserved unit goes back and every participant is told (outbox); the delivery
    details kept past a /forgetme while the buy was open go now (store.privacy). Returns the number of units
    released."""
    rows = (
        (await session.execute(select(GroupBuyParticipant).where(GroupBuyParticipant.group_buy_id == view.id)))
        .scalars()
        .all()
    )
    units = sum(part.quantity for part in rows)
    await return_units(session, view.product.id, units)
    for part in rows:
        await notify.enqueue(
            session,
            part.user_id,
            "groupbuy.closed_notice",
            dedupe_key=f"gb:{view.id}:{reason}:{part.user_id}",
            group_buy_id=view.id,
            reason=reason,
            title_en=view.product.title_en,
            title_zh=view.product.title_zh,
            joined=view.joined,
            minimum=view.min_participants,
        )
    await privacy.erase_kept_participations(session, view.id)
    return units


def tick_key(group_buy_id: int, parity: int) -> str:
    return f"{TICK_JOB}:{group_buy_id}:{parity % 2}"


async def schedule_tick(session: AsyncSession, group_buy_id: int, run_at: datetime, parity: int) -> None:
    """Countdown redraws alternate between two event rows (ref `<id>:0`, `<id>:1`): a running tick schedules the
    other one, so a buy never needs more than two rows however long it runs."""
    await scheduling.schedule(
        session, TICK_JOB, f"{group_buy_id}:{parity % 2}", run_at, key=tick_key(group_buy_id, parity)
    )


async def cancel_ticks(session: AsyncSession, group_buy_id: int) -> None:
    for parity in (0, 1):
        await scheduling.cancel(session, tick_key(group_buy_id, parity))


async def tick(session: AsyncSession, ref: str, every: timedelta) -> GroupBuyView | None:
    """The countdown moved: returns the buy to redraw and schedules the next tick while it stays open."""
    id_text, _, parity_text = ref.partition(":")
    group_buy_id, parity = int(id_text), int(parity_text or 0)
    row = await session.get(GroupBuy, group_buy_id)
    if row is None or row.status != OPEN:
        return None
    now = utcnow()
    if row.deadline > now:
        await schedule_tick(session, group_buy_id, min(now + every, row.deadline), parity + 1)
    return await load(session, group_buy_id)
