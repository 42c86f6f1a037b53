"""Outside tester, 2026-12-07 (c): customer-service answers that did not answer the question.

1. "ok" mid-conversation got "Bye! Come back any time.": "ok", "okay", "好的", "嗯" are acknowledgements, not
   goodbyes. They are `thanks` (dialogues/data/README.md: thanks, "that helped"), whose answer is short and asks
   whether anything else is needed; it never says goodbye.
2. "what are your opening hours?" / "r u open sunday" got the support team's hours only, and "你们几点开门" got a
   "Did you mean" menu. They are `contact_hours`, whose answer now says what the shop has: an online shop that never
   closes (order and pay in the chat at any time), people answering during shop.hours, and where pickup-point hours
   are shown.
3. "u guys take paypal?", "能用微信支付吗", "支付宝可以吗" got the list of payment methods without a clear "no". The
   `payment_methods` answer now says the shop accepts only the configured methods (card, Telegram Stars, pay on
   pickup) and not PayPal, WeChat Pay or Alipay.

Besides the tester's own sentences, the variants below were written for this test as a shopper would type them
(typos, slang, no punctuation); none of them is training data. The classifier is trained from the data files on disk,
as the other tests in tests/nlu do; the end-to-end tests run the real bot against the emulator.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot import nlu_service
from bot.emulator.client import MessageView, UserHandle
from dialogues.nlu import BuiltinClassifier, load_training_data
from tests.conftest import make_test_settings

# At or above the bot's nlu.threshold an intent is answered; below it the shopper is asked to rephrase.
SETTINGS = make_test_settings()
THRESHOLD = SETTINGS.nlu.threshold

TESTER = [
    ("ok", "thanks"),
    ("okay", "thanks"),
    ("好的", "thanks"),
    ("嗯", "thanks"),
    ("what are your opening hours?", "contact_hours"),
    ("r u open sunday", "contact_hours"),
    ("你们几点开门", "contact_hours"),
    ("u guys take paypal?", "payment_methods"),
    ("能用微信支付吗", "payment_methods"),
    ("支付宝可以吗", "payment_methods"),
]
ACK_EN = ["OK", "Ok.", "okay!", "okk", "ok got it", "oh ok", "ah ok", "ok cool", "understood", "ok ok"]
# These need the English acknowledgement examples of dialogues/data/sources/nlu_en_written.yml (thanks).
ACK_EN_SOURCES = ["ok gotcha", "kk", "okey", "got it", "alright", "ok noted", "i see"]
ACK_ZH = [
    "嗯嗯", "好吧", "行", "知道了", "明白了", "好的好的", "收到", "哦", "哦哦",
    "ok的", "好滴", "嗯好的", "可以", "懂了", "了解", "好嘞",
]  # fmt: skip
HOURS_EN = [
    "when do u open",
    "r u open on weekends",
    "are u guys open today",
    "store hours",
    "wat time u close tonight",
    "business hours pls",
    "is the shop open 24/7",
    "whens the shop open",
    "what time do u guys open",
    "open sundays?",
    "u open on christmas",
]
HOURS_ZH = [
    "几点开门",
    "几点关门",
    "周末开门吗",
    "现在还营业吗",
    "今天开门吗",
    "你们早上几点开",
    "节假日营业吗",
    "你们周日营业吗",
    "营业时间是几点",
    "几点开始营业",
    "晚上几点关门",
    "店铺营业时间",
    "你们店周六开吗",
]
PAY_EN = [
    "paypal accepted?",
    "can i pay thru paypal",
    "do u take wechat pay",
    "can i use alipay",
    "alipay ok?",
    "pay with wechat?",
    "do you guys accept alipay",
    "paypal??",
    "can i pay w paypal pls",
    "wechat pay possible?",
]
PAY_ZH = [
    "可以用支付宝付款吗",
    "能微信付吗",
    "支持微信吗",
    "支付宝能付不",
    "微信付款行不行",
    "收支付宝吗",
    "可以微信转账吗",
    "支持支付宝付款不",
    "能用PayPal付款吗",
    "paypal能用不",
]
# Close neighbours that must stay where they were: a farewell that starts with "ok" is still a goodbye, a greeting
# with 好 is still a greeting, a question starting with 可以 is still that question.
UNCHANGED = [
    ("ok bye then", "goodbye"),
    ("ok see you tomorrow", "goodbye"),
    ("thats all for now", "goodbye"),
    ("好的 那再见啦", "goodbye"),
    ("ok thanks", "thanks"),
    ("客服好", "greet"),
    ("老板好", "greet"),
    ("可以退货吗", "return_policy"),
    ("可以自提吗", "delivery_options"),
    ("可以刷卡吗", "payment_methods"),
    ("客服几点下班呀", "contact_hours"),
    ("what time does support close", "contact_hours"),
]

CASES = (
    TESTER
    + [(t, "thanks") for t in ACK_EN + ACK_ZH]
    + [(t, "contact_hours") for t in HOURS_EN + HOURS_ZH]
    + [(t, "payment_methods") for t in PAY_EN + PAY_ZH]
)


@pytest.fixture(scope="module")
def classifier() -> BuiltinClassifier:
    return BuiltinClassifier.train(load_training_data())


def _normalized(text: str) -> str:
    return re.sub(r"[^\w\u4e00-\u9fff]+", " ", text.lower()).strip()


def _check(classifier: BuiltinClassifier, text: str, intent: str) -> None:
    result = classifier.classify(text)
    assert (result.intent, result.confidence >= THRESHOLD) == (intent, True), classifier.ranking(text)


def test_probes_are_not_training_data() -> None:
    # The fix must generalise: neither the variants nor the tester's sentences are in the data, except "what are your
    # opening hours", an English training line already before (its intent was right, its answer was not).
    trained = {_normalized(text) for text, _, _ in load_training_data()}
    probes = [text for text, _ in CASES if text != "what are your opening hours?"] + ACK_EN_SOURCES
    assert not [text for text in probes if _normalized(text) in trained]


@pytest.mark.parametrize(("text", "intent"), CASES)
def test_phrasings_reach_their_intent(classifier: BuiltinClassifier, text: str, intent: str) -> None:
    _check(classifier, text, intent)


@pytest.mark.parametrize("text", ACK_EN_SOURCES)
def test_english_acknowledgements_are_thanks(classifier: BuiltinClassifier, text: str) -> None:
    _check(classifier, text, "thanks")


@pytest.mark.parametrize(("text", "intent"), UNCHANGED)
def test_neighbours_unchanged(classifier: BuiltinClassifier, text: str, intent: str) -> None:
    _check(classifier, text, intent)


# --- the answers ---------------------------------------------------------------------------------------------


def test_acknowledgement_answer_is_not_a_farewell() -> None:
    en = nlu_service.faq_answer(SETTINGS, "thanks", "en")
    zh = nlu_service.faq_answer(SETTINGS, "thanks", "zh")
    assert "bye" not in en.lower() and "Anything else" in en, en
    assert "再见" not in zh and "还有什么可以帮您" in zh, zh


def test_hours_answer_says_the_shop_never_closes_and_when_people_answer() -> None:
    en = nlu_service.faq_answer(SETTINGS, "contact_hours", "en")
    assert "never close" in en and "any time" in en and "09:00-21:00" in en and "/support" in en, en
    zh = nlu_service.faq_answer(SETTINGS, "contact_hours", "zh")
    assert "不打烊" in zh and "任何时间" in zh and "09:00-21:00" in zh and "/support" in zh, zh


def test_payment_answer_says_what_is_and_is_not_accepted() -> None:
    en = nlu_service.faq_answer(SETTINGS, "payment_methods", "en")
    assert "bank card" in en and "Telegram Stars" in en and "at pickup" in en, en
    assert "don't take PayPal, WeChat Pay, Alipay" in en, en
    zh = nlu_service.faq_answer(SETTINGS, "payment_methods", "zh")
    assert "银行卡" in zh and "Telegram 星星" in zh and "自提时" in zh, zh
    assert "暂不支持微信支付、支付宝、PayPal" in zh, zh


# --- end to end -----------------------------------------------------------------------------------------------


async def _answer(user: UserHandle, text: str) -> str:
    await user.send(text)
    message: MessageView | None = await user.last_message()
    assert message is not None, "the bot did not answer"
    return message.text or ""


@pytest.mark.demo_people
async def test_ok_mid_conversation_is_not_a_goodbye(shop: Any) -> None:
    alice, li = shop.people["Alice"], shop.people["李雷"]
    await _answer(alice, "how much is delivery?")
    for text in ("ok", "okay"):
        answer = await _answer(alice, text)
        assert "Bye" not in answer and "Anything else" in answer, (text, answer)
    await _answer(li, "配送费多少钱")
    for text in ("好的", "嗯"):
        answer = await _answer(li, text)
        assert "再见" not in answer and "还有什么可以帮您" in answer, (text, answer)


@pytest.mark.demo_people
async def test_opening_hours_questions_get_the_shops_hours(shop: Any) -> None:
    alice, li = shop.people["Alice"], shop.people["李雷"]
    for text in ("what are your opening hours?", "r u open sunday"):
        answer = await _answer(alice, text)
        assert "never close" in answer and "09:00-21:00" in answer, (text, answer)
    answer = await _answer(li, "你们几点开门")
    assert "不打烊" in answer and "09:00-21:00" in answer, answer


@pytest.mark.demo_people
async def test_paypal_wechat_alipay_get_a_clear_no(shop: Any) -> None:
    alice, li = shop.people["Alice"], shop.people["李雷"]
    answer = await _answer(alice, "u guys take paypal?")
    assert "don't take PayPal" in answer and "bank card" in answer, answer
    for text in ("能用微信支付吗", "支付宝可以吗"):
        answer = await _answer(li, text)
        assert "暂不支持微信支付、支付宝" in answer and "银行卡" in answer, (text, answer)
