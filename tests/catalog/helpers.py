"""Small builders shared by the catalog tests."""

from __future__ import annotations

from store import users
from store.catalog import CategoryRow, ProductRow, upsert_products
from store.db import Database


def product(sku: str, *, category: str = "tea", price: int = 1000, stock: int = 10, **extra: object) -> ProductRow:
    fields: dict[str, object] = {
        "sku": sku,
        "title_en": f"Product {sku}",
        "title_zh": f"商品 {sku}",
        "category": category,
        "price": price,
        "currency": "CNY",
        "stock": stock,
    }
    fields.update(extra)
    return ProductRow(**fields)  # type: ignore[arg-type]


async def add_products(db: Database, *rows: ProductRow, categories: tuple[CategoryRow, ...] = ()) -> None:
    async with db.tx() as session:
        await upsert_products(session, rows, categories=categories)


async def make_user(db: Database, user_id: int, lang: str = "en") -> int:
    await users.ensure_user(db, user_id, f"User{user_id}", None, None, lang)
    return user_id
