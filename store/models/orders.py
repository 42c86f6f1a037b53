"""Orders, their lines, status history and payments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime, utcnow


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (CheckConstraint("total >= 0", name="total_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(BigInteger)
    delivery_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    discount: Mapped[int] = mapped_column(BigInteger, default=0)  # coupons and tier discounts
    points_discount: Mapped[int] = mapped_column(BigInteger, default=0)
    points_spent: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(BigInteger)
    payment_method: Mapped[str] = mapped_column(String(16))  # card | stars | pickup
    delivery_method: Mapped[str] = mapped_column(String(16))  # delivery | pickup | digital
    pickup_point: Mapped[str | None] = mapped_column(String(32))
    # Shown to the buyer and to admins: the counter hands a pickup order over to whoever says this code.
    pickup_code: Mapped[str | None] = mapped_column(String(8))
    contact_name: Mapped[str | None] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(512))
    # Where the order came from: a cart checkout, a group buy or a flash sale (source_ref = its id).
    source: Mapped[str] = mapped_column(String(16), default="cart")
    source_ref: Mapped[int | None] = mapped_column(Integer)
    coupon_code: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(512))  # delivery note shown by "where is my order"
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Last "Send again" of the digital goods: a conditional update on it turns a double tap into one resend.
    goods_resent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # /forgetme came while the order was on its way: its delivery details go when it is finished (store.privacy).
    erase_when_finished: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The pre-checkout query that Telegram is charging for this order now, until when (store.payments): a second
    # payment of the same order meanwhile (a double tap on Pay, two devices) is refused before it is charged,
    # and so is a cancel, instead of a charge that would have to be refunded.
    paying_query: Mapped[str | None] = mapped_column(String(64))
    paying_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku: Mapped[str] = mapped_column(String(32))
    title_en: Mapped[str] = mapped_column(String(128))
    title_zh: Mapped[str] = mapped_column(String(128))
    unit_price: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)


class OrderEvent(Base):
    """Status history: every transition, who made it and when."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(32), default="system")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("telegram_charge_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))  # card | stars | pickup
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # Telegram may confirm one payment twice: this key makes the second one a no-op.
    telegram_charge_id: Mapped[str | None] = mapped_column(String(128))
    provider_charge_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="paid")  # paid | refunded | refund_pending
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class DigitalCode(Base):
    """A code handed to the buyer of one unit of a `code` product (store.delivery). The product's
    `digital_content` lists its codes, one a line; a row here means that code is taken. The unique key is
    what makes two buyers paying at the same moment never get the same code."""

    __tablename__ = "digital_codes"
    __table_args__ = (UniqueConstraint("product_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(1000))
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_items.id", ondelete="CASCADE"), index=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
