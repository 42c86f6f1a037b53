"""Search result screens kept server-side: a results message's buttons carry only a short id and a button number
(Telegram's callback_data is 64 bytes; a shopper's words can be 4,096 characters)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime, utcnow


class SearchState(Base):
    """What each button of one results message leads to. Rows are immutable and pruned after a while; a tap on a
    pruned one answers "search again"."""

    __tablename__ = "search_states"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    words: Mapped[list[Any]] = mapped_column(JSON)  # the distinct word strings the targets refer to
    targets: Mapped[list[Any]] = mapped_column(JSON)  # [words index, sort, page, category, price from, price below]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
