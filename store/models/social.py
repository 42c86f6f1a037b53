"""Social shopping: what shoppers looked at (for recommendations), wishlists and the notices they earned,
product reviews, and each group's weekly digest setting."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime, utcnow


class ProductVisit(Base):
    """A product card opened: the co-view signal of the recommender. Written in batches, pruned by age."""

    __tablename__ = "product_visits"
    __table_args__ = (Index("ix_product_visits_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)  # the group the card was opened in, if any
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WishlistItem(Base):
    __tablename__ = "wishlist_items"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    # What the shopper saw when they wished for it: a later lower price is a drop worth telling.
    price_seen: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WishlistNotice(Base):
    """One row per thing a shopper was told about a wished product: the unique key makes it "told once"."""

    __tablename__ = "wishlist_notices"
    __table_args__ = (
        UniqueConstraint("user_id", "product_id", "event", name="uq_wishlist_notices_user_product_event"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(48))  # price:<amount> | stock:<n> | flash:<sale> | groupbuy:<buy>
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Review(Base):
    """A rating (and optional words and photo) for one order line, by its buyer."""

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),
        # One review per order line: a second submission edits it, never adds another (or more points).
        UniqueConstraint("order_item_id", name="uq_reviews_order_item_id"),
        Index("ix_reviews_product_status", "product_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_items.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), default="published")  # published | held | hidden
    hold_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


__all__ = ["ProductVisit", "Review", "WishlistItem", "WishlistNotice"]
