"""Text normalisation for search: the same rules turn product text into index terms and a shopper's words
into query units, so both sides always agree.

- Latin script and digits: lower-cased, accents dropped, split into words; a plural "s" is dropped so that
  "apples" finds "apple" (a light stemmer; the first spelling seen is kept for display).
- Chinese (CJK ideographs): traditional characters are read as simplified (蘋果 is 苹果, on both sides); no
  spaces to split on, so a run of characters becomes its single characters and its overlapping character
  pairs (bigrams). "苹果" then matches inside "红富士苹果" without a word segmenter.
- Price filters typed into the query are taken out of the words: the signs `<30`, `<=30`, `>20`, `>=20`,
  `20-50` (major units, optional currency sign) and phrases in English and Chinese ("under 50", "between 20 and
  50", "50元以下", "30到50元", "¥30"; store/search/price_words.py).
- Common product emoji stand for their word in both languages (🍎 is "apple" or 苹果, 🍵 is "tea" or 茶): a
  query of only "🍎" finds apples (outside check: it found nothing). Query side only; the index is unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from store.chinese_script import to_simplified
from store.money import parse_major
from store.search.price_words import MAX_BOUND, take_price_phrases

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[a-z0-9]+|[{_CJK}]+")
_CJK_RE = re.compile(rf"^[{_CJK}]+$")
_HAS_CJK_RE = re.compile(rf"[{_CJK}]")
_ACCENTED_RE = re.compile(r"[\u00c0-\u024f\u1e00-\u1eff]")  # Latin letters that may carry accents
_NUMBER = r"(?:[¥$€£]\s*)?(\d+(?:\.\d{1,2})?)"
_PRICE_RE = re.compile(rf"^(<=|>=|<|>){_NUMBER}$")
_RANGE_RE = re.compile(rf"^{_NUMBER}-{_NUMBER}$")
# "tea>20" and "tea > 20" are "tea >20": a bound typed against its word or apart from its number (outside check:
# "tea>20" was read as one word). Spaces before the sign are matched only from the start of their run: a leading
# `\s*` tried from every space of a long run of spaces made a 10,000-space query take most of a second.
_GLUED_BOUND_RE = re.compile(r"(?<!\s)\s*+(<=|>=|<|>)\s*+(?=[¥$€£]?\d)")

# Emoji a shopper may send for a product: each stands for any of its words, which are index terms (one English word
# in its stemmed form, or one or two Chinese characters). Chinese words are chosen not to match unrelated products
# (🍑 is 蜜桃, since 桃 alone is in 猕猴桃; 🍚 is 大米, since 米 alone is in 玉米).
EMOJI_WORDS: dict[str, tuple[str, ...]] = {
    "🍎": ("apple", "苹果"),
    "🍏": ("apple", "苹果"),
    "🍐": ("pear", "梨"),
    "🍊": ("orange", "mandarin", "橙", "橘"),
    "🍋": ("lemon", "柠檬"),
    "🍌": ("banana", "香蕉"),
    "🍉": ("watermelon", "西瓜"),
    "🍇": ("grape", "葡萄"),
    "🍓": ("strawberry", "草莓"),
    "🫐": ("blueberry", "蓝莓"),
    "🍈": ("melon", "蜜瓜", "甜瓜"),
    "🍒": ("cherry", "樱桃", "车厘"),
    "🍑": ("peach", "蜜桃", "桃子"),
    "🥭": ("mango", "芒果"),
    "🍍": ("pineapple", "菠萝"),
    "🥥": ("coconut", "椰子"),
    "🥝": ("kiwi", "猕猴", "奇异"),
    "🍅": ("tomato", "番茄", "西红"),
    "🍆": ("eggplant", "aubergine", "茄子"),
    "🥑": ("avocado", "牛油"),
    "🥦": ("broccoli", "西兰"),
    "🥬": ("choy", "青菜", "白菜"),
    "🥒": ("cucumber", "黄瓜"),
    "🌶": ("chili", "chilli", "pepper", "辣椒"),
    "🫑": ("pepper", "青椒", "甜椒"),
    "🌽": ("corn", "玉米"),
    "🥕": ("carrot", "萝卜"),
    "🥔": ("potato", "土豆"),
    "🍠": ("yam", "红薯", "地瓜"),
    "🧄": ("garlic", "大蒜"),
    "🧅": ("onion", "洋葱"),
    "🍄": ("mushroom", "shiitake", "蘑菇", "香菇"),
    "🥜": ("peanut", "nut", "花生", "坚果"),
    "🌰": ("chestnut", "栗子"),
    "🍞": ("bread", "面包"),
    "🥐": ("croissant", "面包"),
    "🥚": ("egg", "鸡蛋"),
    "🧀": ("cheese", "奶酪"),
    "🥩": ("steak", "beef", "牛肉"),
    "🍖": ("meat", "肉"),
    "🍗": ("chicken", "鸡肉", "鸡腿", "鸡翅"),
    "🥓": ("bacon", "培根"),
    "🐟": ("fish", "鱼"),
    "🐠": ("fish", "鱼"),
    "🦐": ("shrimp", "prawn", "虾"),
    "🦀": ("crab", "蟹"),
    "🍚": ("rice", "大米", "米饭"),
    "🍜": ("noodle", "面条"),
    "🍝": ("pasta", "spaghetti", "意面"),
    "🥟": ("dumpling", "饺子"),
    "🥮": ("mooncake", "月饼"),
    "🍪": ("cookie", "biscuit", "饼干"),
    "🍫": ("chocolate", "巧克"),
    "🍬": ("candy", "糖果"),
    "🍯": ("honey", "蜂蜜"),
    "🍰": ("cake", "蛋糕"),
    "🎂": ("cake", "蛋糕"),
    "🍿": ("popcorn", "爆米"),
    "🥛": ("milk", "奶"),
    "☕": ("coffee", "咖啡"),
    "🍵": ("tea", "茶"),
    "🧋": ("boba", "奶茶"),
    "🧃": ("juice", "果汁"),
    "🥤": ("drink", "饮料"),
    "💧": ("water", "矿泉", "饮用"),
    "🍺": ("beer", "啤酒"),
    "🍷": ("wine", "红酒"),
    "🧻": ("tissue", "paper", "纸巾", "抽纸"),
    "🧼": ("soap", "肥皂", "洗洁"),
    "🧺": ("laundry", "洗衣"),
    "🗑": ("trash", "垃圾"),
    "🎁": ("gift", "礼盒", "礼品"),
    "💳": ("card", "礼品", "购物"),
    "📖": ("book", "ebook", "书"),
    "📚": ("book", "ebook", "书"),
}
# Presentation selectors and skin tones do not change what an emoji names.
_EMOJI_NOISE_RE = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")
# A capturing group: re.split keeps the emoji between the pieces of text around them.
_EMOJI_RE = re.compile("(" + "|".join(sorted(map(re.escape, EMOJI_WORDS), key=len, reverse=True)) + ")")


# Words that say nothing about a product; dropped from queries (not from the index) unless nothing else is left.
STOPWORDS = frozenset(
    {
        *("a", "an", "and", "any", "are", "at", "by", "do", "does", "for", "from", "have", "i", "in", "is"),
        *("it", "me", "my", "of", "on", "or", "please", "show", "some", "the", "to", "want", "with", "you", "your"),
    }
)


def fold(text: str) -> str:
    """NFKC (full-width to half-width), lower case, traditional Chinese as simplified, accents removed."""
    text = unicodedata.normalize("NFKC", text).lower()
    if text.isascii():
        return text
    if _HAS_CJK_RE.search(text):
        text = to_simplified(text)
    if not _ACCENTED_RE.search(text):
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def stem(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and word[-2] not in "su" and not word[-2].isdigit():
        return word[:-1]
    return word


def is_cjk(token: str) -> bool:
    return bool(_CJK_RE.match(token))


def cjk_grams(run: str) -> list[str]:
    """Single characters and overlapping pairs of a run of Chinese characters."""
    return list(run) + [run[i : i + 2] for i in range(len(run) - 1)]


def query_grams(run: str) -> list[str]:
    """What a Chinese query run must match: its pairs (or the character itself when alone)."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokens(text: str) -> list[str]:
    """Latin words (unstemmed) and Chinese runs of the folded text."""
    return _TOKEN_RE.findall(fold(text))


def words(text: str) -> Iterator[tuple[str, str]]:
    """(term, surface) for every Latin word and (run, run) for every Chinese run in the text."""
    for token in tokens(text):
        if token[0].isascii():
            yield stem(token), token
        else:
            yield token, token


def index_terms(text: str) -> Iterator[str]:
    for term, _surface in words(text):
        if term[0].isascii():
            yield term
        else:
            yield from cjk_grams(term)


@dataclass(frozen=True)
class QueryWord:
    """One thing the shopper typed: a Latin word (one unit), a Chinese run (one unit per character pair; all must
    match) or an emoji (`emoji`: its units are alternative terms, any of which matches)."""

    surface: str
    units: tuple[str, ...]
    latin: bool
    emoji: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    words: tuple[QueryWord, ...]
    price_min: int | None = None  # minor units, inclusive
    price_max: int | None = None  # minor units, exclusive
    ignored: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        """The words as a canonical query string (what buttons carry)."""
        return " ".join(w.surface for w in self.words)

    @property
    def units(self) -> list[str]:
        return [unit for word in self.words for unit in word.units]

    @property
    def empty(self) -> bool:
        return not self.words


def _emoji_terms(emoji: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(stem(word) if word.isascii() else word for word in EMOJI_WORDS[emoji]))


def _price(value: str, currency: str) -> int:
    return min(parse_major(value, currency), MAX_BOUND)


def parse_query(text: str, currency: str = "CNY") -> ParsedQuery:
    """Split what the shopper typed into words and price bounds."""
    folded, phrased = take_price_phrases(fold(text).replace("，", " "), currency)
    price_min, price_max = phrased.low, phrased.high
    rest: list[str] = []
    for chunk in _GLUED_BOUND_RE.sub(r" \1", folded).split():
        bound = _PRICE_RE.match(chunk)
        span = _RANGE_RE.match(chunk)
        if bound:
            op, value = bound.group(1), _price(bound.group(2), currency)
            if op == "<":
                price_max = value
            elif op == "<=":
                price_max = value + 1
            elif op == ">":
                price_min = value + 1
            else:
                price_min = value
        elif span:
            low, high = sorted((_price(span.group(1), currency), _price(span.group(2), currency)))
            price_min, price_max = low, high + 1
        else:
            rest.append(chunk)
    found: list[QueryWord] = []
    dropped: list[str] = []
    emoji_seen: set[str] = set()
    for piece in _EMOJI_RE.split(_EMOJI_NOISE_RE.sub("", " ".join(rest))):
        if piece in EMOJI_WORDS:
            # Once each: "🍵" * 4096 is one word, not a query of 4,096 words.
            if piece not in emoji_seen:
                emoji_seen.add(piece)
                found.append(QueryWord(piece, _emoji_terms(piece), False, emoji=True))
            continue
        for term, surface in words(piece):
            if term[0].isascii():
                found.append(QueryWord(surface, (term,), True))
            else:
                found.append(QueryWord(surface, tuple(query_grams(term)), False))
    # One pass that splits the words: looking each word up in the list of kept ones was quadratic (a pasted page
    # of 10,000 characters took half a second here).
    meaningful: list[QueryWord] = []
    stop: list[str] = []
    for word in found:
        if word.latin and word.units[0] in STOPWORDS:
            stop.append(word.surface)
        else:
            meaningful.append(word)
    if meaningful:
        dropped = stop
        found = meaningful
    # A word typed twice is one word: it matches the same products, and each copy cost a pass over the whole index
    # (a pasted description repeated three times was three times as slow, with the same results).
    return ParsedQuery(tuple(dict.fromkeys(found)), price_min, price_max, tuple(dict.fromkeys(dropped)))
