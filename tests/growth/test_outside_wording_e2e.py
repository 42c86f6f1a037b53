"""Outside tester's wording defects: "(0% member discount)" on the entry tier, "…erased from your profile and 0
orders" after /forgetme, and a shortened product name followed by a full stop in the Add toast ("pac….")."""

from __future__ import annotations

import pytest

from bot.emulator.client import UserHandle
from bot.i18n import t, t_plain
from bot.sandbox import Stack
from bot.views.catalog import clip
from handlers.catalog import TOAST_TITLE_MAX

WORDS = {
    "en": {"tier": "Tier: Member", "zero": "0%", "erased": "erased from your profile.", "none": "0 orders"},
    "zh": {"tier": "会员等级：", "zero": "0%", "erased": "已从您的个人资料中删除联系信息", "none": "0 个订单"},
}


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_entry_tier_claims_no_discount_and_forgetting_without_orders_names_none(
    shop: Stack, lang: str
) -> None:
    words = WORDS[lang]
    zoe = await shop.client.user("Zoe", lang=lang)
    await zoe.send("/start")
    await zoe.send("/points")
    screen = await zoe.last_message()
    assert screen is not None and words["tier"] in (screen.text or ""), screen.text
    tier_line = next(line for line in (screen.text or "").splitlines() if words["tier"] in line)
    assert words["zero"] not in tier_line, tier_line

    await zoe.send("/forgetme")
    await zoe.tap(t(lang, "privacy.forget_yes"))
    done = await shop.client.wait_for(lambda: _said(zoe, words["erased"]), timeout=10)
    assert words["none"] not in done, done


async def _said(user: UserHandle, needle: str) -> str | None:
    for message in reversed(await user.messages()):
        if message.from_bot and needle in (message.text or ""):
            return str(message.text)
    return None


def test_a_shortened_name_in_the_add_toast_is_not_followed_by_a_full_stop() -> None:
    title = clip("Crispy seaweed snacks, 10 packs of 5 g", TOAST_TITLE_MAX)
    toast = t_plain("en", "catalog.added", qty=1, title=title, in_cart=1)
    assert "…." not in toast and title in toast, toast
