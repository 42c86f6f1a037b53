"""The private messages that offer to pay for a won unit, and what becomes of them when the unit goes back.

Two kinds carry Pay buttons: the winner's "you got one" (an outbox row, keyed `won_key`) and the delivery or pick-up
choice that `/start fsp_<order id>` answers with (sent by the handler, recorded here as an outbox row written
already sent, keyed `pay_prompt_keys`). Both rows keep the Telegram message id, so when the order ends unpaid
(expired or cancelled: hooks.unit_back) the sent ones are edited in place, their buttons replaced by a line saying
the unit went back, and a "you got one" that was never delivered (parked for a shopper who had not opened the bot,
or still queued) is dropped instead: it would offer to pay for a unit that is gone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from store import orders
from store.db import Database
from store.flashsale.lifecycle import _enqueue_many
from store.flashsale.rules import PAY_PROMPT_TEMPLATE, WON_TEMPLATE, pay_prompt_keys, won_key
from store.models import Order, OutboxMessage, utcnow

# Not delivered yet: such a "you got one" is dropped once its unit went back (store.reachability's status for a
# dropped offer).
_UNDELIVERED = ("pending", "unreachable")
_DROPPED = "expired"


def gone_key(row_id: int) -> str:
    return f"flashgone:{row_id}"


async def record_pay_prompt(db: Database, user_id: int, order_id: int, message_id: int, params: dict[str, Any]) -> None:
    """The handler sent the delivery or pick-up choice for a won unit: remember its message id, in the first free
    one of the order's few slots (a shopper opening the pay link more often than that gets the later ones answered
    when tapped: "can no longer be paid"). Should the order have ended meanwhile (expired between the handler's
    read and now), its buttons come off at once."""
    module: Any = sqlite if db.dialect == "sqlite" else postgresql
    async with db.tx() as session:
        row_id = None
        for key in pay_prompt_keys(order_id):
            # Two openings at once take two slots: the unique key decides, never an error.
            row_id = await session.scalar(
                module.insert(OutboxMessage)
                .values(
                    chat_id=user_id,
                    user_id=user_id,
                    template=PAY_PROMPT_TEMPLATE,
                    params={**params, "order_id": order_id},
                    dedupe_key=key,
                    status="sent",
                    sent_at=utcnow(),
                    message_id=message_id,
                )
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
                .returning(OutboxMessage.id)
            )
            if row_id is not None:
                break
        if row_id is None:
            return
        status = (await session.execute(select(Order.status).where(Order.id == order_id))).scalar_one_or_none()
        if status in (orders.EXPIRED, orders.CANCELLED):
            row = await session.get(OutboxMessage, row_id)
            await _edit_out(session, [row] if row is not None else [], status)


async def retire(session: AsyncSession, order_id: int, to_status: str) -> None:
    """In the transaction that ends the unpaid order: the Pay buttons of its messages come off."""
    rows = (
        (
            await session.execute(
                select(OutboxMessage).where(
                    OutboxMessage.dedupe_key.in_([won_key(order_id), *pay_prompt_keys(order_id)])
                )
            )
        )
        .scalars()
        .all()
    )
    undelivered = [r.id for r in rows if r.template == WON_TEMPLATE and r.status in _UNDELIVERED]
    if undelivered:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(undelivered), OutboxMessage.status.in_(_UNDELIVERED))
            .values(status=_DROPPED, error="the unit went back before this was delivered")
            .execution_options(synchronize_session=False)
        )
    await _edit_out(session, [r for r in rows if r.status == "sent" and r.message_id is not None], to_status)


async def _edit_out(session: AsyncSession, rows: list[OutboxMessage], to_status: str) -> None:
    """Queue the edits that replace each sent message's buttons by "this unit went back" (rendered with the "you got
    one" renderer, bot/views/flashsale.py, from the row's own parameters)."""
    if not rows:
        return
    keys = [gone_key(r.id) for r in rows]
    existing = set(
        (await session.execute(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys)))).scalars()
    )
    edits = [
        {
            "chat_id": r.chat_id,
            "user_id": r.user_id,
            "template": WON_TEMPLATE,
            "dedupe_key": gone_key(r.id),
            "params": {
                **dict(r.params or {}),
                "kind": "prompt" if r.template == PAY_PROMPT_TEMPLATE else "won",
                "gone": to_status,
                "edit_message_id": r.message_id,
                # An edit is not an offer: parked and requeued later, it still takes the stale buttons off.
                "expires_at": None,
                "offer_expires_at": (r.params or {}).get("expires_at"),
            },
        }
        for r in rows
        if gone_key(r.id) not in existing
    ]
    await _enqueue_many(session, edits)
