"""Customer service: support tickets, their forum topics and transcripts, the assistant's recent
conversation per shopper, and canned replies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime, utcnow

# Ticket statuses: open (waiting for an agent) -> taken (an agent talks to the shopper) -> closed.
ACTIVE_STATUSES = ("open", "taken")


class SupportTopic(Base):
    """One forum topic per shopper in the support group, reused by every later ticket."""

    __tablename__ = "support_topics"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # /forgetme renamed it to the erased title. It stays so when the shopper comes back (the topic is reused),
    # and renaming it again would earn a 400 TOPIC_NOT_MODIFIED.
    title_erased: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    __table_args__ = (Index("ix_support_topics_thread", "chat_id", "thread_id", unique=True),)


class SupportTicket(Base):
    __tablename__ = "support_tickets"
    __table_args__ = (
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
        # At most one active ticket per shopper: a double tap on "Talk to a human" opens one ticket.
        Index(
            "uq_support_tickets_active_user",
            "user_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
        Index("ix_support_tickets_opened", "opened_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | taken | closed
    reason: Mapped[str] = mapped_column(String(24), default="request")  # request | fallback | refund | complaint
    order_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("orders.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(BigInteger)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Oldest shopper message not yet answered by an agent (drives the reply SLA).
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[int | None] = mapped_column(BigInteger)
    close_reason: Mapped[str | None] = mapped_column(String(24))  # agent | shopper | blocked
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SupportMessage(Base):
    """A ticket's transcript: shopper messages relayed to the topic, agent replies, internal notes."""

    __tablename__ = "support_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(BigInteger)
    role: Mapped[str] = mapped_column(String(12))  # shopper | agent | note | bot
    kind: Mapped[str] = mapped_column(String(16), default="text")  # text | photo | sticker | voice | document ...
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssistantTurn(Base):
    """The last exchanges between a shopper and the bot, shown on a ticket card; trimmed per user."""

    __tablename__ = "support_history"
    __table_args__ = (Index("ix_support_history_user", "user_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(8))  # shopper | bot
    text: Mapped[str] = mapped_column(Text, default="")
    # For bot turns: the intent answered (fallback_rephrase / fallback_human count as misses).
    intent: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CannedReply(Base):
    __tablename__ = "support_canned"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    text_en: Mapped[str] = mapped_column(Text)
    text_zh: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SupportWaitingReply(Base):
    """An agent's reply that could not reach the shopper (they had blocked the bot), kept until they start the bot
    again: then it is delivered once, in order, signed as usual (store.support.claim_waiting, bot.support_desk).
    A text is kept as its text; anything else is copied again from the agent's message in the topic."""

    __tablename__ = "support_waiting_replies"
    __table_args__ = (Index("ix_support_waiting_replies_user", "user_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_tickets.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16), default="text")  # the message's content type
    text: Mapped[str] = mapped_column(Text, default="")  # text or caption as shown (what Telegram counts)
    html: Mapped[str] = mapped_column(Text, default="")  # the same with its formatting, to sign and resend
    from_chat_id: Mapped[int | None] = mapped_column(BigInteger)  # the agent's message, copied when not plain text
    from_message_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(
        String(12), default="waiting"
    )  # waiting | sending | delivered | failed | expired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
