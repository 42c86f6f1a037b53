"""Reservation expiry: an unpaid order that ran out of time gives its stock back."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from bot import payment_inbox
from bot.scheduler import AfterCommit, JobContext
from store import orders
from store.errors import DomainError

log = logging.getLogger(__name__)


async def expire_order(job: JobContext, session: AsyncSession) -> AfterCommit | None:
    """Conditional: only an order still waiting for payment (or pickup) expires; a paid one is left alone.

    The transition releases the reserved stock and queues the buyer's notification in this transaction.
    """
    hold = payment_inbox.defer_expiry(job.app, int(job.ref))
    if hold is not None:  # Telegram charged the buyer; the payment waits in the inbox for the database
        return hold
    try:
        await orders.transition(session, int(job.ref), orders.EXPIRED, "system", from_statuses=orders.UNPAID)
    except DomainError as exc:
        # Paid or cancelled in the meantime: nothing to expire (the job was normally cancelled already).
        log.info("order %s not expired: %s", job.ref, exc.code)
    return None
