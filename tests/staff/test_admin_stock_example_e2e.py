"""The admin's stock screen shows its example with a SKU that exists: the catalog's first product (the demo
catalog's first one when seeded), never an invented one; the "bad input" answer uses the same example. En and zh."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from store.seed import DEMO_CATALOG
from tests.conftest import ADMIN_ID
from tests.orders.helpers import make_product


def _first_demo_sku() -> str:
    return str(yaml.safe_load(DEMO_CATALOG.read_text(encoding="utf-8"))["products"][0]["sku"])


@pytest.mark.seeded
async def test_stock_prompt_names_the_first_demo_product(shop: Any) -> None:
    sku = _first_demo_sku()
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/admin")
    await ada.tap("Stock")
    prompt = (await ada.last_message()).text or ""  # type: ignore[union-attr]
    assert f"{sku} +5" in prompt and "TEA-01" not in prompt
    await ada.send("more please")
    refused = (await ada.last_message()).text or ""  # type: ignore[union-attr]
    assert f"{sku} +5" in refused and "TEA-01" not in refused


async def test_stock_prompt_follows_the_catalog_in_chinese(shop: Any) -> None:
    await make_product(shop.db, "OOLONG-7", stock=3)
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang="zh-hans")
    await ada.send("/admin")
    await ada.tap("库存")
    prompt = (await ada.last_message()).text or ""  # type: ignore[union-attr]
    assert "OOLONG-7 +5" in prompt and "TEA-01" not in prompt


def test_the_empty_catalog_example_is_a_demo_sku() -> None:
    from bot.views.admin import FALLBACK_SKU

    assert _first_demo_sku() == FALLBACK_SKU
