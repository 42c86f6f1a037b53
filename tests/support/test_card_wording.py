"""The ticket card in the desk's language: in Chinese the shopper's @username sits in full-width （）, like every
Chinese sentence the bot writes (outside check: ASCII parentheses in Chinese text). Pure view, no bot."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import Settings
from bot.views.support import ticket_card_text
from store.support import ShopperSnapshot, TicketInfo

OPENED = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def _card(lang: str, settings: Settings) -> str:
    ticket = TicketInfo(
        id=7, user_id=42, status="open", reason="question", order_id=None, assignee_id=None, chat_id=None,
        thread_id=None, card_message_id=None, opened_at=OPENED, taken_at=None, first_response_at=None,
        closed_at=None, close_reason=None, rating=None,
    )  # fmt: skip
    snap = ShopperSnapshot(user_id=42, first_name="李雷", last_name=None, username="lilei", language="zh",
                           unreachable=False)  # fmt: skip
    return ticket_card_text(lang, settings, ticket, snap)


@pytest.mark.parametrize(("lang", "handle"), [("en", "李雷 (@lilei)"), ("zh", "李雷（@lilei）")])
def test_the_shoppers_handle_in_the_cards_language(settings: Settings, lang: str, handle: str) -> None:
    card = _card(lang, settings)
    assert handle in card, card
    if lang == "zh":
        assert "(" not in card and ")" not in card, card
