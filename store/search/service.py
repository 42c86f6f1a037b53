"""Search use cases over the database: the index's life cycle (built lazily, kept fresh) and a page of results
read from the database.

Freshness: at most every `refresh_seconds` a search first asks the database for products changed since the
last look (`updated_at` at or after the newest change already seen, minus a slack that covers transactions
that committed late) and for the product count (which reveals deletions). Changed products are re-indexed
in place; a large change (an import) rebuilds the index off the event loop. So a product edited in the admin
or imported becomes searchable within `refresh_seconds` (0 in tests).

Stock: best match lists products that can be bought first. The index keeps each product's "stock is 0" flag
(read with the text; a stock change bumps `updated_at`, so the same check applies it in place, re-indexing
nothing) and the set of products a live flash sale has units of (read at each check: sales start and end on
their own clock). So a product that sells out moves behind the others within `refresh_seconds`; the stock and
"sold out" a shopper sees are always read live with the page.

Start-up: `SearchEngine.warm_up()` builds the index in the background so the bot answers at once; until it is
ready, searches are served by a SQL LIKE fallback (store/search/interim.py) and the assistant's "is this a product
name?" check answers no (an empty index) rather than keeping a shopper waiting.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store import flashsale
from store.db import Database
from store.models import Category, Product
from store.models.social import Review
from store.money import STARS, Money, exponent
from store.search.index import SORTS, Hits, IndexedProduct, Ratings, SearchIndex, price_ranges
from store.search.interim import interim_index
from store.search.text import ParsedQuery, parse_query
from store.social.reviews import PUBLISHED as REVIEW_PUBLISHED

log = logging.getLogger(__name__)

DEFAULT_REFRESH_SECONDS = 2.0
# Commits can land out of timestamp order (several writers, PostgreSQL); re-reading this much history on each
# check makes a late commit visible anyway. Re-reading an unchanged product costs a tuple comparison.
LATE_COMMIT_SLACK = timedelta(seconds=30)
# Above this many changed products, rebuilding in a worker thread beats re-indexing on the event loop.
REBUILD_ABOVE = 5000
# Recent additions live in Python lists until there are this many postings entries.
COMPACT_ABOVE = 50_000
# Products read and indexed at a time when the index is built; how long the build waits for one chunk.
BUILD_CHUNK = 5000
CHUNK_TIMEOUT = 120.0

_INDEX_COLUMNS = (
    Product.id,
    Product.category_id,
    Product.price,
    Product.created_at,
    Product.updated_at,
    Product.title_en,
    Product.title_zh,
    Product.description_en,
    Product.description_zh,
    Product.tags,
    Product.active,
    Product.stock,  # ranks products in stock first; a stock change bumps `updated_at`, so the refresh sees it
    # Stars-priced products stay out of currency price filters; a switch bumps `updated_at` like a price change.
    Product.is_digital,
    Product.stars_price,
)


@dataclass(frozen=True)
class ResultItem:
    """A product on a results page, read from the database when the page is shown (live price and stock)."""

    id: int
    sku: str
    category_id: int
    title_en: str
    title_zh: str
    price: int
    currency: str
    stock: int
    # The price of a live flash sale of this product (what its Buy button charges); None without one.
    flash_price: int | None = None
    # Average stars and number of published reviews, filled when the results are sorted by rating.
    rating: float | None = None
    reviews: int = 0
    # A digital product's price in Telegram Stars (Telegram sells digital goods for Stars only); None otherwise.
    stars_price: int | None = None

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" and self.title_zh else self.title_en

    @property
    def paid_price(self) -> Money:
        """The price as a buyer pays it: in Stars for a digital product."""
        return Money(self.stars_price, STARS) if self.stars_price else Money(self.price, self.currency)

    def flash_prices(self) -> tuple[Money, Money]:
        """(the live flash price, the regular price), as a buyer pays them."""
        assert self.flash_price is not None
        return flashsale.shown_prices(self.price, self.currency, self.flash_price, self.stars_price)


@dataclass(frozen=True)
class CategoryFacet:
    id: int
    name_en: str
    name_zh: str
    count: int

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" and self.name_zh else self.name_en


@dataclass(frozen=True)
class SearchResults:
    query: str  # the words, canonical (what buttons carry)
    parsed: ParsedQuery
    items: tuple[ResultItem, ...]
    total: int
    page: int
    pages: int
    page_size: int
    sort: str
    category_id: int | None
    price_min: int | None
    price_max: int | None
    price_ranges: list[tuple[int | None, int | None]] = field(default_factory=list)
    categories: list[CategoryFacet] = field(default_factory=list)
    partial: bool = False
    suggestion: str | None = None
    suggested: tuple[ResultItem, ...] = ()

    @property
    def filtered(self) -> bool:
        return self.category_id is not None or self.price_min is not None or self.price_max is not None


class SearchEngine:
    """Owns one index for one database; the composition root builds one per application."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.monotonic) -> None:
        """`clock` (monotonic seconds) times the refresh window; a test passes one it moves itself."""
        self.db = db
        self._clock = clock
        self.index: SearchIndex | None = None
        self.build_seconds = 0.0
        self._lock = asyncio.Lock()
        self._checked = -math.inf
        self._watermark: datetime | None = None
        self._background: asyncio.Task[None] | None = None
        self._warming: asyncio.Task[None] | None = None

    def warm_up(self) -> None:
        """Build the index in the background (start-up); `warming` is True until it is ready."""
        if self.index is None and self._warming is None:
            self._warming = asyncio.create_task(self._warm(), name="search-index-warm-up")

    @property
    def warming(self) -> bool:
        return self.index is None and self._warming is not None and not self._warming.done()

    @property
    def warming_task(self) -> asyncio.Task[None] | None:
        return self._warming

    async def _warm(self) -> None:
        try:
            async with self._lock:
                if self.index is None:
                    await self.rebuild()
        except Exception:  # the first search builds it instead (and the fallback serves meanwhile)
            log.exception("search index warm-up failed")

    async def current(self, refresh_seconds: float = DEFAULT_REFRESH_SECONDS) -> SearchIndex:
        """The index, built on first use and checked for changes when the last check is older than
        `refresh_seconds`.

        With a window the check runs in the background and this search uses the index as it is (so a change
        shows within the window plus one check, and no shopper waits for the check); with 0 the check
        completes first (tests).
        """
        if self.index is None:
            async with self._lock:
                if self.index is None:
                    await self.rebuild()
        elif self._clock() - self._checked >= refresh_seconds:
            if refresh_seconds <= 0:
                await self._refresh_locked()
            elif self._background is None or self._background.done():
                self._background = asyncio.create_task(self._refresh_locked(), name="search-index-refresh")
        assert self.index is not None
        return self.index

    async def _refresh_locked(self) -> None:
        async with self._lock:
            try:
                await self._refresh()
            except Exception:  # the next search tries again; the old index keeps answering meanwhile
                log.exception("search index refresh failed")

    async def close(self) -> None:
        """Wait for a background check or build in flight (before the database is disposed)."""
        if self._background is not None and not self._background.done():
            await self._background
        if self._warming is not None and not self._warming.done():
            await self._warming

    async def rebuild(self) -> None:
        """Build from the products read in chunks of `BUILD_CHUNK` (by id), each indexed before the next is read:
        holding a whole catalogue's rows at once cost ~150 MB at 100,000 products, memory the process then kept."""
        started = time.perf_counter()
        checked = self._clock()
        newest: list[datetime] = []
        first = await self._chunk(None, newest)
        if len(first) < BUILD_CHUNK:
            index = SearchIndex.build(IndexedProduct.from_row(row) for row in first)
        else:
            # Tokenising 100k products takes seconds; the bot keeps answering meanwhile. The worker thread asks
            # the event loop for the next chunk when it has indexed the previous one.
            loop = asyncio.get_running_loop()

            def products() -> Iterator[IndexedProduct]:
                rows = first
                while rows:
                    after = rows[-1].id
                    yield from (IndexedProduct.from_row(row) for row in rows)
                    if len(rows) < BUILD_CHUNK:
                        return
                    del rows  # the indexed chunk goes before the next one is read
                    rows = asyncio.run_coroutine_threadsafe(self._chunk(after, newest), loop).result(CHUNK_TIMEOUT)

            index = await asyncio.to_thread(SearchIndex.build, products())
        async with self.db.read() as session:
            index.set_on_sale(await flashsale.products_on_sale(session))
        self.index = index
        self._watermark = max(newest, default=None)
        self._checked = checked
        self.build_seconds = time.perf_counter() - started
        log.info("search index built: %d products in %.2f s", len(index), self.build_seconds)

    async def _chunk(self, after: int | None, newest: list[datetime]) -> Sequence[Any]:
        """Up to `BUILD_CHUNK` products with ids above `after`; notes the chunk's latest change in `newest`."""
        query = select(*_INDEX_COLUMNS).order_by(Product.id).limit(BUILD_CHUNK)
        if after is not None:
            query = query.where(Product.id > after)
        async with self.db.scan() as session:
            rows = (await session.execute(query)).all()
        latest = max((row.updated_at for row in rows if row.updated_at), default=None)
        if latest is not None:
            newest.append(latest)
        return rows

    async def _refresh(self) -> None:
        assert self.index is not None
        checked = self._clock()
        query = select(*_INDEX_COLUMNS)
        if self._watermark is not None:
            query = query.where(Product.updated_at >= self._watermark - LATE_COMMIT_SLACK)
        # A scan session: the count reads the whole table (~1 ms at 100,000 products, the check ~3 ms), which on
        # the read engine would run on the event loop's thread, every couple of seconds, under every shopper.
        async with self.db.scan() as session:
            count = int((await session.execute(select(func.count()).select_from(Product))).scalar_one())
            rows = (await session.execute(query)).all()
            if len(rows) > REBUILD_ABOVE:
                self._checked = checked
                await self.rebuild()
                return
            index = self.index
            for row in rows:
                index.upsert(IndexedProduct.from_row(row))
                if row.updated_at and (self._watermark is None or row.updated_at > self._watermark):
                    self._watermark = row.updated_at
            if index.known_count != count:
                await self._reconcile(session, index)
            # Sales start, end and sell out on their own clock; the live ones are few.
            index.set_on_sale(await flashsale.products_on_sale(session))
        if index.pending > COMPACT_ABOVE:
            index.compact()
        self._checked = checked

    async def _reconcile(self, session: AsyncSession, index: SearchIndex) -> None:
        """Deleted products leave the index; products inserted with an old timestamp join it."""
        ids = set((await session.execute(select(Product.id))).scalars())
        known = index.known_ids
        for gone in known - ids:
            index.remove(gone)
        missing = list(ids - known)
        for start in range(0, len(missing), 500):
            chunk = missing[start : start + 500]
            for row in await session.execute(select(*_INDEX_COLUMNS).where(Product.id.in_(chunk))):
                index.upsert(IndexedProduct.from_row(row))


async def get_index(engine: SearchEngine, refresh_seconds: float = DEFAULT_REFRESH_SECONDS) -> SearchIndex:
    """The shared index; while it is still being built at start-up, an empty one (nothing waits for it)."""
    if engine.warming:
        return SearchIndex()
    return await engine.current(refresh_seconds)


def looks_like_product_query(index: SearchIndex, text: str) -> bool:
    """True when the text reads as a product name: each word is in product titles or tags (a small typo allowed),
    it is short, not a question, and some product matches all of it. For the assistant's free-text routing."""
    if "?" in text or "？" in text or len(text) > 60:
        return False
    try:
        parsed = parse_query(text)
    except ValueError:
        return False
    return index.looks_like_product(parsed)


async def search_products(
    engine: SearchEngine,
    text: str,
    *,
    sort: str = "relevance",
    category_id: int | None = None,
    price_min: int | None = None,
    price_max: int | None = None,
    page: int = 0,
    page_size: int = 6,
    currency: str = "CNY",
    refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
) -> SearchResults:
    """One page of products matching `text` (words plus optional typed price bounds like `<30`, `20-50`, "under 50"
    or "50元以下").

    Explicit price bounds override typed ones. With nothing found and no filters, a corrected query and close
    products are suggested.
    """
    parsed = parse_query(text, currency)
    sort = sort if sort in SORTS else "relevance"
    low = price_min if price_min is not None else parsed.price_min
    high = price_max if price_max is not None else parsed.price_max
    if engine.warming:
        index = await interim_index(engine.db, parsed, category_id=category_id, price_min=low, price_max=high)
    else:
        index = await engine.current(refresh_seconds)
    page = max(page, 0)
    rated = await _ratings(engine.db) if sort == "rating" else {}
    ratings = Ratings.of(rated) if rated else None

    def run(page: int) -> Hits:
        return index.search(
            parsed,
            category_id=category_id,
            price_min=low,
            price_max=high,
            sort=sort,
            offset=page * page_size,
            limit=page_size,
            ratings=ratings,
        )

    hits = run(page)
    pages = max(1, math.ceil(hits.total / page_size))
    if page >= pages:  # the results shrank since the button was drawn
        page = pages - 1
        hits = run(page)
    suggestion = None
    suggested_ids: list[int] = []
    if hits.total == 0 and not parsed.empty and category_id is None and low is None and high is None:
        found = index.suggest(parsed)
        suggestion, suggested_ids = found.text, found.product_ids
    facet_ids = [category for category, _count in hits.categories[:8]]
    async with engine.db.read() as session:
        rows = await _products(session, [*hits.product_ids, *suggested_ids])
        names = await _category_names(session, facet_ids)
    items = tuple(_rated(rows[i], rated.get(i)) for i in hits.product_ids if i in rows)
    suggested = tuple(rows[i] for i in suggested_ids if i in rows)
    counts = dict(hits.categories)
    return SearchResults(
        query=parsed.text,
        parsed=parsed,
        items=items,
        total=hits.total,
        page=page,
        pages=pages,
        page_size=page_size,
        sort=sort,
        category_id=category_id,
        price_min=low,
        price_max=high,
        price_ranges=price_ranges(hits.prices, exponent(currency)),
        categories=[CategoryFacet(c, *names[c], counts[c]) for c in facet_ids if c in names],
        partial=hits.partial,
        suggestion=suggestion,
        suggested=suggested,
    )


async def _ratings(db: Database) -> dict[int, tuple[float, int]]:
    """Average and count of published reviews of every reviewed product (far fewer than the products)."""
    async with db.scan() as session:
        rows = await session.execute(
            select(Review.product_id, func.avg(Review.rating), func.count())
            .where(Review.status == REVIEW_PUBLISHED)
            .group_by(Review.product_id)
        )
        return {int(pid): (round(float(avg), 2), int(count)) for pid, avg, count in rows.all()}


def _rated(item: ResultItem, rating: tuple[float, int] | None) -> ResultItem:
    return item if rating is None else replace(item, rating=round(rating[0], 1), reviews=rating[1])


# Built once: every results page reads its products and category names (building cost more than the reads).
_RESULT_ROWS = select(
    Product.id,
    Product.sku,
    Product.category_id,
    Product.title_en,
    Product.title_zh,
    Product.price,
    Product.currency,
    Product.stock,
    Product.is_digital,
    Product.stars_price,
).where(Product.id.in_(bindparam("ids", expanding=True)), Product.active.is_(True))
_CATEGORY_NAMES = select(Category.id, Category.name_en, Category.name_zh).where(
    Category.id.in_(bindparam("ids", expanding=True))
)


async def _products(session: AsyncSession, ids: Sequence[int]) -> dict[int, ResultItem]:
    if not ids:
        return {}
    rows = await session.execute(_RESULT_ROWS, {"ids": list(ids)})
    items = {
        row.id: ResultItem(*row[:8], stars_price=row.stars_price if row.is_digital and row.stars_price else None)
        for row in rows
    }
    flash = await flashsale.live_prices_in(session, items)
    return {pid: replace(item, flash_price=flash[pid].price) if pid in flash else item for pid, item in items.items()}


async def _category_names(session: AsyncSession, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    rows = await session.execute(_CATEGORY_NAMES, {"ids": list(ids)})
    return {row.id: (row.name_en, row.name_zh) for row in rows}
