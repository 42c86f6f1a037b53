"""Operations: low-stock thresholds and alerts, "notify me when back" requests, the staff audit log,
admin broadcasts and shoppers' marketing opt-outs. Kept beside (not inside) the catalog and user tables, so
those stay as they are and these can be dropped with their feature."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime, utcnow


class StockThreshold(Base):
    """A product's own low-stock threshold; without a row the shop's default (config) applies."""

    __tablename__ = "stock_thresholds"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    threshold: Mapped[int] = mapped_column(Integer)


class LowStockAlert(Base):
    """One row per product whose admins were told it runs low. The primary key makes "alert once" a
    conditional insert; the row goes away when stock is back at or above the threshold (next fall alerts again)."""

    __tablename__ = "low_stock_alerts"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    stock: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RestockWaiter(Base):
    """A shopper who tapped "Notify me" on a sold-out product; deleted in the transaction that tells them."""

    __tablename__ = "restock_waiters"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """Who (staff user and role) did what to which object, with the state before and after, and when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_created", "created_at", "id"), Index("ix_audit_log_target", "target", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)  # None: the command line or the system
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str] = mapped_column(String(64))  # "<kind>:<id or sku>"
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MarketingOptOut(Base):
    """A shopper who asked for no broadcasts (one tap under any broadcast, or /unsubscribe)."""

    __tablename__ = "marketing_opt_outs"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Broadcast(Base):
    """An admin's message to an audience. Recipients are outbox rows keyed `bc:<id>:<user>`, so a resumed or
    repeated send never writes a second row for anyone; `token` makes a double-tapped Confirm create one."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    admin_id: Mapped[int] = mapped_column(BigInteger)
    audience: Mapped[str] = mapped_column(String(16))  # flash | all
    text_en: Mapped[str] = mapped_column(Text)
    text_zh: Mapped[str] = mapped_column(Text)  # with a photo: its caption (may be empty)
    photo_file_id: Mapped[str | None] = mapped_column(String(255))  # a photo broadcast: the admin's photo
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))  # its button
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft|sending|paused|done|cancelled
    total: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped by every change to the draft: a preview or picker carries the revision it was drawn from, so a tap
    # on an older one is refused instead of sending (or changing) something the admin no longer sees.
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AnalyticsCounter(Base):
    """Events counted per day, kind and product (0: none), flushed in batches from memory: a card view
    costs no write of its own."""

    __tablename__ = "analytics_counters"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # shop-local YYYY-MM-DD
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
