"""Every user-visible string exists in English and Chinese with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import i18n
from bot.i18n import load_catalogue_file


def test_every_key_has_both_languages() -> None:
    en, zh = set(i18n.keys("en")), set(i18n.keys("zh"))
    assert en, "no English catalogue found"
    assert sorted(en - zh) == [], "keys missing a Chinese translation"
    assert sorted(zh - en) == [], "keys missing an English text"


def test_placeholders_match() -> None:
    en, zh = i18n.catalogue("en"), i18n.catalogue("zh")
    mismatched = [key for key in en if key in zh and i18n.placeholders(en[key]) != i18n.placeholders(zh[key])]
    assert mismatched == []


def test_chinese_texts_are_chinese() -> None:
    # A copy-pasted English text in the zh catalogue is a missing translation in disguise.
    zh = i18n.catalogue("zh")
    en = i18n.catalogue("en")
    untranslated = [
        key
        for key, text in zh.items()
        if text == en.get(key) and any(c.isalpha() for c in text) and not _language_neutral(text)
    ]
    assert untranslated == []


def _language_neutral(text: str) -> bool:
    # Placeholders, markup, commands, emoji and numbers read the same in both languages.
    bare = re.sub(r"\{[^}]*\}|<[^>]+>|/[a-z_]+|https?://\S+", "", text)
    letters = [c for c in bare if c.isascii() and c.isalpha()]
    return len(letters) <= 3 or bare.strip() in ("English", "中文")


def test_language_from_telegram() -> None:
    assert i18n.language_from_telegram("zh-hans") == "zh"
    assert i18n.language_from_telegram("zh-TW") == "zh"
    for traditional in ("zh-hant", "zh-tw", "zh-hk", "zh_HK"):
        assert i18n.language_from_telegram(traditional) == "zh"
    assert i18n.language_from_telegram("en-GB") == "en"
    assert i18n.language_from_telegram("ru") == "en"
    assert i18n.language_from_telegram(None) == "en"


def test_translation_formats_and_falls_back() -> None:
    assert "Alice" in i18n.t("en", "start.welcome", name="Alice")
    assert "Alice" in i18n.t("zh", "start.welcome", name="Alice")
    assert i18n.t("fr", "menu.cart") == i18n.t("en", "menu.cart")
    assert i18n.t("en", "no.such.key") == "no.such.key"


def test_a_key_written_twice_in_one_file_is_an_error(tmp_path: Path) -> None:
    """PyYAML would keep the second `errors:` section and drop the first one's texts without a word."""
    path = tmp_path / "feature.yaml"
    path.write_text('errors:\n  a: "A"\nreviews:\n  b: "B"\nerrors:\n  c: "C"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"feature.yaml:5: key 'errors' appears twice"):
        load_catalogue_file(path)
    path.write_text('errors:\n  a: "A"\n  c: "C"\n', encoding="utf-8")
    assert load_catalogue_file(path) == {"errors": {"a": "A", "c": "C"}}


def test_telegram_stars_have_one_chinese_name() -> None:
    """The card said 星币 while checkout said 星星 (an outside tester's finding): one currency, one name."""
    zh = i18n.catalogue("zh")
    assert [key for key, text in zh.items() if "星币" in text] == []
    assert any("星星" in text for text in zh.values())


def test_chinese_addresses_the_shopper_one_way() -> None:
    """The pickup confirmation said 您 and then "你的虚拟商品还在购物车中" (an outside tester's finding): the zh
    catalogue says 您 throughout, 虚拟商品 for digital goods (not also 数字商品), and one name for the menu button."""
    zh = i18n.catalogue("zh")
    assert [key for key, text in zh.items() if "你" in text] == []
    assert [key for key, text in zh.items() if "数字商品" in text] == []
    assert {text for text in zh.values() if text.startswith("🏠")} == {"🏠 主菜单"}
