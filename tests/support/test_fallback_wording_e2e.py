"""The "I did not understand" answer, as an outside tester read it in Chinese: "或者发送 /support 联系人工客服，
转人工客服" said "contact human support, transfer to human support" in one breath, like a machine translation.
It now says, in natural Chinese and in English alike, that the bot did not understand, asks to rephrase, and
names the way to a person once, with the same buttons. Real bot, emulator."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.i18n import t_plain
from dialogues.nlu import load_responses
from tests.support.test_e2e import _labels, _last

pytestmark = pytest.mark.demo_people

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
MISSES = [("Alice", "blah blah", "en"), ("李雷", "天空为什么是蓝色的", "zh")]


@pytest.mark.parametrize(("who", "text", "lang"), MISSES, ids=["en", "zh"])
async def test_a_first_miss_says_so_asks_to_rephrase_and_offers_a_person_once(
    desk: Any, who: str, text: str, lang: str
) -> None:
    shopper = desk.people[who]
    await shopper.send(text)
    answer = await _last(shopper)
    body = answer.text or ""
    assert "/support" in body, body
    if lang == "zh":
        assert any(w in body for w in ("没看懂", "没明白", "没听懂")) and "换个说法" in body, body
        assert body.count("人工") == 1, f"the way to a person is named once: {body}"
        assert "转人工客服" not in body, body
    else:
        assert "didn't get that" in body and "rephrase" in body, body
    assert _labels(answer)[:2] == [t_plain(lang, "support.button.rephrase"), t_plain(lang, "support.button.human")]


def test_the_chinese_fallback_keeps_the_english_placeholders() -> None:
    for key in ("fallback_rephrase", "fallback_human"):
        en, zh = load_responses("en")[key], load_responses("zh")[key]
        assert sorted(PLACEHOLDER.findall(zh)) == sorted(PLACEHOLDER.findall(en)), key
