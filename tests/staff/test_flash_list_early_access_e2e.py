"""D17: a flash sale open early to Gold members (live, public start still to come) says so in /flash_list and on
its screen, in English and Chinese, instead of a bare "live" beside a later start time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from store import flashsale
from tests.conftest import ADMIN_ID
from tests.flashsale.helpers import make_product, scheduled_sale
from tests.staff.test_admin_flash_e2e import labels, text_of


async def _live(shop: Any, sale_id: int) -> bool:
    return (await flashsale.get_sale(shop.db, sale_id)).status == flashsale.LIVE


@pytest.mark.parametrize(
    ("lang", "early_label", "live_label", "tier_line"),
    [
        ("en", "⏩ early access (tiers first)", "🟢 live", "Gold 10 min earlier"),
        ("zh-hans", "⏩ 会员抢先中", "🟢 进行中", "10 分钟"),
    ],
)
async def test_flash_list_says_early_access_for_a_sale_before_its_public_start(
    shop: Any, lang: str, early_label: str, live_label: str, tier_line: str
) -> None:
    await make_product(shop.db, "RICE-1", price=9900, stock=40)
    await make_product(shop.db, "RICE-2", price=9900, stock=40)
    # The shop's Gold tier hears 10 min early: a sale starting in 5 min opens to them now.
    early = await scheduled_sale(shop.db, "RICE-1", stock=5, price=7900, starts_in=timedelta(minutes=5))
    public = await scheduled_sale(shop.db, "RICE-2", stock=5, price=7900, starts_in=timedelta(seconds=-30))
    for sale in (early, public):
        await shop.client.wait_for(lambda s=sale: _live(shop, s.id), timeout=10)  # type: ignore[misc]
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang=lang)
    await ada.send("/start")
    await ada.send("/flash_list")
    items = [b for b in labels(await ada.last_message()) if b.startswith("#")]
    assert any(b.startswith(f"#{early.id} {early_label} · ") for b in items), items
    assert any(b.startswith(f"#{public.id} {live_label} · ") for b in items), items
    await ada.tap(f"#{early.id} ")
    screen = text_of(await ada.last_message())
    assert f"#{early.id} · {early_label}" in screen and tier_line in screen, screen
