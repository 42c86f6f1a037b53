"""D16: the end the flash wizard's summary shows is the end the sale gets. A minute turning over between the
summary and "Create" used to make a preview "Ends 21:59" into a sale (confirmation, card) ending "22:00"; now
every time counted from the clock is kept to the whole minute it shows, and the summary's times hold while the
admin confirms within a minute. A summary left longer is shown again, counted anew, before anything is made."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from store import flashsale
from tests.conftest import ADMIN_ID
from tests.flashsale.helpers import make_product


class Clock:
    """The wizard's clock, moved by the test (the rest of the bot keeps the real one)."""

    def __init__(self) -> None:
        real = datetime.now(UTC)
        # 50 s into the minute before the real one: a few seconds on, the minute turns over.
        self.moment = real.replace(second=50, microsecond=0) - timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr("handlers.admin_flash.utcnow", moved)
    return moved


async def _summary(shop: Any) -> Any:
    await make_product(shop.db, "RICE-1", price=9900, stock=40)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    await ada.send("/flash_new")
    await ada.send("rice")
    for label in ("−20%", "10", "1", "Now", "1 h", "Next"):
        await ada.tap(label)
    return ada


def _shown_end(text: str) -> str:
    found = re.search(r"Ends: \d{4}-(\d\d-\d\d \d\d:\d\d)", text)
    assert found, text
    return found.group(1)


def _local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%m-%d %H:%M")


async def test_the_end_shown_in_the_summary_is_the_sales_end(shop: Any, clock: Clock) -> None:
    ada = await _summary(shop)
    summary = await ada.last_message()
    shown = _shown_end(summary.text or "")
    clock.moment += timedelta(seconds=15)  # the admin reads for 15 s: the minute turns over
    await ada.tap("Create flash sale", message=summary)
    created = (await ada.last_message()).text or ""
    assert created.endswith(f"→ {shown} UTC+8 (all groups)."), (shown, created)
    (sale,) = await flashsale.list_sales(shop.db)
    assert _local(sale.ends_at) == shown and sale.ends_at.second == 0


async def test_a_summary_left_for_minutes_is_shown_again_before_create(shop: Any, clock: Clock) -> None:
    ada = await _summary(shop)
    summary = await ada.last_message()
    first = _shown_end(summary.text or "")
    clock.moment += timedelta(minutes=3)
    moved = await ada.tap("Create flash sale", message=summary)
    assert moved.toast is not None and moved.toast.show_alert and "times have moved on" in (moved.toast.text or "")
    assert await flashsale.list_sales(shop.db) == []
    again = await ada.last_message()
    second = _shown_end(again.text or "")
    assert second != first and again.message_id == summary.message_id
    await ada.tap("Create flash sale", message=again)
    (sale,) = await flashsale.list_sales(shop.db)
    assert _local(sale.ends_at) == second
