"""Categories and products."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime, utcnow


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(128))
    name_zh: Mapped[str] = mapped_column(String(128))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        # A catalog page is "this category, in id order": one index walk however large the catalog.
        Index("ix_products_category_page", "category_id", "id"),
        # The search index refreshes from "what changed since": keeps that check cheap at 100k products.
        Index("ix_products_updated_at", "updated_at"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    title_en: Mapped[str] = mapped_column(String(128))
    title_zh: Mapped[str] = mapped_column(String(128))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_zh: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[int] = mapped_column(BigInteger)  # minor units
    currency: Mapped[str] = mapped_column(String(3))
    # Telegram allows Stars only for digital goods; such products carry a Star price.
    is_digital: Mapped[bool] = mapped_column(Boolean, default=False)
    stars_price: Mapped[int | None] = mapped_column(Integer)
    # What a digital product hands over once paid: a code, a link, or a file (path as for `photo`).
    # Never shown on cards; only the buyer of a paid order receives it.
    digital_kind: Mapped[str | None] = mapped_column(String(8))  # code | link | file
    digital_content: Mapped[str | None] = mapped_column(Text)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    photo: Mapped[str | None] = mapped_column(String(512))  # file path (seed/import) or URL
    photo_file_id: Mapped[str | None] = mapped_column(String(256))  # Telegram's cached file id after first send
    tags: Mapped[str] = mapped_column(Text, default="")  # space-separated, both languages
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on every change to what a card shows of the product itself (title, price, Stars price, digital,
    # shown/hidden...), so stale buttons are recognised. Not on a stock change: a purchase or a restock does not
    # make every card of it stale; stock is checked live when something is added (its own "sold out" message),
    # and `updated_at` (onupdate) tells the search index that the stock moved.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CartItem(Base):
    __tablename__ = "cart_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
