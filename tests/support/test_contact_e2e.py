"""Asking for the shop's phone number or email is a question, not a request for a person (outside check: "What's
your phone number" / "你们的电话是多少" opened a support ticket at once). The bot answers with what it has, the
phone and email from config (shop.phone, shop.email) or that this chat is the way to reach the team, with the
support hours, and offers "Talk to a human" as a button; only a tap hands over. English and Chinese."""

from __future__ import annotations

from typing import Any

import pytest

from bot.i18n import t_plain
from store import support
from tests.support.test_e2e import _labels, _last

pytestmark = pytest.mark.demo_people

ASKS = [("Alice", "What's your phone number", "en"), ("李雷", "你们的电话是多少", "zh")]


@pytest.mark.parametrize(("who", "text", "lang"), ASKS, ids=["en", "zh"])
async def test_asking_for_the_phone_number_answers_and_offers_a_person(
    desk: Any, who: str, text: str, lang: str
) -> None:
    shopper = desk.people[who]
    await shopper.send(text)
    answer = await _last(shopper)
    assert await support.active_ticket(desk.db, shopper.id) is None, "nobody asked to be handed over"
    body = answer.text or ""
    assert t_plain(lang, "support.faq.contact_none") in body, body
    assert desk.settings.shop.hours.split("-")[0] in body, "the support hours are part of the answer"
    human = t_plain(lang, "support.button.human")
    assert human in _labels(answer)

    await shopper.tap(human, message=answer)  # asked now: handed over
    assert await support.active_ticket(desk.db, shopper.id) is not None


@pytest.mark.parametrize(("who", "text", "lang"), ASKS, ids=["en", "zh"])
async def test_the_configured_phone_and_email_are_quoted(desk: Any, who: str, text: str, lang: str) -> None:
    desk.settings.shop.phone = "+86 400 800 1234"
    desk.settings.shop.email = "help@groupcart.example"
    shopper = desk.people[who]
    await shopper.send(text)
    answer = await _last(shopper)
    body = answer.text or ""
    assert t_plain(lang, "support.faq.contact_phone", phone="+86 400 800 1234") in body, body
    assert t_plain(lang, "support.faq.contact_email", email="help@groupcart.example") in body, body
    assert t_plain(lang, "support.faq.contact_none") not in body
    assert t_plain(lang, "support.button.human") in _labels(answer)
    assert await support.active_ticket(desk.db, shopper.id) is None
