"""The invoice messages of an order: recorded when sent, handed back for withdrawal when superseded."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from store.db import Database
from store.models.staff import InvoiceMessage


@dataclass(frozen=True)
class SentInvoice:
    chat_id: int
    message_id: int


async def record(db: Database, order_id: int, chat_id: int, message_id: int) -> int:
    async with db.tx() as session:
        row = InvoiceMessage(order_id=order_id, chat_id=chat_id, message_id=message_id)
        session.add(row)
        await session.flush()
        return row.id


async def sent(db: Database, order_id: int) -> bool:
    """Whether the order has a live invoice in a chat (a repeated "Pay" tap then has nothing to send)."""
    async with db.read() as session:
        found = await session.execute(select(InvoiceMessage.id).where(InvoiceMessage.order_id == order_id).limit(1))
        return found.first() is not None


async def take_superseded(db: Database, order_id: int, newest_id: int | None = None) -> list[SentInvoice]:
    """Forget and return the order's invoices older than `newest_id` (all of them when None).

    "Older than mine" rather than "all but mine": two invoices sent at the same moment never withdraw each
    other, the newer one always survives."""
    async with db.tx() as session:
        query = select(InvoiceMessage).where(InvoiceMessage.order_id == order_id)
        if newest_id is not None:
            query = query.where(InvoiceMessage.id < newest_id)
        rows = list((await session.execute(query)).scalars())
        if rows:
            await session.execute(delete(InvoiceMessage).where(InvoiceMessage.id.in_([r.id for r in rows])))
        return [SentInvoice(r.chat_id, r.message_id) for r in rows]
