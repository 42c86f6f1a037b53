"""What the rating-comment step keeps as the comment and what it answers as a new question or request
(dialogues.support_chat.reads_as_question), English and Chinese. The rule goes by form because the intent
classifier reads much feedback as shop questions with full confidence: the feedback below includes such messages."""

from __future__ import annotations

import pytest

from dialogues.support_chat import reads_as_question

FEEDBACK = [
    "Quick and friendly",
    "Sam was very helpful, thanks",
    "The refund was processed fast",  # the classifier: refund_request, confidence 1.0
    "payment issue resolved fast",  # payment_problem, 1.0
    "Tess explained the coupon rules well",  # coupon_question, 0.99
    "Took too long to get a reply",
    "Excellent service!",
    "What a great service!",
    "How kind of you!",
    "Would recommend",
    "Could be faster",
    "Was great",
    "I want to say thank you",
    "My parcel is still missing",  # a statement: the agents read it as the comment note in the topic
    "客服很耐心",
    "一般般",  # delivery_time, 0.87
    "退款很快",  # refund_request, 1.0
    "积分的问题说清楚了",  # points_question, 0.99
    "没什么问题，很好",
    "我想说客服很好",
    "人工服务很好",
    "非常满意",
]
QUESTIONS = [
    "how much is delivery?",
    "where is my order",
    "Where's my parcel",
    "what are your hours",
    "can I pay with stars",
    "do you deliver on sunday",
    "is there a pickup point near me",
    "I want a refund",
    "I need an invoice",
    "I want to talk to a human again",
    "human please",
    "one more question: how long does delivery take",
    "你们有绿茶吗？",
    "有绿茶吗",
    "配送费多少钱",
    "我的订单到哪了",
    "积分怎么用",
    "请问几点开门",
    "我要退款",
    "我要转人工",
    "人工客服",
    "能开发票吗",
]


@pytest.mark.parametrize("text", FEEDBACK)
def test_feedback_is_a_comment(text: str) -> None:
    assert not reads_as_question(text)


@pytest.mark.parametrize("text", QUESTIONS)
def test_a_question_or_request_is_not_a_comment(text: str) -> None:
    assert reads_as_question(text)
