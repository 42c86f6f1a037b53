"""Group buys run by community leaders: the buy itself, who joined, and the leaders' commission ledger."""

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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime, utcnow


class GroupBuy(Base):
    __tablename__ = "group_buys"
    __table_args__ = (
        CheckConstraint("joined >= 0", name="joined_not_negative"),
        # The last line of defence against overfilling: joins go through a conditional update anyway.
        CheckConstraint("max_participants IS NULL OR joined <= max_participants", name="joined_within_max"),
        CheckConstraint("min_participants >= 1", name="min_positive"),
        CheckConstraint("per_person_limit >= 1", name="limit_positive"),
        Index("ix_group_buys_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    leader_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)  # the group the card lives in
    message_thread_id: Mapped[int | None] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    # open -> succeeded | failed | cancelled; every move is a conditional update on status.
    status: Mapped[str] = mapped_column(String(16), default="open")
    currency: Mapped[str] = mapped_column(String(3))
    base_price: Mapped[int] = mapped_column(BigInteger)  # the product's price when the buy was published
    # [[min participants, unit price in minor units], ...] ascending by participants, descending by price.
    tiers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    min_participants: Mapped[int] = mapped_column(Integer)
    max_participants: Mapped[int | None] = mapped_column(Integer)
    per_person_limit: Mapped[int] = mapped_column(Integer, default=1)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    pickup_point: Mapped[str | None] = mapped_column(String(128))  # a configured point id, or typed text
    joined: Mapped[int] = mapped_column(Integer, default=0)  # active participants (kept by conditional updates)
    final_price: Mapped[int | None] = mapped_column(BigInteger)  # unit price of the tier reached, on success
    commission_bp: Mapped[int] = mapped_column(Integer, default=0)  # basis points, frozen at publishing
    lang: Mapped[str] = mapped_column(String(8), default="en")  # language of the group card
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    card_has_photo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class GroupBuyParticipant(Base):
    __tablename__ = "group_buy_participants"
    # One row per person and buy: a double tap or a re-delivered update cannot count twice.
    __table_args__ = (
        UniqueConstraint("group_buy_id", "user_id", name="uq_group_buy_participants_buy_user"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_buy_id: Mapped[int] = mapped_column(ForeignKey("group_buys.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)  # units reserved from stock for this person
    delivery_method: Mapped[str] = mapped_column(String(16), default="pickup")  # pickup | delivery
    pay_on_pickup: Mapped[bool] = mapped_column(default=False)
    # Only for delivery, copied into the order on success (personal data: stored because the order needs it).
    contact_name: Mapped[str | None] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(512))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Joined from the group while the bot could not write to them (never started it, or blocked it): their panel
    # waits for their next /start in private chat (store.groupbuy.participants.claim_unsent_panels).
    panel_unsent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # /forgetme came while the buy was open or its order on its way: the contact above stays until that is
    # finished, then it goes (store.privacy; the order made from it carries orders.erase_when_finished).
    erase_when_finished: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class LeaderCommission(Base):
    """Append-only ledger: a credit when a participant's order is paid, a reversal when it is refunded."""

    __tablename__ = "leader_commissions"
    __table_args__ = (UniqueConstraint("order_id", "kind", name="uq_leader_commissions_order_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    leader_id: Mapped[int] = mapped_column(BigInteger, index=True)
    group_buy_id: Mapped[int] = mapped_column(ForeignKey("group_buys.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # credit | reversal
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units; negative for a reversal
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
