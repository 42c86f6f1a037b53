"""The in-memory search index: postings from terms to products, scored with numpy so that a query over
100,000 products stays within a few milliseconds.

Documents are numbered densely as they are added. A product that changes gets a new document number and its old
one is marked dead (postings are append-only; `compact` drops dead entries). Changes that do not alter the text
(price, stock) are applied in place, so a flash sale's stream of stock updates costs nothing here.
Prices and the in-stock flag in the index only rank and filter; what a shopper sees is read from the database.
A product sold for Telegram Stars is indexed at its ⭐ price and flagged: a price bound is in the shop's currency, so
it never lists one (nor do the price-range buttons count it), and the price sorts put them after the others.
Best-match results list products in stock before sold-out ones (outside check: "水果 便宜" put a sold-out product
first); the explicit sorts (price, newest, rating) keep their literal order.
"""

from __future__ import annotations

import bisect
import itertools
import math
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA

from store.search.text import ParsedQuery, QueryWord, cjk_grams, parse_query, stem, tokens

# Heaviest first (indexing relies on the order).
FIELD_WEIGHTS = (("title_en", 3.0), ("title_zh", 3.0), ("tags", 2.0), ("description_en", 1.0), ("description_zh", 1.0))
# Terms from titles and tags are "strong": they name products (used by looks_like_product_query).
STRONG_WEIGHT = 2.0
PREFIX_FACTOR = 0.8
MAX_PREFIX_TERMS = 40
SORTS = ("relevance", "price_asc", "price_desc", "newest", "rating")

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]
Posting = tuple[npt.NDArray[np.int32], FloatArray]
Expansions = list[tuple[str, float]]
# A query word: its units (a Latin word, or a Chinese run's pairs) and, for long Chinese runs, its characters.
QueryTerms = tuple[list[Expansions], list[Expansions] | None]


@dataclass(frozen=True)
class IndexedProduct:
    id: int
    category_id: int
    price: int
    created: int  # epoch seconds
    title_en: str
    title_zh: str
    description_en: str
    description_zh: str
    tags: str
    active: bool = True
    in_stock: bool = True  # stock > 0; updated in place (not part of the text). See also `SearchIndex.set_on_sale`.
    # What a buyer pays in Telegram Stars (a digital product sold for Stars); None: `price`, in the shop's currency.
    stars_price: int | None = None

    @classmethod
    def from_row(cls, row: Any) -> IndexedProduct:
        """From a products row (or a select of its columns; without `active`, the row is an active product; without
        `stock`, one in stock; without `is_digital` and `stars_price`, one sold in the shop's currency)."""
        # The rule of `ResultItem.paid_price`: a Star price counts for digital products only.
        stars = getattr(row, "stars_price", None) if getattr(row, "is_digital", False) else None
        return cls(
            id=row.id,
            category_id=row.category_id,
            price=row.price,
            created=int(row.created_at.timestamp()) if row.created_at else 0,
            title_en=row.title_en or "",
            title_zh=row.title_zh or "",
            description_en=row.description_en or "",
            description_zh=row.description_zh or "",
            tags=row.tags or "",
            active=bool(getattr(row, "active", True)),
            in_stock=(getattr(row, "stock", 1) or 0) > 0,
            stars_price=stars or None,
        )

    def signature(self) -> int:
        """What decides the product's postings; a change elsewhere (price) is applied in place.

        Kept as a hash: 100,000 tuples of strings would be a burden to the garbage collector, and the chance
        that an edit keeps the same 64-bit hash is negligible."""
        return hash(
            (
                self.category_id,
                self.created,
                self.title_en,
                self.title_zh,
                self.description_en,
                self.description_zh,
                self.tags,
                self.active,
            )
        )


@dataclass(frozen=True)
class Ratings:
    """Published reviews per product for the rating sort: ids ascending, with their average (hundredths of a
    star) and count alongside. Kept apart from the index: reviews change without the product changing."""

    ids: IntArray
    centi_stars: IntArray
    counts: IntArray

    @classmethod
    def of(cls, rated: dict[int, tuple[float, int]]) -> Ratings:
        ids = sorted(rated)
        return cls(
            np.array(ids, np.int64),
            np.array([round(rated[i][0] * 100) for i in ids], np.int64),
            np.array([rated[i][1] for i in ids], np.int64),
        )


@dataclass(frozen=True)
class Hits:
    product_ids: list[int]  # the requested page, best first
    total: int
    partial: bool  # no product matched every word; these match the most words
    prices: list[int]  # prices of all matches sold in the shop's currency, before the price filter (range buttons)
    categories: list[tuple[int, int]]  # (category id, matches) before the category filter, most first


@dataclass(frozen=True)
class Suggestion:
    text: str | None  # a corrected query that finds something
    product_ids: list[int] = field(default_factory=list)  # close products


def fuzzy_limit(term: str) -> int:
    """Edits allowed between a typed word and a known word."""
    if len(term) < 3:
        return 0
    return 1 if len(term) <= 7 else 2


# Rating sort key, from the top bit down: unrated (1 bit), 500 minus the average in hundredths (10 bits), the
# count's complement (20 bits), the product id (32 bits): best average first, more reviews first, unrated last.
_COUNT_CAP = (1 << 20) - 1


def _rating_keys(pid: IntArray, ratings: Ratings | None) -> IntArray:
    unrated_key = (np.int64(1) << 62) + pid
    if ratings is None or not len(ratings.ids):
        return unrated_key
    at = np.minimum(np.searchsorted(ratings.ids, pid), len(ratings.ids) - 1)
    rated = ratings.ids[at] == pid
    stars = 500 - np.clip(ratings.centi_stars[at], 0, 500)
    fewer = _COUNT_CAP - np.minimum(ratings.counts[at], _COUNT_CAP)
    rated_key = (stars << 52) + (fewer << 32) + pid
    return np.where(rated, rated_key, unrated_key)


class SearchIndex:
    def __init__(self) -> None:
        self._n = 0
        self._cap = 0
        self._pid: IntArray = np.zeros(0, np.int64)
        self._price: IntArray = np.zeros(0, np.int64)  # what a buyer pays: in ⭐ where `_stars`
        self._stars: npt.NDArray[np.bool_] = np.zeros(0, np.bool_)  # sold for Telegram Stars
        self._category: IntArray = np.zeros(0, np.int64)
        self._created: IntArray = np.zeros(0, np.int64)
        self._alive: npt.NDArray[np.bool_] = np.zeros(0, np.bool_)
        self._no_stock: npt.NDArray[np.bool_] = np.zeros(0, np.bool_)  # the product's own stock is 0
        self._sale: npt.NDArray[np.bool_] = np.zeros(0, np.bool_)  # a live flash sale has units of it
        self._on_sale: set[int] = set()
        self._doc: dict[int, int] = {}  # product id -> live document
        self._signatures: dict[int, int] = {}  # every known product, inactive ones too
        self._base: dict[str, Posting] = {}
        # Typed arrays, not lists: 8 bytes an entry instead of ~16 plus a float object (a 100,000-product build
        # holds millions of entries until `compact`, and that transient peak stays in the process's RSS).
        self._delta: dict[str, tuple[array[int], array[float]]] = {}
        self._delta_entries = 0
        self._strong: set[str] = set()
        self._surface: dict[str, str] = {}
        self._latin_by_len: dict[int, list[str]] = {}
        self._latin_sorted: list[str] = []
        self._bulk = False

    # ------------------------------------------------------------------------------------------ building

    @classmethod
    def build(cls, products: Iterable[IndexedProduct]) -> SearchIndex:
        index = cls()
        index._bulk = True
        for product in products:
            index.upsert(product)
        index._bulk = False
        index._latin_sorted.sort()
        index.compact()
        return index

    def __len__(self) -> int:
        return len(self._doc)

    @property
    def known_ids(self) -> set[int]:
        return set(self._signatures)

    @property
    def known_count(self) -> int:
        return len(self._signatures)

    @property
    def pending(self) -> int:
        """Postings entries not yet compacted."""
        return self._delta_entries

    def upsert(self, product: IndexedProduct) -> bool:
        """Add or refresh a product; True when its text was (re)indexed."""
        signature = product.signature()
        doc = self._doc.get(product.id)
        if self._signatures.get(product.id) == signature:
            if doc is not None:
                self._set_price(doc, product)
                self._no_stock[doc] = not product.in_stock
            return False
        self.remove(product.id)
        self._signatures[product.id] = signature
        if product.active:
            self._add(product)
        return True

    def set_on_sale(self, product_ids: set[int]) -> None:
        """The products a live flash sale has units of: they count as in stock although their own stock is 0
        (the sale's units were taken out of it)."""
        for pid in self._on_sale - product_ids:
            if (doc := self._doc.get(pid)) is not None:
                self._sale[doc] = False
        for pid in product_ids - self._on_sale:
            if (doc := self._doc.get(pid)) is not None:
                self._sale[doc] = True
        self._on_sale = set(product_ids)

    def remove(self, product_id: int) -> None:
        self._signatures.pop(product_id, None)
        doc = self._doc.pop(product_id, None)
        if doc is not None:
            self._alive[doc] = False

    def _grow(self) -> None:
        cap = max(1024, self._cap * 2)
        for name in ("_pid", "_price", "_stars", "_category", "_created", "_alive", "_no_stock", "_sale"):
            old = getattr(self, name)
            new = np.zeros(cap, old.dtype)
            new[: self._n] = old[: self._n]
            setattr(self, name, new)
        self._cap = cap

    def _add(self, product: IndexedProduct) -> None:
        if self._n == self._cap:
            self._grow()
        doc = self._n
        self._n += 1
        self._pid[doc] = product.id
        self._set_price(doc, product)
        self._category[doc] = product.category_id
        self._created[doc] = product.created
        self._alive[doc] = True
        self._no_stock[doc] = not product.in_stock
        self._sale[doc] = product.id in self._on_sale
        self._doc[product.id] = doc
        # Fields come heaviest first, so a term's first weight is its best one.
        weights: dict[str, float] = {}
        surface = self._surface
        for name, weight in FIELD_WEIGHTS:
            text = getattr(product, name)
            if not text:
                continue
            for token in tokens(text):
                if token[0].isascii():
                    term = stem(token)
                    if term not in surface:
                        self._learn(term, token)
                    weights.setdefault(term, weight)
                else:
                    for gram in cjk_grams(token):
                        weights.setdefault(gram, weight)
        for term, weight in weights.items():
            if weight >= STRONG_WEIGHT:
                self._strong.add(term)
            entry = self._delta.get(term)
            if entry is None:
                self._delta[term] = (array("i", (doc,)), array("f", (weight,)))
            else:
                entry[0].append(doc)
                entry[1].append(weight)
        self._delta_entries += len(weights)

    def _set_price(self, doc: int, product: IndexedProduct) -> None:
        self._stars[doc] = product.stars_price is not None
        self._price[doc] = product.price if product.stars_price is None else product.stars_price

    def _learn(self, term: str, surface: str) -> None:
        self._surface[term] = surface
        if len(term) >= 3:
            self._latin_by_len.setdefault(len(term), []).append(term)
        if self._bulk:
            self._latin_sorted.append(term)
        else:
            bisect.insort(self._latin_sorted, term)

    def compact(self) -> None:
        """Fold recent additions into the numpy postings and drop dead documents from them."""
        alive = self._alive
        merged: dict[str, Posting] = {}
        pending = self._delta
        self._delta = {}
        for term in set(self._base) | set(pending):
            base = self._base.get(term)
            # Popped as it is folded, so a build never holds all its postings twice.
            delta = pending.pop(term, None)
            if delta is not None:
                docs = np.array(delta[0], np.int32)
                weights = np.array(delta[1], np.float32)
                if base is not None:
                    docs = np.concatenate((base[0], docs))
                    weights = np.concatenate((base[1], weights))
            else:
                assert base is not None
                docs, weights = base
            keep = alive[docs]
            if not keep.all():
                docs, weights = docs[keep], weights[keep]
            if len(docs):
                merged[term] = (docs, weights)
        self._base = merged
        self._delta_entries = 0

    # ------------------------------------------------------------------------------------------ terms

    def _posting(self, term: str) -> Posting | None:
        base = self._base.get(term)
        delta = self._delta.get(term)
        if delta is None:
            return base
        # Copies (np.asarray could view the arrays' buffers, and a view stops them from growing).
        docs = np.array(delta[0], np.int32)
        weights = np.array(delta[1], np.float32)
        if base is None:
            return docs, weights
        return np.concatenate((base[0], docs)), np.concatenate((base[1], weights))

    def has_term(self, term: str) -> bool:
        return term in self._base or term in self._delta

    def surface(self, term: str) -> str:
        return self._surface.get(term, term)

    def _prefixed(self, term: str) -> list[str]:
        found: list[str] = []
        start = bisect.bisect_right(self._latin_sorted, term)
        for candidate in self._latin_sorted[start : start + 10 * MAX_PREFIX_TERMS]:
            if not candidate.startswith(term):
                break
            if self.has_term(candidate):
                found.append(candidate)
                if len(found) >= MAX_PREFIX_TERMS:
                    break
        return found

    def _near(self, term: str, max_edits: int, limit: int = 5) -> list[tuple[str, int]]:
        """Known words within `max_edits` (transpositions count once), closest first."""
        if max_edits <= 0:
            return []
        candidates: list[str] = []
        for length in range(len(term) - max_edits, len(term) + max_edits + 1):
            candidates.extend(self._latin_by_len.get(length, ()))
        if not candidates:
            return []
        matches = process.extract(term, candidates, scorer=OSA.distance, score_cutoff=max_edits, limit=limit * 4)
        out = [(str(word), int(dist)) for word, dist, _ in matches if self.has_term(str(word))]
        # Closest first; among equals prefer words that name products, then the shorter word.
        out.sort(key=lambda item: (item[1], item[0] not in self._strong, len(item[0])))
        return out[:limit]

    def expand(self, unit: str, *, relaxed: bool = False) -> list[tuple[str, float]]:
        """Index terms a query unit stands for, with a factor: exact 1.0, prefix 0.8, typo 0.75/0.5."""
        if not unit[0].isascii():
            return [(unit, 1.0)] if self.has_term(unit) else []
        out: list[tuple[str, float]] = []
        if self.has_term(unit):
            out.append((unit, 1.0))
        if len(unit) >= 3:
            out.extend((term, PREFIX_FACTOR) for term in self._prefixed(unit))
        if not out:
            limit = fuzzy_limit(unit) + (1 if relaxed and len(unit) >= 4 else 0)
            near = self._near(unit, limit)
            if near:
                best = near[0][1]
                out.extend((term, 1.0 - 0.25 * dist) for term, dist in near if dist == best)
        return out

    def _alternatives(self, word: QueryWord) -> Expansions:
        """An emoji's terms, any of which matches: exact words and English prefixes ("🍎" finds "apples"), no typos."""
        out: Expansions = []
        for term in word.units:
            if term[0].isascii():
                out += [(term, 1.0)] if self.has_term(term) else []
                out += [(prefixed, PREFIX_FACTOR) for prefixed in self._prefixed(term)] if len(term) >= 3 else []
            else:
                out += self.expand(term)
        return out

    # ------------------------------------------------------------------------------------------ querying

    def _unit_score(self, expansions: list[tuple[str, float]]) -> FloatArray | None:
        """Per document, the best weight among the terms a query unit stands for (None: no term matched)."""
        postings = [(p, factor) for term, factor in expansions if (p := self._posting(term)) is not None]
        if not postings:
            return None
        best = np.zeros(self._n, np.float32)
        for (docs, weights), factor in postings:
            if len(postings) == 1:
                best[docs] = weights * np.float32(factor)
            else:
                best[docs] = np.maximum(best[docs], weights * np.float32(factor))
        return best

    def _score(self, query_words: list[QueryTerms]) -> tuple[FloatArray, npt.NDArray[np.int16]]:
        """Score and the number of query words each document matches.

        A Chinese run is matched by its character pairs. A run of three or more characters also matches when at
        least half its pairs match and each remaining character occurs on its own, so "云南咖啡" finds
        "云南精选咖啡" and "龙井茶" finds "西湖龙井绿茶" although "南咖" and "井茶" are in no title.
        """
        n = self._n
        score = np.zeros(n, np.float32)
        cover = np.zeros(n, np.int16)
        nothing = np.zeros(n, np.bool_)
        for units, chars in query_words:
            bests = [self._unit_score(expansions) for expansions in units]
            for best in bests:
                if best is not None:
                    score += best
            matched = [best > 0 if best is not None else nothing for best in bests]
            if not chars:
                covered = matched[0]
                for other in matched[1:]:
                    covered = covered & other
                cover += covered
                continue
            singles = [(b > 0) if (b := self._unit_score(c)) is not None else nothing for c in chars]
            pair_count = np.zeros(n, np.int16)
            for pair in matched:
                pair_count += pair
            covered = pair_count * 2 >= len(matched)
            edges = [matched[0], *(left | right for left, right in itertools.pairwise(matched)), matched[-1]]
            for by_pair, alone in zip(edges, singles, strict=True):
                covered &= by_pair | alone
            cover += covered
        return score, cover

    def _sort_keys(
        self, docs: IntArray, score: npt.NDArray[np.float32] | None, sort: str, ratings: Ratings | None = None
    ) -> IntArray:
        """One int64 per match giving a total order (ties broken by product id), so pages never overlap."""
        pid = self._pid[docs]
        shift = np.int64(1 << 32)
        if sort == "rating":
            return _rating_keys(pid, ratings)
        if sort in ("price_asc", "price_desc"):
            price = np.minimum(self._price[docs], (1 << 30) - 1) * shift
            # ⭐ and the shop's currency are two scales: Stars-priced products follow the others, in ⭐ order.
            stars_last = self._stars[docs].astype(np.int64) << 62
            return stars_last + (price if sort == "price_asc" else -price) + pid
        if sort == "newest" or score is None:
            return -self._created[docs] * shift - pid
        quantised = np.rint(score[docs].astype(np.float64) * 100).astype(np.int64)
        return -quantised * shift - pid

    def _matches(
        self, parsed: ParsedQuery, relaxed: bool = False
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float32] | None, bool]:
        n = self._n
        alive = self._alive[:n]
        if parsed.empty:
            return alive.copy(), None, False
        query_words: list[QueryTerms] = []
        for word in parsed.words:
            if word.emoji:
                query_words.append(([self._alternatives(word)], None))
            elif relaxed and not word.latin:
                # The loosest Chinese match: each character on its own counts as a word.
                query_words += [([self.expand(char)], None) for char in dict.fromkeys(word.surface)]
            elif not word.latin and len(word.surface) >= 3:
                pairs = [self.expand(unit) for unit in word.units]
                query_words.append((pairs, [self.expand(char) for char in word.surface]))
            else:
                query_words.append(([self.expand(unit, relaxed=relaxed) for unit in word.units], None))
        score, cover = self._score(query_words)
        live_cover = np.where(alive, cover, 0)
        target = int(live_cover.max()) if n else 0
        if target == 0 or (relaxed and target * 2 < len(query_words)):
            return np.zeros(n, np.bool_), score, False
        return live_cover == target, score, target < len(query_words)

    def search(
        self,
        parsed: ParsedQuery,
        *,
        category_id: int | None = None,
        price_min: int | None = None,
        price_max: int | None = None,
        sort: str = "relevance",
        offset: int = 0,
        limit: int = 6,
        ratings: Ratings | None = None,
    ) -> Hits:
        """`ratings` orders the "rating" sort (without it every match counts as unrated)."""
        matched, score, partial = self._matches(parsed)
        n = self._n
        in_category = matched if category_id is None else matched & (self._category[:n] == category_id)
        in_price = matched
        currency_priced = ~self._stars[:n]
        if price_min is not None or price_max is not None:
            # A bound is in the shop's currency: a product sold for Stars cannot be bought within it.
            in_price = in_price & currency_priced
        if price_min is not None:
            in_price = in_price & (self._price[:n] >= price_min)
        if price_max is not None:
            in_price = in_price & (self._price[:n] < price_max)
        prices = self._price[:n][in_category & currency_priced]
        counts = np.bincount(self._category[:n][in_price]) if in_price.any() else np.zeros(0, np.int64)
        categories = sorted(
            ((int(c), int(counts[c])) for c in np.flatnonzero(counts)), key=lambda item: (-item[1], item[0])
        )
        docs = np.flatnonzero(in_category & in_price)
        page = self._page(docs, score, sort, offset, limit, ratings)
        return Hits(
            product_ids=[int(p) for p in self._pid[page]],
            total=len(docs),
            partial=partial,
            prices=prices.tolist(),
            categories=categories,
        )

    def _page(
        self,
        docs: IntArray,
        score: npt.NDArray[np.float32] | None,
        sort: str,
        offset: int,
        limit: int,
        ratings: Ratings | None = None,
    ) -> IntArray:
        """Documents `offset` to `offset + limit` in `sort` order. Best match puts every product in stock before the
        sold-out ones: two groups, each ordered by its keys, paged as one list (no work beyond the matches)."""
        end = offset + limit
        if offset >= len(docs) or limit <= 0:
            return np.zeros(0, np.int64)
        if sort != "relevance":
            return self._ordered(docs, self._sort_keys(docs, None, sort, ratings), offset, end)
        sold_out = self._no_stock[docs] & ~self._sale[docs]
        available, gone = docs[~sold_out], docs[sold_out]
        parts = []
        if offset < len(available):
            parts.append(self._ordered(available, self._sort_keys(available, score, sort), offset, end))
        if end > len(available) and len(gone):
            start = max(offset - len(available), 0)
            parts.append(self._ordered(gone, self._sort_keys(gone, score, sort), start, end - len(available)))
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    @staticmethod
    def _ordered(docs: IntArray, keys: IntArray, offset: int, end: int) -> IntArray:
        """`docs[offset:end]` after sorting by `keys` (a partial sort when the page is near the top)."""
        if offset >= len(docs):
            return np.zeros(0, np.int64)
        if end < len(docs):
            top = np.argpartition(keys, end - 1)[:end]
            top = top[np.argsort(keys[top], kind="stable")]
        else:
            top = np.argsort(keys, kind="stable")
        return docs[top[offset:end]]

    def suggest(self, parsed: ParsedQuery, limit: int = 3) -> Suggestion:
        """For a query that found nothing: a corrected query that finds something, and close products."""
        corrected: list[str] = []
        for word in parsed.words:
            if word.emoji:
                if self._alternatives(word):
                    corrected.append(word.surface)
                continue
            if not word.latin:
                if all(self.has_term(unit) for unit in word.units):
                    corrected.append(word.surface)
                continue
            unit = word.units[0]
            if self.has_term(unit) or (len(unit) >= 3 and self._prefixed(unit)):
                corrected.append(word.surface)
                continue
            near = self._near(unit, fuzzy_limit(unit) + 1, limit=1)
            if near:
                corrected.append(self.surface(near[0][0]))
        text = " ".join(corrected) or None
        if text is not None and text != parsed.text:
            if not self.search(parse_query(text), limit=0).total:
                text = None
        else:
            text = None
        matched, score, _partial = self._matches(parsed, relaxed=True)
        docs = np.flatnonzero(matched)
        page = self._page(docs, score, "relevance", 0, limit)
        return Suggestion(text, [int(p) for p in self._pid[page]])

    def looks_like_product(self, parsed: ParsedQuery) -> bool:
        """Every word names products (titles or tags, allowing a small typo) and some product has them all."""
        if parsed.empty or len(parsed.words) > 6 or len(parsed.ignored) > 2:
            return False
        for word in parsed.words:
            if word.emoji:
                if not any(term in self._strong for term, _factor in self._alternatives(word)):
                    return False
                continue
            for unit in word.units:
                if unit in self._strong:
                    continue
                if not word.latin:
                    return False
                prefixed = len(unit) >= 4 and any(term in self._strong for term in self._prefixed(unit))
                near = len(unit) >= 5 and any(term in self._strong for term, _ in self._near(unit, 1))
                if not (prefixed or near):
                    return False
        hits = self.search(parsed, limit=0)
        return hits.total > 0 and not hits.partial


def price_ranges(prices: list[int], exponent: int = 2) -> list[tuple[int | None, int | None]]:
    """Up to three price ranges (under a / a-b / over b) with round bounds splitting the prices in thirds."""
    if len(prices) < 4:
        return []
    values = np.asarray(prices, np.int64)
    low, high = int(values.min()), int(values.max())
    bounds: list[int] = []
    for quantile in np.percentile(values, (33.3, 66.7)):  # one call: numpy's overhead is per call, not per value
        bound = _round_price(float(quantile), exponent)
        if low < bound <= high and (not bounds or bound > bounds[-1]):
            bounds.append(bound)
    if not bounds:
        return []
    edges: list[int | None] = [None, *bounds, None]
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


def _round_price(value: float, exponent: int) -> int:
    """The nearest round amount (1, 1.5, 2, 3, 4, 5, 6, 8 x 10^k major units; at least one major unit)."""
    unit = 10**exponent
    major = max(value / unit, 1.0)
    magnitude = 10 ** math.floor(math.log10(major))
    best = min((m * magnitude for m in (1, 1.5, 2, 3, 4, 5, 6, 8, 10)), key=lambda c: abs(c - major))
    return round(best * unit)
