"""Price bounds typed the way shoppers type them ("tea under 50", "50元以下", "30到50元", "¥30"), read by the query
parser into bounds in minor units (low inclusive, high exclusive) next to the remaining words, and named back in
the shopper's language. Numbers that are not prices ("iphone 15", "2 kg rice") stay words."""

from __future__ import annotations

import pytest

from bot.views.search import bound_text
from store.search import parse_query

Expected = tuple[list[str], int | None, int | None]


def read(typed: str, currency: str = "CNY") -> Expected:
    parsed = parse_query(typed, currency)
    return [word.surface for word in parsed.words], parsed.price_min, parsed.price_max


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("tea under 50", (["tea"], None, 5000)),
        ("mugs below 30", (["mugs"], None, 3000)),
        ("less than 100", ([], None, 10000)),
        ("tea cheaper than 80", (["tea"], None, 8000)),
        ("over 200", ([], 20001, None)),
        ("tea more than 100", (["tea"], 10001, None)),
        ("at least 100 tea", (["tea"], 10000, None)),
        ("up to 80 yuan", ([], None, 8001)),
        ("at most ¥80", ([], None, 8001)),
        ("between 20 and 50", ([], 2000, 5001)),
        ("mugs between ¥20 and ¥50", (["mugs"], 2000, 5001)),
        ("mugs from 20 to 50", (["mugs"], 2000, 5001)),
        ("between 50 and 20", ([], 2000, 5001)),  # either order
        ("tea 50 or less", (["tea"], None, 5001)),
        ("tea 100 and up", (["tea"], 10000, None)),
        ("tea priced under 50", (["tea"], None, 5000)),
        ("¥30", ([], None, 3001)),  # a budget: up to that price
        ("30 yuan", ([], None, 3001)),
        ("$30", ([], None, 3001)),  # the shop's major unit whatever the sign
        ("tea$30", (["tea"], None, 3001)),
        ("green tea 30 rmb", (["green", "tea"], None, 3001)),
        ("¥50+", ([], 5000, None)),
        ("tea under50", (["tea"], None, 5000)),
        ("UNDER 50 Tea", (["tea"], None, 5000)),
        ("ＵＮＤＥＲ ５０", ([], None, 5000)),  # full-width
        ("tea, under 1,000", (["tea"], None, 100000)),
        ("tea under 12.5", (["tea"], None, 1250)),
        ("tea over 20 under 50", (["tea"], 2001, 5000)),
        ("tea >20 under 100", (["tea"], 2001, 10000)),
        ("tea under 100 under 50", (["tea"], None, 5000)),  # the later bound on a side wins
    ],
)
def test_english_price_phrases(typed: str, expected: Expected) -> None:
    assert read(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("50元以下", ([], None, 5001)),  # 以下 includes the number
        ("茶 50块以内", (["茶"], None, 5001)),
        ("茶50元以下", (["茶"], None, 5001)),
        ("100元以上", ([], 10000, None)),
        ("100元以上的茶", (["茶"], 10000, None)),  # the particle goes with the bound
        ("30到50元", ([], 3000, 5001)),
        ("茶 30元到50元", (["茶"], 3000, 5001)),
        ("20-50元", ([], 2000, 5001)),
        ("价格在30到50之间", ([], 3000, 5001)),
        ("绿茶 价格50以下", (["绿茶"], None, 5001)),
        ("茶叶低于50", (["茶叶"], None, 5000)),
        ("不超过100元的茶", (["茶"], None, 10001)),
        ("高于200元", ([], 20001, None)),
        ("至少100元", ([], 10000, None)),
        ("预算50元的茶叶", (["茶叶"], None, 5001)),
        ("20元起", ([], 2000, None)),
        ("30元", ([], None, 3001)),
        ("30块钱的咖啡", (["咖啡"], None, 3001)),
        ("茶，50元以下", (["茶"], None, 5001)),  # a full-width comma before the bound
        ("茶 ￥30", (["茶"], None, 3001)),
        ("茶 ３０元以下", (["茶"], None, 3001)),
    ],
)
def test_chinese_price_phrases(typed: str, expected: Expected) -> None:
    assert read(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "iphone 15",
        "2 kg rice",
        "rice 2kg",
        "under 2 kg",  # a weight, not a price
        "over 5 years",
        "under 50.5 kg",  # not "under 50" and a stray ".5 kg"
        "3 to 5",
        "tea 20 and 50",
        "iphone 15+",
        "iphone 15 pro max 256",
        "100% cotton",
        "a4 paper",
        "soy milk 12 x 250 ml",
        "3岁以下",  # an age
        "2块巧克力",  # 块 alone is also "a piece of"
        "5块",
        "10包",
        "thunder 50",
        "under",
        "between",
        "¥",
    ],
)
def test_numbers_that_are_not_prices_stay_words(typed: str) -> None:
    _words, low, high = read(typed)
    assert (low, high) == (None, None), typed


def test_the_signs_still_work_and_combine_with_phrases() -> None:
    assert read("tea <30") == (["tea"], None, 3000)
    assert read("tea 10-20") == (["tea"], 1000, 2001)
    assert read("tea >=20 under 50") == (["tea"], 2000, 5000)


def test_amounts_follow_the_currency() -> None:
    assert read("under 500", "JPY") == ([], None, 500)  # yen have no minor unit
    assert read("under 12.5", "USD") == ([], None, 1250)
    with pytest.raises(ValueError):
        parse_query("under 1.5", "JPY")  # like "<1.5": an amount the currency cannot have
    with pytest.raises(ValueError):
        parse_query("tea under 1.234")


def test_a_huge_bound_is_clamped_to_a_number_the_database_holds() -> None:
    _words, low, high = read("under 99999999999999999999999")
    assert low is None and high is not None and high <= 2**62
    _words, low, high = read("<99999999999999999999999")
    assert high is not None and high <= 2**62


@pytest.mark.parametrize(
    ("lang", "low", "high", "shown"),
    [
        ("en", None, 5000, "under ¥50"),
        ("en", None, 5001, "up to ¥50"),
        ("en", 20001, None, "over ¥200"),
        ("en", 10000, None, "from ¥100 up"),
        ("en", 2000, 5001, "between ¥20 and ¥50"),
        ("en", 2001, 5000, "over ¥20 and under ¥50"),
        ("en", 2000, 3000, "priced ¥20–¥30"),  # a range button: from ¥20 to under ¥30, as its label reads
        ("en", None, 1250, "under ¥12.50"),
        ("zh", None, 5000, "低于 ¥50"),
        ("zh", None, 5001, "不超过 ¥50"),
        ("zh", 20001, None, "高于 ¥200"),
        ("zh", 10000, None, "不低于 ¥100"),
        ("zh", 3000, 5001, "在 ¥30–¥50 之间"),
        ("en", None, None, ""),
    ],
)
def test_a_bound_is_named_as_typed(lang: str, low: int | None, high: int | None, shown: str) -> None:
    assert bound_text(lang, low, high, "CNY") == shown


def test_a_typed_bound_reads_back_the_way_it_was_typed() -> None:
    for typed, shown in (("tea under 50", "under ¥50"), ("50元以下", "up to ¥50"), ("over 200", "over ¥200")):
        parsed = parse_query(typed)
        assert bound_text("en", parsed.price_min, parsed.price_max, "CNY") == shown
