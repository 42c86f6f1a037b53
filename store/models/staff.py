"""Messages the bot must be able to take back later: the invoices sent for an order (an older invoice is
withdrawn when a newer one is sent, so one order never has several live Pay buttons)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime, utcnow


class InvoiceMessage(Base):
    __tablename__ = "invoice_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
