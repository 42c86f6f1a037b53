"""Questions the assistant was unsure about: the intents it offered ("did you mean…?") and the one the shopper
picked. A picked row is a labelled training example for an admin to review (`groupcart nlu review`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime, utcnow


class NluQuestion(Base):
    __tablename__ = "nlu_questions"
    # Ids are never reused after pruning, so an old button can never settle a newer question.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8))  # the conversation's language when it was asked
    turn_id: Mapped[int | None] = mapped_column(Integer)  # the shopper's turn (behind the answer's search button)
    candidates: Mapped[list[Any]] = mapped_column(JSON)  # the intents offered, best first
    # An offered intent, or "@human" for "Talk to a person"; NULL while no button was tapped.
    choice: Mapped[str | None] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
