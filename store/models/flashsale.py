"""Flash sales (秒杀): a fixed pool of units at a flash price between two times, and who claimed them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime, utcnow


class FlashSale(Base):
    __tablename__ = "flash_sales"
    __table_args__ = (
        # The last line of defence: claims go through `sold = sold + n WHERE sold + n <= stock` anyway.
        CheckConstraint("sold >= 0 AND sold <= stock", name="sold_within_stock"),
        CheckConstraint("paid >= 0 AND paid <= sold", name="paid_within_sold"),
        CheckConstraint("stock > 0", name="stock_positive"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("per_user_limit >= 1", name="limit_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_flash_sales_status_starts", "status", "starts_at"),
        UniqueConstraint("creation_key", name="uq_flash_sales_creation_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    price: Mapped[int] = mapped_column(BigInteger)  # minor units, the flash price of one unit
    currency: Mapped[str] = mapped_column(String(3))
    # Units taken out of products.stock when the sale was created; unsold ones go back when it ends.
    stock: Mapped[int] = mapped_column(Integer)
    sold: Mapped[int] = mapped_column(Integer, default=0)  # claimed and not returned (unpaid or paid)
    paid: Mapped[int] = mapped_column(Integer, default=0)
    revenue: Mapped[int] = mapped_column(BigInteger, default=0)  # minor units paid for flash orders
    # claims whose unit came back: unpaid (expired, cancelled), or refunded before it was shipped or collected
    returned: Mapped[int] = mapped_column(Integer, default=0)
    per_user_limit: Mapped[int] = mapped_column(Integer, default=1)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # scheduled -> live -> ended; scheduled -> cancelled | missed. Every move is a conditional update.
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    end_reason: Mapped[str | None] = mapped_column(String(16))  # time | sold_out | cancelled | missed
    groups: Mapped[list[Any] | None] = mapped_column(JSON)  # chat ids; NULL = every group the bot is in
    # Whether /subscribe-d shoppers get the private announcement (the admin may keep a sale to its groups).
    notify_subscribers: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Units handed back to products.stock when the sale closed (stock - sold at that moment).
    released: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    # The admin wizard's one-time token: a repeated "Create" (double tap, second process) finds the sale it made.
    creation_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FlashClaim(Base):
    """One unit won by one user. `seq` counts a user's claims (1..per_user_limit): the unique key makes a
    second process admitting the same user's n-th unit fail instead of exceeding the limit."""

    __tablename__ = "flash_claims"
    __table_args__ = (UniqueConstraint("sale_id", "user_id", "seq", name="uq_flash_claims_sale_user_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("flash_sales.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="claimed")  # claimed | paid | returned | refunded
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
