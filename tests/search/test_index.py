"""The search index on its own: matching, typos, Chinese without spaces, filters, sorting, suggestions."""

from __future__ import annotations

import pytest

from store.search import IndexedProduct, SearchIndex, parse_query, price_ranges
from store.search.index import Ratings
from store.search.text import index_terms

FRUIT, TEA, SNACKS = 1, 2, 3


def product(
    pid: int,
    category: int,
    price: int,
    title_en: str,
    title_zh: str,
    *,
    tags: str = "",
    desc_en: str = "",
    desc_zh: str = "",
    created: int | None = None,
    active: bool = True,
) -> IndexedProduct:
    return IndexedProduct(
        pid,
        category,
        price,
        created if created is not None else pid * 100,
        title_en,
        title_zh,
        desc_en,
        desc_zh,
        tags,
        active,
    )


CATALOG = [
    product(1, FRUIT, 990, "Bananas, 1 kg", "香蕉 1公斤", tags="banana fruit 水果", desc_en="Ripe bananas"),
    product(2, FRUIT, 2990, "Fuji apples, 2 kg", "烟台红富士苹果 2公斤", tags="apple fuji 苹果 水果"),
    product(3, TEA, 3900, "Longjing green tea", "西湖龙井绿茶", tags="tea green 绿茶 茶叶", desc_zh="明前龙井，清香"),
    product(4, TEA, 5900, "Oolong tea", "安溪铁观音", tags="tea oolong 乌龙茶 茶叶", desc_en="Roasted oolong leaves"),
    product(5, SNACKS, 1290, "Dark chocolate bar", "黑巧克力", tags="chocolate snack 零食"),
    product(6, SNACKS, 890, "Sunflower seeds", "五香瓜子", tags="seeds snack 零食", desc_en="Goes well with green tea"),
    product(7, FRUIT, 1990, "Apple juice", "苹果汁", tags="juice drink 果汁"),
]


@pytest.fixture
def index() -> SearchIndex:
    return SearchIndex.build(CATALOG)


def ids(index: SearchIndex, query: str, **kwargs: object) -> list[int]:
    parsed = parse_query(query)
    kwargs.setdefault("price_min", parsed.price_min)
    kwargs.setdefault("price_max", parsed.price_max)
    kwargs.setdefault("limit", 50)
    return index.search(parsed, **kwargs).product_ids  # type: ignore[arg-type]


def test_english_words_match_titles_tags_and_descriptions(index: SearchIndex) -> None:
    assert ids(index, "banana") == [1]
    assert ids(index, "chocolate") == [5]
    assert set(ids(index, "oolong")) == {4}
    assert ids(index, "roasted") == [4]  # description only


def test_title_beats_description_in_relevance(index: SearchIndex) -> None:
    # "green tea" is the title of 3 and only the description of 6.
    assert ids(index, "green tea")[0] == 3


def test_every_word_must_match_when_some_product_has_them_all(index: SearchIndex) -> None:
    assert ids(index, "apple juice") == [7]
    hits = index.search(parse_query("apple juice"))
    assert not hits.partial


def test_plurals_and_case(index: SearchIndex) -> None:
    assert ids(index, "BANANAS") == [1]
    assert set(ids(index, "apples")) == {2, 7}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("banan", 1), ("bananna", 1), ("choclate", 5), ("chocolat", 5), ("oolnog", 4), ("sunflwer", 6)],
)
def test_typos_still_find_the_product(index: SearchIndex, typed: str, expected: int) -> None:
    assert expected in ids(index, typed)[:1]


def test_chinese_substring_without_spaces(index: SearchIndex) -> None:
    assert set(ids(index, "苹果")) == {2, 7}  # inside 烟台红富士苹果 and 苹果汁
    assert ids(index, "红富士") == [2]
    assert ids(index, "龙井") == [3]
    assert set(ids(index, "茶")) == {3, 4}
    assert ids(index, "巧克力") == [5]


def test_traditional_chinese_reads_as_simplified_on_both_sides(index: SearchIndex) -> None:
    from store.search import looks_like_product_query

    assert set(ids(index, "蘋果")) == {2, 7}  # zh-hant for 苹果
    assert ids(index, "烏龍茶") == [4]  # a tag, 乌龙茶
    assert looks_like_product_query(index, "蘋果")
    # Product text written in traditional characters is found by either script.
    pears = product(8, FRUIT, 1590, "Pears", "香港鴨梨", tags="pear 梨子 水果", desc_zh="清甜多汁，產地直送")
    hk = SearchIndex.build([pears])
    assert ids(hk, "鸭梨") == ids(hk, "鴨梨") == [8]
    assert ids(hk, "产地") == [8]


def test_chinese_words_that_are_not_adjacent_in_the_title(index: SearchIndex) -> None:
    assert ids(index, "龙井茶") == [3]  # 西湖龙井绿茶: 龙井 matches, 茶 occurs on its own
    assert ids(index, "富士苹果") == [2]  # 烟台红富士苹果
    assert ids(index, "巧克力棒") == []  # 棒 is in no product
    assert ids(index, "苹果汗") == []
    assert ids(index, "红茶") == []  # 红 and 茶 apart are not 红茶


def test_chinese_tags_and_descriptions(index: SearchIndex) -> None:
    assert set(ids(index, "零食")) == {5, 6}  # tag only
    assert ids(index, "清香") == [3]  # Chinese description


def test_mixed_language_query(index: SearchIndex) -> None:
    assert ids(index, "apple 果汁") == [7]


def test_category_and_price_filters(index: SearchIndex) -> None:
    assert set(ids(index, "tea", category_id=TEA)) == {3, 4}
    assert ids(index, "tea", category_id=FRUIT) == []
    assert ids(index, "tea <50") == [3, 6]  # 6 mentions tea in its description: ranked after the title match
    assert ids(index, "tea >=50") == [4]
    assert set(ids(index, "snack 9-13")) == {5}
    assert ids(index, "", price_max=1000) == [6, 1]  # no words: newest first


def test_facets_ignore_their_own_filter(index: SearchIndex) -> None:
    hits = index.search(parse_query("零食"), price_max=1000)
    assert hits.total == 1
    assert sorted(hits.prices) == [890, 1290]  # price buttons still show the whole result set's prices
    hits = index.search(parse_query("apple"), category_id=FRUIT)
    assert dict(hits.categories) == {FRUIT: 2}


def test_sorting(index: SearchIndex) -> None:
    assert ids(index, "tea", sort="price_asc") == [6, 3, 4]
    assert ids(index, "tea", sort="price_desc") == [4, 3, 6]
    assert ids(index, "水果", sort="newest") == [2, 1]
    assert ids(index, "", sort="price_asc") == [6, 1, 5, 7, 2, 3, 4]


def test_rating_sort_best_average_then_more_reviews_and_unrated_last(index: SearchIndex) -> None:
    ratings = Ratings.of({3: (4.5, 2), 4: (4.5, 7), 6: (5.0, 1), 2: (3.0, 40)})
    assert ids(index, "tea", sort="rating", ratings=ratings) == [6, 4, 3]
    assert ids(index, "", sort="rating", ratings=ratings) == [6, 4, 3, 2, 1, 5, 7]
    # Pages of the rating sort do not overlap either.
    pages = [
        index.search(parse_query(""), sort="rating", ratings=ratings, offset=o, limit=2).product_ids
        for o in (0, 2, 4, 6)
    ]
    assert [pid for page in pages for pid in page] == [6, 4, 3, 2, 1, 5, 7]
    # Nothing rated yet: every match is unrated, in a stable order.
    assert ids(index, "tea", sort="rating") == [3, 4, 6]


def test_pages_do_not_overlap(index: SearchIndex) -> None:
    everything = ids(index, "", sort="relevance")
    pages = [index.search(parse_query(""), offset=o, limit=3).product_ids for o in (0, 3, 6)]
    assert [pid for page in pages for pid in page] == everything
    assert index.search(parse_query(""), offset=3, limit=3).total == 7


def test_no_match_gives_nothing_and_suggestions(index: SearchIndex) -> None:
    assert ids(index, "xylophone") == []
    suggestion = index.suggest(parse_query("chocolatte cookies"))
    assert suggestion.text == "chocolate"
    assert suggestion.product_ids == [5]
    nothing = index.suggest(parse_query("qqqzzz"))
    assert nothing.text is None and nothing.product_ids == []


def test_chinese_no_match_suggests_close_products(index: SearchIndex) -> None:
    assert ids(index, "茶杯") == []  # no product has the pair 茶杯
    assert set(index.suggest(parse_query("茶杯")).product_ids) == {3, 4}


def test_updates_removals_and_price_changes(index: SearchIndex) -> None:
    renamed = product(5, SNACKS, 1290, "Milk chocolate bar", "牛奶巧克力", tags="chocolate snack")
    assert index.upsert(renamed)
    assert ids(index, "milk") == [5]
    assert ids(index, "dark") == []
    cheaper = product(5, SNACKS, 100, "Milk chocolate bar", "牛奶巧克力", tags="chocolate snack")
    assert not index.upsert(cheaper)  # same text: price changed in place, no re-indexing
    assert ids(index, "chocolate <2") == [5]
    index.upsert(product(4, TEA, 5900, "Oolong tea", "安溪铁观音", tags="tea", active=False))
    assert ids(index, "oolong") == []
    index.remove(1)
    assert ids(index, "banana") == []
    index.upsert(product(8, FRUIT, 500, "Mango", "芒果", tags="fruit"))
    index.compact()
    assert ids(index, "mango") == [8]
    assert ids(index, "milk") == [5]
    assert len(index) == 6  # 1 removed, 4 hidden, 8 added


def test_looks_like_product_query(index: SearchIndex) -> None:
    from store.search import looks_like_product_query

    assert looks_like_product_query(index, "green tea")
    assert looks_like_product_query(index, "I want dark chocolate")
    assert looks_like_product_query(index, "苹果")
    assert looks_like_product_query(index, "choclate")
    assert not looks_like_product_query(index, "where is my order")
    assert not looks_like_product_query(index, "do you deliver on sunday?")
    assert not looks_like_product_query(index, "我的订单在哪里")
    assert not looks_like_product_query(index, "roasted")  # only in a description


def test_price_ranges_are_round_and_split_the_results() -> None:
    prices = [990, 1290, 1990, 2990, 3900, 5900, 890, 4500, 2500]
    ranges = price_ranges(prices)
    assert ranges[0][0] is None and ranges[-1][1] is None
    bounds = [high for _low, high in ranges[:-1]]
    assert all(b % 100 == 0 for b in bounds if b is not None)
    assert len(ranges) == 3
    assert price_ranges([100, 200]) == []


def test_terms() -> None:
    assert list(index_terms("Crème brûlée")) == ["creme", "brulee"]
    assert list(index_terms("苹果汁")) == ["苹", "果", "汁", "苹果", "果汁"]
    assert list(index_terms("ＡＢＣ １２")) == ["abc", "12"]


def test_a_price_bound_typed_against_a_word_is_still_a_bound() -> None:
    """Outside check: "tea>20" searched for the word "tea>20"; it means "tea" under the bound ">20"."""
    for typed in ("tea>20", "tea >20", "tea> 20", "tea > 20"):
        parsed = parse_query(typed)
        assert [w.surface for w in parsed.words] == ["tea"] and parsed.price_min == 2001, (typed, parsed)
    parsed = parse_query("茶<=¥15")
    assert parsed.price_max == 1501 and [w.surface for w in parsed.words] == ["茶"]
    assert parse_query("tea 10-20").price_min == 1000  # ranges unchanged


def test_a_word_typed_twice_counts_once(index: SearchIndex) -> None:
    # Each copy was scored over the whole index again (a pasted description repeated was that many times slower).
    once = parse_query("apple juice 苹果汁")
    again = parse_query("apple juice 苹果汁 " * 3 + "apple apple")
    assert again.words == once.words and again.text == once.text
    assert ids(index, "apple apple apple juice") == ids(index, "apple juice") == [7]
    assert parse_query("the tea the tea").ignored == ("the",)
