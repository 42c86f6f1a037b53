"""A shopper whose Telegram language is neither English nor Chinese gets the shop's default language, whichever
that is (never a hard-coded English)."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.i18n import language_from_telegram
from bot.sandbox import Stack
from tests.conftest import make_test_settings


@pytest.fixture(params=["en", "zh"])
def settings(request: pytest.FixtureRequest) -> Settings:
    return make_test_settings(shop={"default_language": request.param})


async def test_unsupported_telegram_language_gets_the_shop_default(shop: Stack, settings: Settings) -> None:
    default = settings.shop.default_language
    hans = await shop.client.user("Hans", lang="de")
    li = await shop.client.user("李雷", lang="zh-hans")
    ann = await shop.client.user("Ann", lang="en-GB")
    for person in (hans, li, ann):
        await person.send("/start")
    greeting = (await hans.last_message()).text or ""  # type: ignore[union-attr]
    assert ("Hans，您好" in greeting) if default == "zh" else ("Hi Hans" in greeting), greeting
    assert "李雷，您好" in ((await li.last_message()).text or "")  # type: ignore[union-attr]
    assert "Hi Ann" in ((await ann.last_message()).text or "")  # type: ignore[union-attr]
    await hans.send("/help")
    help_text = (await hans.last_message()).text or ""  # type: ignore[union-attr]
    assert ("我能做什么" in help_text) == (default == "zh")


def test_language_from_telegram() -> None:
    assert language_from_telegram("de", "zh") == "zh"
    assert language_from_telegram("de", "en") == "en"
    assert language_from_telegram(None, "zh") == "zh"
    assert language_from_telegram("zh-hant", "en") == "zh"
    assert language_from_telegram("en-US", "zh") == "en"
    assert language_from_telegram("EN", "zh") == "en"
