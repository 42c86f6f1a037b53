"""The real bot against the emulator with the demo catalog, in English and Chinese: what can be bought is listed
before what is sold out (outside check: "水果 便宜" ranked the sold-out mangoes high), and an emoji finds the
products it names (outside check: "🍎" and "🍵" found nothing)."""

from __future__ import annotations

import pytest

from bot.emulator.client import UserHandle
from bot.sandbox import Stack
from tests.search.screens import shopper

pytestmark = pytest.mark.seeded


async def reply_to(user: UserHandle, text: str) -> str:
    await user.send(text)
    message = await user.last_message()
    assert message is not None and message.text is not None
    return message.text


def result_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line[:1].isdigit() and ". " in line]


@pytest.mark.parametrize(
    ("lang", "query", "sold_out", "next_page"),
    [("en", "fruit cheap", "sold out", "Next ▶"), ("zh-hans", "水果 便宜", "已售罄", "下一页 ▶")],
)
async def test_fruit_in_stock_is_listed_before_sold_out_fruit(
    shop: Stack, lang: str, query: str, sold_out: str, next_page: str
) -> None:
    user = await shopper(shop, "Mei", lang)
    first = result_lines(await reply_to(user, f"/search {query}"))
    assert len(first) == 6 and not any(sold_out in line for line in first), first  # the demo's mangoes are sold out
    await user.tap(next_page)
    last = await user.last_message()
    assert last is not None and last.text is not None
    assert any(sold_out in line and ("mango" in line or "芒" in line) for line in result_lines(last.text))


@pytest.mark.parametrize(
    ("name", "lang", "found_one", "apples", "teas", "nothing"),
    [
        (
            "Ann",
            "en",
            "🔎 🍎: 1 found",
            "Fuji apples, 2 kg",
            ("West Lake Longjing green tea", "Pu'er"),
            ("Nothing found for", "common product emoji such as 🍎"),
        ),
        (
            "李雷",
            "zh-hans",
            "🔎 🍎：找到 1 件",
            "烟台红富士苹果 2公斤",
            ("西湖龙井 250克", "普洱熟茶饼"),
            ("没有找到", "常见商品表情"),
        ),
    ],
)
async def test_an_emoji_finds_apples_and_tea(
    shop: Stack,
    name: str,
    lang: str,
    found_one: str,
    apples: str,
    teas: tuple[str, ...],
    nothing: tuple[str, ...],
) -> None:
    user = await shopper(shop, name, lang)
    found = await reply_to(user, "/search 🍎")
    assert found.startswith(found_one) and apples in found
    tea = await reply_to(user, "/search 🍵")
    assert tea.startswith("🔎 🍵") and all(t in tea for t in teas)
    # Typed on its own in the chat, an emoji that names a product is read as a search too.
    assert apples in await reply_to(user, "🍎")
    # An emoji search cannot read: say what it understands, in the shopper's language.
    unknown = await reply_to(user, "/search 😀")
    assert all(n in unknown for n in nothing)
