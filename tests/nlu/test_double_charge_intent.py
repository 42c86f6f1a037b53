""" "I was charged twice" is an intent of its own (payment_double_charge), not a failed payment: the failed-payment
answer asks the shopper to pay again (outside tester). It used to be caught by a hand-written regex before the
classifier; now the classifier reads it from the training data.

The phrasings below were written for this test as shoppers type them (typos, slang, no punctuation); none of them
is training data. A failed payment and a refund request keep their own intents.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import pytest

from bot import nlu_service
from bot.context import AppContext
from dialogues.nlu import INTENTS, BuiltinClassifier, IntentResult, load_training_data
from dialogues.nlu.features import normalize
from tests.conftest import make_test_settings

INTENT = "payment_double_charge"
# The bot answers an intent it knows at or above its nlu.threshold (bot.nlu_service.confident reads only the settings).
CTX = cast(AppContext, SimpleNamespace(settings=make_test_settings()))

DOUBLE_CHARGE = {
    "en": [
        "I think you charged my card twice",
        "there are two identical charges on my bank statement",
        "got billed twice for the same thing",
        "my account got debited two times for one purchase",
        "why is the payment showing up twice on my card",
        "double charge on my order, pls fix",
        "u charged me twice wtf",
        "I can see a duplicate payment for my order",
        "i paid once but the money was taken 2 times",
        "you billed my card two times for one order",
        "charged twicee for one order!!",
    ],
    "zh": [
        "我的银行卡被扣了两回款",
        "同一笔订单扣了我两次钱",
        "怎么重复收费了啊",
        "银行卡显示扣了两笔钱",
        "付一次款却扣了两次",
        "你们多扣了我一次钱吧",
        "被重复扣钱了 怎么办",
        "一个订单付了两遍钱",
        "账单上有两笔一样的扣款",
        "我的钱被扣了两回",
        "亲 重复扣了我的款",
    ],
}
OTHER_INTENTS = [
    ("my payment failed", "payment_problem"),
    ("支付失败了", "payment_problem"),
    ("I want a refund", "refund_request"),
    ("我要退款", "refund_request"),
]


@pytest.fixture(scope="module")
def classifier() -> BuiltinClassifier:
    return BuiltinClassifier.train(load_training_data())


def _confident(result: IntentResult) -> bool:
    return nlu_service.confident(CTX, result)


def test_double_charge_is_an_intent_with_an_answer() -> None:
    assert INTENT in INTENTS
    assert nlu_service.has_response(INTENT)


def test_probes_are_not_training_data() -> None:
    trained = {normalize(text) for text, _, _ in load_training_data()}
    probes = [text for texts in DOUBLE_CHARGE.values() for text in texts]
    assert not [text for text in probes if normalize(text) in trained]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_held_out_double_charge_phrasings_are_understood(classifier: BuiltinClassifier, lang: str) -> None:
    results = {text: classifier.classify(text) for text in DOUBLE_CHARGE[lang]}
    wrong = {
        text: (r.intent, round(r.confidence, 2))
        for text, r in results.items()
        if r.intent != INTENT or not _confident(r)
    }
    assert not wrong


@pytest.mark.parametrize(("text", "intent"), OTHER_INTENTS)
def test_failed_payments_and_refunds_keep_their_intents(classifier: BuiltinClassifier, text: str, intent: str) -> None:
    result = classifier.classify(text)
    assert result.intent == intent and _confident(result), result
