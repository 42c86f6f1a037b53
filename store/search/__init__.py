"""Product search: bilingual, typo-tolerant, fast at 100,000 products.

How it works: an in-memory inverted index (Latin words + Chinese characters and character pairs, so Chinese
needs no spaces) built from the database on first use and kept fresh by a cheap change check at most every
`catalog.search_refresh_seconds`; a vocabulary for typo correction (rapidfuzz edit distance) and prefixes
("banan" finds banana). Ranking, filters (category, price range) and sorting (relevance, price, newest) run
in numpy; the products shown are then read from the database by id, so price and stock are never stale.

Plain text in a private chat (decided with the lead's plan): it belongs to customer-service understanding
(handlers/assistant.py), not to search. Search is one tap away (main menu "Search" asks for words, or
`/search words`). The assistant may route text that reads like a product name to search: it calls
`looks_like_product_query(await get_index(engine), text)` and, when True, shows results with
`handlers.search.answer_search(message, ctx, lang, text)`. The only plain text this feature claims itself is
the answer right after the "Search" button asked for words (a short FSM state).
"""

from store.search.index import Hits, IndexedProduct, SearchIndex, Suggestion, price_ranges
from store.search.service import (
    CategoryFacet,
    ResultItem,
    SearchEngine,
    SearchResults,
    get_index,
    looks_like_product_query,
    search_products,
)
from store.search.states import SearchTarget, load_target, new_state_id, save_targets
from store.search.text import ParsedQuery, parse_query

__all__ = [
    "CategoryFacet",
    "Hits",
    "IndexedProduct",
    "ParsedQuery",
    "ResultItem",
    "SearchEngine",
    "SearchIndex",
    "SearchResults",
    "SearchTarget",
    "Suggestion",
    "get_index",
    "load_target",
    "looks_like_product_query",
    "new_state_id",
    "parse_query",
    "price_ranges",
    "save_targets",
    "search_products",
]
