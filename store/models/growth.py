"""Growth: the points ledger, check-ins, referrals, coupons and membership tiers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime, utcnow


class PointsEntry(Base):
    """Append-only: every award, spend, reversal and expiry is a row with its own idempotency key.

    Earning rows carry `remaining` (what has not been spent or expired yet) so spending and expiry consume
    the oldest points first; the balance is the sum of `delta`.
    """

    __tablename__ = "points_ledger"
    __table_args__ = (Index("ix_points_ledger_user_open", "user_id", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    delta: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # checkin|streak|referral|order|admin|spend|reversal|expire|refund
    idem_key: Mapped[str] = mapped_column(String(96), unique=True)
    remaining: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointsAccount(Base):
    """The derived balance kept beside the ledger, in the same transaction: its conditional update
    (`balance >= :n`) is what makes concurrent spending safe and the balance never negative."""

    __tablename__ = "points_accounts"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    balance: Mapped[int] = mapped_column(Integer, default=0)


class Checkin(Base):
    __tablename__ = "checkins"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # the shop's calendar day
    streak: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Referral(Base):
    """First touch: one row per invitee, ever."""

    __tablename__ = "referrals"

    invitee_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    referrer_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rewarded_order_id: Mapped[int | None] = mapped_column(Integer)
    rewarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Coupon(Base):
    __tablename__ = "coupons"
    __table_args__ = (
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("total_limit IS NULL OR used_count <= total_limit", name="within_total_limit"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # percent | fixed
    value: Mapped[int] = mapped_column(Integer)  # percent (1-100) or minor units
    currency: Mapped[str | None] = mapped_column(String(3))  # for fixed coupons
    min_spend: Mapped[int] = mapped_column(BigInteger, default=0)
    scope: Mapped[str] = mapped_column(String(16), default="all")  # all | category | product
    scope_ref: Mapped[str | None] = mapped_column(String(64))  # category slug or sku
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total_limit: Mapped[int | None] = mapped_column(Integer)
    per_user_limit: Mapped[int] = mapped_column(Integer, default=1)
    used_count: Mapped[int] = mapped_column(Integer, default=0)
    stacks_with_points: Mapped[bool] = mapped_column(Boolean, default=True)
    stacks_with_tier: Mapped[bool] = mapped_column(Boolean, default=True)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)  # a promotion applied without a code
    owner_id: Mapped[int | None] = mapped_column(BigInteger)  # personal coupons (welcome gift)
    # Only while the user has no order that went through (paid, or placed to pay on pickup): the welcome gift
    # promises "your first order".
    first_order_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    points_cost: Mapped[int | None] = mapped_column(Integer)  # offered in the points shop when set
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CouponRedemption(Base):
    """One row per use; (coupon, user, n) is unique so a user's n-th use can happen only once."""

    __tablename__ = "coupon_redemptions"
    __table_args__ = (UniqueConstraint("coupon_id", "user_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupons.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    released: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemberTier(Base):
    """The tier last announced to the user, so a change is announced once."""

    __tablename__ = "member_tiers"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
