"""Price bounds written the way shoppers write them, taken out of a search query before its words are read.

English: "under 50", "below 30", "less than 100", "up to 80", "over 200", "at least 100", "between 20 and 50",
"from 20 to 50", "50 or less", "100 and up". Chinese: "50元以下", "50块以内", "100元以上", "30到50元", "低于50",
"不超过50元", "价格在30到50之间". A number with a currency mark and nothing else ("¥30", "$30", "30 yuan", "30元")
is a budget: up to that price. Every number is in the shop's major unit, whatever currency mark it carries
("50" is ¥50 in a yuan shop), and becomes minor units here.

Only explicit phrases are bounds. A number alone ("iphone 15"), a number with a measure ("2 kg rice", "under 2 kg",
"3岁以下") and a "to" range without a currency mark or a price word ("3 to 5") stay words.

Chinese 以下/以内/以上 include the number (as in Chinese law and shops: "50元以下" includes ¥50); English "under",
"below", "over" do not.

Linear in the text: each pattern starts at a word, a currency mark or the first digit of a number (lookbehinds
keep it from starting inside one), and numbers and spaces are matched possessively, so nothing is retried from
every position of a long run of digits or spaces (a 10,000-character query is parsed in milliseconds).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from store.money import parse_major

# Bounds beyond this (minor units) are clamped: a pasted "under 99999999999999999999" means "any price", and the
# database's integers and numpy's int64 must hold the bound.
MAX_BOUND = 10**15

_SP = r"\s*+"
# A number in major units: 1,299 (thousands commas) or 1299, optional decimals. Atomic, so a failed phrase is not
# retried with fewer digits ("under 50.5 kg" must not become "under 50" and ".5 kg"); not followed by more of a
# number. Where a phrase starts with it, it does not start inside a word or another number ("a4", "1,50").
_NUM_BODY = r"(?>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?>\.\d+)?(?![.,]\d)"
_NUM = r"(?<![\d.a-z])(?<!\d,)" + _NUM_BODY
_SYMBOL = r"[¥$€£]"
# Currency words after a number. "块" alone is also a measure word ("2块巧克力": two bars), so it is a currency
# only next to a bound word ("50块以内"), never a budget by itself.
_CURRENCY_WORD = r"(?:元|块钱|圆|rmb|cny|yuan|kuai|usd|dollars?|bucks?|eur|euros?)(?![a-z])"
_CURRENCY_AFTER = r"(?:元|块钱|块|圆|rmb|cny|yuan|kuai|usd|dollars?|bucks?|eur|euros?)(?![a-z])"
# Measures: a number followed by one of these is an amount of something, not a price ("under 2 kg", "over 5 years").
_MEASURE = (
    r"(?:kgs?|g|grams?|mg|lbs?|oz|ml|cl|l|lit(?:re|er)s?|cm|mm|m|km|inch(?:es)?|ft|pcs|pc|pieces?|packs?|bags?"
    r"|box(?:es)?|bottles?|cans?|cups?|rolls?|sheets?|ct|count|x|gb|tb|mb|mah|w|kw|v|hz|years?|yrs?|yo|months?"
    r"|weeks?|days?|hours?|hrs?|mins?|minutes?|people|persons?|seats?|inches|ears?)(?![a-z])"
    r"|%|克|千克|公斤|斤|两|毫升|升|个|件|包|袋|盒|瓶|罐|条|只|根|片|张|支|双|套|岁|寸|厘米|米|毫米|人|天|小时|分钟|年|月|号|卷|瓦|伏"
)
_NOT_MEASURED = rf"(?!{_SP}(?:{_MEASURE}))"
# Words that may come before a bound and mean nothing else ("tea priced under 50", "价格在30到50之间").
_PRICE_WORD = r"(?:(?:priced|prices?|costing|costs?|价格|价钱|价位|售价|预算)\s*+(?:在\s*+)?)?"


def _amount(tag: str, *, first: bool = False) -> str:
    """An amount with an optional currency mark before or after it; groups `<tag>sym`, `<tag>`, `<tag>cur`.
    `first`: the phrase may start with it (otherwise a word comes first: "under50" is "under 50")."""
    number = _NUM if first else _NUM_BODY
    return rf"(?P<{tag}sym>{_SYMBOL}{_SP})?(?P<{tag}>{number})(?:{_SP}(?P<{tag}cur>{_CURRENCY_AFTER}))?{_NOT_MEASURED}"


def _words(*phrases: str) -> str:
    """English phrases (spaces between their words may be any run of spaces) or Chinese ones, longest first."""
    ordered = sorted(phrases, key=len, reverse=True)
    return "(?:" + "|".join(p.replace(" ", r"\s++") for p in ordered) + ")"


_LT = ("under", "below", "less than", "cheaper than", "lower than", "beneath", "低于", "少于", "小于", "不到", "便宜于")
_LE = (
    *("up to", "at most", "no more than", "not more than", "no higher than", "not over", "maximum"),
    *("within", "budget", "预算", "不超过", "不高于", "不大于", "不多于", "最多", "最高", "至多"),
)
_GT = (
    *("over", "above", "more than", "greater than", "higher than", "pricier than"),
    *("高于", "超过", "大于", "多于", "贵于"),
)
_GE = (
    *("at least", "starting at", "starting from", "no less than", "not less than", "not under", "minimum"),
    *("不低于", "不少于", "不小于", "至少", "最低", "最少", "起码"),
)
_AFTER_LE = (
    *("or less", "or under", "or below", "or cheaper", "and under", "and below", "and less"),
    *("以下", "以内", "之内", "及以下", "或以下"),
)
_AFTER_GE = (
    *("or more", "or above", "or over", "or higher", "and up", "and above", "and over", "and more"),
    *("以上", "及以上", "或以上", "起"),
)

_START = r"(?<![a-z0-9])"
# "100元以下的茶": the particle after a bound belongs to it, not to the word after it.
_END = rf"(?:{_SP}的)?"

_BETWEEN = ("between", "priced between", "price between")  # the words before "20 and 50" that make it a range
_RANGE_RE = re.compile(
    rf"{_START}(?:(?P<pre>priced between|price between|between|from|价格|价钱|价位|售价|预算){_SP}(?:在{_SP})?)?"
    rf"(?:在{_SP})?{_amount('a', first=True)}{_SP}(?P<join>and|to|-|~|–|—|到|至){_SP}{_amount('b')}"
    rf"(?:{_SP}(?P<tail>之间|之内|以内))?{_END}"
)
_BEFORE_RE = re.compile(
    rf"{_START}{_PRICE_WORD}(?P<op>(?P<lt>{_words(*_LT)})|(?P<le>{_words(*_LE)})|(?P<gt>{_words(*_GT)})"
    rf"|(?P<ge>{_words(*_GE)})){_SP}{_amount('a')}{_END}"
)
_AFTER_RE = re.compile(
    rf"{_START}{_PRICE_WORD}{_amount('a', first=True)}{_SP}"
    rf"(?:(?P<le>{_words(*_AFTER_LE)})|(?P<ge>{_words(*_AFTER_GE)})|(?P<plus>\+)){_END}"
)
_MONEY_RE = re.compile(  # a currency sign may follow a word: "tea¥30"
    rf"(?:{_START}{_PRICE_WORD})?(?:(?P<asym>{_SYMBOL}){_SP}(?P<a>{_NUM})(?:{_SP}{_CURRENCY_AFTER})?"
    rf"|(?P<b>{_NUM}){_SP}{_CURRENCY_WORD}){_NOT_MEASURED}{_END}"
)


@dataclass(frozen=True)
class PriceBounds:
    """What the phrases said, in minor units: `low` inclusive, `high` exclusive (None: no bound on that side)."""

    low: int | None = None
    high: int | None = None


def _minor(number: str, currency: str) -> int:
    return min(parse_major(number, currency), MAX_BOUND)


def take_price_phrases(folded: str, currency: str) -> tuple[str, PriceBounds]:
    """The text with its price phrases blanked out, and the bounds they set (a later phrase replaces an earlier
    one's bound on the same side). `folded` is already folded (lower case, half-width: store.search.text.fold).
    ValueError for an amount the currency cannot have (more decimals than it has)."""
    found: list[tuple[int, int | None, int | None]] = []  # (position, low, high)

    def pass_(pattern: re.Pattern[str], read: Callable[[re.Match[str]], tuple[int | None, int | None] | None]) -> None:
        nonlocal folded

        def replace(match: re.Match[str]) -> str:
            bounds = read(match)
            if bounds is None:
                return match.group(0)
            found.append((match.start(), *bounds))
            return " " * len(match.group(0))  # same length: positions of later passes stay comparable

        folded = pattern.sub(replace, folded)

    def range_(m: re.Match[str]) -> tuple[int | None, int | None] | None:
        marked = any(m.group(g) for g in ("pre", "asym", "acur", "bsym", "bcur", "tail"))
        if not marked or (m.group("join") == "and" and m.group("pre") not in _BETWEEN):
            return None  # "3 to 5", "tea 20 and 50": numbers, not prices
        low, high = sorted((_minor(m.group("a"), currency), _minor(m.group("b"), currency)))
        return low, high + 1

    def before(m: re.Match[str]) -> tuple[int | None, int | None] | None:
        value = _minor(m.group("a"), currency)
        if m.group("lt"):
            return None, value
        if m.group("le"):
            return None, value + 1
        if m.group("gt"):
            return value + 1, None
        return value, None

    def after(m: re.Match[str]) -> tuple[int | None, int | None] | None:
        value = _minor(m.group("a"), currency)
        if (m.group("plus") or m.group("ge") == "起") and not (m.group("asym") or m.group("acur")):
            return None  # "iphone 15+" is a model, "3起" is not a price without its currency
        if m.group("le"):
            return None, value + 1
        return value, None

    def money(m: re.Match[str]) -> tuple[int | None, int | None] | None:
        return None, _minor(m.group("a") or m.group("b"), currency) + 1

    pass_(_RANGE_RE, range_)
    pass_(_BEFORE_RE, before)
    pass_(_AFTER_RE, after)
    pass_(_MONEY_RE, money)
    low: int | None = None
    high: int | None = None
    for _position, found_low, found_high in sorted(found, key=lambda item: item[0]):
        if found_low is not None:
            low = found_low
        if found_high is not None:
            high = found_high
    return folded, PriceBounds(low, high)
