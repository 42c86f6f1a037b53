"""The demo catalog (store/seed_data/demo_catalog.yaml): bilingual products in six categories, some with photos,
some digital and payable in Stars, each digital one with what it hands over once paid (gift-card codes, VIP
activation links, the recipe e-book as a PDF in store/seed_data/digital/). Used by the sandbox, the tests and
the benchmarks."""

from __future__ import annotations

from store.catalog import SEED_DATA_DIR, upsert_products
from store.catalog_io import parse_file
from store.db import Database

DEMO_CATALOG = SEED_DATA_DIR / "demo_catalog.yaml"


async def seed_demo_catalog(db: Database) -> bool:
    """Upsert the demo catalog by SKU; True when it inserted products (i.e. the first time).

    Safe to run on every start: existing products keep their stock, and unchanged products are not touched.
    """
    parsed = parse_file(DEMO_CATALOG, "yaml", default_currency="CNY")
    async with db.tx() as session:
        stats = await upsert_products(session, parsed.rows, categories=parsed.categories, keep_stock=True)
    return stats.inserted > 0
