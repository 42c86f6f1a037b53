"""Users, roles and the chats the bot is in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime, utcnow


class User(Base):
    __tablename__ = "users"

    # The messenger's user id: Telegram ids are stable and public, so they serve as our key.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(128), default="")
    last_name: Mapped[str | None] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    # The language the shopper last wrote in, when it differs from `language`: it speaks for them in support
    # until they write otherwise, and in menus only until `conversation_until` (one message in another
    # language must not switch their shop for good).
    conversation_language: Mapped[str | None] = mapped_column(String(8))
    conversation_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The bot may not start a private message: Telegram answered "blocked" / "can't initiate", or the user was
    # first seen in a group and never opened the private chat (store.reachability). Cleared by their private
    # update; broadcasts, alerts and the outbox skip or park them meanwhile.
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    # Personal data, stored only once an order needs it; /forgetme clears it.
    contact_name: Mapped[str | None] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(512))
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Growth: the user's share code, and who brought them (first touch).
    referral_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    referred_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    subscribed_flash: Mapped[bool] = mapped_column(Boolean, default=False)
    checkin_reminder: Mapped[bool] = mapped_column(Boolean, default=False)


class Role(Base):
    __tablename__ = "roles"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    granted_by: Mapped[int | None] = mapped_column(BigInteger)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Chat(Base):
    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(256), default="")
    bot_status: Mapped[str] = mapped_column(String(16), default="member")
    can_pin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_forum: Mapped[bool] = mapped_column(Boolean, default=False)
    migrated_to: Mapped[int | None] = mapped_column(BigInteger)
    # The language of the bot's shared messages in this group (cards, announcements); None: the shop's default.
    language: Mapped[str | None] = mapped_column(String(8))
    # The weekly "what's hot" card (store/social/digest.py); its admins may turn it off with the card's button.
    digest_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
