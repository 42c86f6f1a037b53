"""Did you mean…? end to end: an ambiguous message gets the classifier's own top intents as buttons in the
conversation's language, a tap answers that intent and keeps a labelled example; "Talk to a person" opens a
ticket; an expired question's button gets a toast (a repeated "Talk to a person": the team is already there); nothing
plausible still asks to rephrase."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot import nlu_service
from bot.emulator.client import MessageView, UserHandle
from bot.i18n import t_plain
from dialogues.nlu import BuiltinClassifier
from store import nlu_review, support
from store.models import utcnow
from store.models.nlu import NluQuestion

pytestmark = pytest.mark.demo_people

# "delivery info" became delivery_cost (0.68) when the English variants were rebuilt with payment_double_charge.
AMBIGUOUS_EN = "delivery details"  # delivery time / options / cost
AMBIGUOUS_ZH = "钱 快递"  # money + courier
# Intents answered from the shopper's own orders or points rather than with the FAQ text alone.
PERSONAL = {"track_order", "cancel_order", "refund_request", "payment_double_charge", "points_question",
            "checkin_question", "referral_question", "group_buy_rules"}  # fmt: skip


@pytest.fixture(scope="module")
def classifier() -> BuiltinClassifier:
    return BuiltinClassifier.load_or_train()


def _expected_offer(classifier: BuiltinClassifier, text: str, threshold: float) -> list[str]:
    """The classifier's own best intents (person requests excluded: that button is always there)."""
    result = classifier.classify(text)
    assert result.confidence < threshold, f"{text!r} is no longer ambiguous ({result}); pick another probe"
    ranked = [intent for intent, _p in classifier.ranking(text, 6) if intent != "human_agent"][:3]
    probs = dict(classifier.ranking(text, 6))
    assert probs[ranked[0]] >= 0.25 and sum(probs[i] for i in ranked) >= 0.5, "probe no longer plausible"
    return ranked


async def _last(user: UserHandle) -> MessageView:
    message = await user.last_message()
    assert message is not None, "the bot did not answer"
    return message


def _labels(message: MessageView) -> list[str]:
    return [b.text for row in message.buttons for b in row]


@pytest.mark.parametrize(
    ("who", "text", "lang"),
    [("Alice", AMBIGUOUS_EN, "en"), ("李雷", AMBIGUOUS_ZH, "zh"), ("Alice", AMBIGUOUS_ZH, "zh")],
    ids=["en", "zh", "en-user-writes-zh"],
)
async def test_ambiguous_message_offers_intents_and_a_tap_answers_it(
    shop: Any, classifier: BuiltinClassifier, who: str, text: str, lang: str
) -> None:
    shopper = shop.people[who]
    offered = _expected_offer(classifier, text, shop.settings.nlu.threshold)
    await shopper.send(text)
    question = await _last(shopper)
    assert question.text == t_plain(lang, "nlu.did_you_mean")
    labels = _labels(question)
    assert labels[: len(offered)] == [t_plain(lang, f"nlu.intent.{intent}") for intent in offered]
    assert labels[len(offered)] == t_plain(lang, "nlu.human")
    assert all(0 < len((b.callback_data or "").encode()) <= 64 for row in question.buttons for b in row)
    assert all(text not in (b.callback_data or "") for row in question.buttons for b in row)

    # Preferably not the classifier's favourite; one whose answer is the FAQ text (no orders needed).
    picked = next(i for i in [*offered[1:], offered[0]] if i not in PERSONAL)
    await shopper.tap(t_plain(lang, f"nlu.intent.{picked}"), message=question)
    answer = await _last(shopper)
    assert answer.message_id == question.message_id  # the question became its answer: one message
    expected = nlu_service.faq_answer(shop.settings, picked, lang)
    assert expected.splitlines()[0] in (answer.text or "")
    assert not any(label == t_plain(lang, "nlu.human") for label in _labels(answer))

    examples = await nlu_review.labelled_examples(shop.db)
    assert [(e.text, e.intent, e.lang, e.user_id) for e in examples] == [(text, picked, lang, shopper.id)]


async def test_talk_to_a_person_opens_a_ticket_and_is_no_training_example(
    shop: Any, classifier: BuiltinClassifier
) -> None:
    lilei = shop.people["李雷"]
    _expected_offer(classifier, AMBIGUOUS_ZH, shop.settings.nlu.threshold)
    await lilei.send(AMBIGUOUS_ZH)
    question = await _last(lilei)
    await lilei.tap(t_plain("zh", "nlu.human"), message=question)
    ticket = await support.active_ticket(shop.db, lilei.id)
    assert ticket is not None and ticket.thread_id is not None
    assert (await _last(lilei)).message_id == question.message_id
    assert await nlu_review.labelled_examples(shop.db) == []


async def test_an_expired_question_button_gets_a_toast(shop: Any, classifier: BuiltinClassifier) -> None:
    alice = shop.people["Alice"]
    offered = _expected_offer(classifier, AMBIGUOUS_EN, shop.settings.nlu.threshold)
    await alice.send(AMBIGUOUS_EN)
    question = await _last(alice)
    async with shop.db.tx() as session:
        await session.execute(update(NluQuestion).values(created_at=utcnow() - timedelta(days=30)))
    tapped = await alice.tap(t_plain("en", f"nlu.intent.{offered[0]}"), message=question)
    assert tapped.toast is not None and tapped.toast.text == t_plain("en", "nlu.stale")
    # "Talk to a person" on it hands nobody over, and a double tap is told so twice (not "already talking")
    label = t_plain("en", "nlu.human")
    taps = await asyncio.gather(alice.tap(label, message=question), alice.tap(label, message=question))
    assert [tap.toast.text if tap.toast else None for tap in taps] == [t_plain("en", "nlu.stale")] * 2
    assert await support.active_ticket(shop.db, alice.id) is None
    after = await _last(alice)
    assert after.message_id == question.message_id and after.text == question.text  # untouched
    assert await nlu_review.labelled_examples(shop.db) == []


# "blah blah" and "123" have plausible-looking odds, but no word the model knows / no signal at all.
@pytest.mark.parametrize("text", ["asdf qwer", "xyzzy", "blah blah", "123"])
async def test_nothing_plausible_still_asks_to_rephrase(shop: Any, text: str) -> None:
    alice = shop.people["Alice"]
    await alice.send(text)
    answer = await _last(alice)
    assert "rephrase" in (answer.text or "")
    assert t_plain("en", "nlu.human") not in _labels(answer)


@pytest.mark.parametrize(
    ("text", "key"),
    [("how are you?", "nlu.smalltalk"), ("lol", "nlu.smalltalk"), ("你好吗", "nlu.smalltalk"),
     ("bonjour, ça va", "nlu.unfamiliar"), ("¿dónde está mi pedido?", "nlu.unfamiliar")],
)  # fmt: skip
async def test_small_talk_and_other_languages_get_a_kind_answer(shop: Any, text: str, key: str) -> None:
    alice = shop.people["Alice"]
    await alice.send(text)
    answer = await _last(alice)
    lang = "zh" if key == "nlu.smalltalk" and text == "你好吗" else "en"
    assert answer.text == t_plain(lang, key)
    assert "rephrase" not in (answer.text or "")


@pytest.mark.parametrize(("who", "text", "lang"), [("Alice", AMBIGUOUS_EN, "en"), ("李雷", AMBIGUOUS_ZH, "zh")])
async def test_a_double_tap_on_talk_to_a_person_says_the_team_is_already_there(
    shop: Any, classifier: BuiltinClassifier, who: str, text: str, lang: str
) -> None:
    """Outside check: the second tap of a double tap on "Talk to a person" under "Did you mean…?" got the
    "already answered or expired" toast, as if the buttons were stale, although the first tap had just handed
    the shopper over. It gets the same toast as a repeated "Talk to a human": the team is already there."""
    shopper = shop.people[who]
    _expected_offer(classifier, text, shop.settings.nlu.threshold)
    await shopper.send(text)
    question = await _last(shopper)
    label = t_plain(lang, "nlu.human")
    taps = await asyncio.gather(shopper.tap(label, message=question), shopper.tap(label, message=question))
    await shop.client.settle()
    assert all(tap.raw.get("answered") for tap in taps)
    toasts = [tap.toast.text for tap in taps if tap.toast is not None and tap.toast.text]
    already = t_plain(lang, "support.ticket.already_open_toast")
    assert toasts == [already], toasts
    assert await support.active_ticket(shop.db, shopper.id) is not None
    assert [m.message_id for m in await shopper.messages() if m.message_id > question.message_id] == []

    # the same button arriving again later (from a client that still shows the question): still that toast
    await shopper.tap_data(question.button(label).callback_data or "", message=question)
    await shop.client.settle()
    assert (await shopper.toasts())[-1].text == already
