"""Issue 14, the leader's wizard by buttons beyond the presets: price tiers adjusted in place (people and discount
per tier, refused when a tier would not need more people, give a bigger discount or keep a price above zero), and
the deadline picked on a month calendar and an hour in the shop's timezone (past days and hours, and times beyond
the configured maximum, refused with the reason). Every time shown carries its zone. Real bot, emulator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import pytest

from bot.emulator.client import MessageView, UserHandle
from store import groupbuy
from store.errors import DomainError
from tests.groupbuy.helpers import make_product
from tests.shop_clock import shop_fixture_at
from tests.staff.test_groupbuy_wizard_e2e import labels, leader_in_group, text_of

# 18:00 in the shop (Asia/Shanghai, UTC+8) on 30 December: the 14-day maximum reaches into January.
NOW = datetime(2026, 12, 30, 10, 0, tzinfo=UTC)


late_december = shop_fixture_at(NOW)  # the calendar's months are known


def struck(number: int) -> str:
    return "".join(f"{digit}\u0336" for digit in str(number))


def struck_hour(hour: int) -> str:
    """An hour shown but not offered on the hour picker."""
    return "".join(f"{char}\u0336" if char.isdigit() else char for char in f"{hour:02d}:00")


async def alert_after(user: UserHandle, shop: Any, **tap: Any) -> str:
    """Tap (by label, or forged data) and return the alert that answered it."""
    data = tap.pop("data", None)
    if data is not None:
        await user.tap_data(data, message=tap["message"])
    else:
        await user.tap(**tap)
    await shop.client.settle()
    toasts = await user.toasts()
    assert toasts and toasts[-1].show_alert, "a refused tap is answered with an alert"
    return toasts[-1].text or ""


async def test_tiers_adjusted_by_buttons_in_place_and_refused_when_they_would_not_make_sense(shop: Any) -> None:
    await make_product(shop.db, stock=40, price=1690, sku="GB-TEA")  # ¥16.90
    lena, group = await leader_in_group(shop)
    await lena.send("/groupbuy", chat=group)
    await lena.send("oolong")
    prompt = await lena.last_message()
    assert prompt is not None
    await lena.tap("Adjust the tiers with buttons")
    editor = await lena.last_message()
    assert editor is not None and editor.message_id == prompt.message_id, "the editor replaces the question"
    body = text_of(editor)
    assert "3+ people: ¥15.21 (−10%)" in body and "10+ people: ¥13.52 (−20%)" in body, "starts from a preset"
    assert "Price with 3 people: ¥15.21" in body and "fewer than 3 people everyone pays the regular ¥16.90" in body

    await lena.tap(row=1, col=2)  # first tier: discount +5%
    await lena.tap(row=0, col=2)  # first tier: people +1
    editor = await lena.last_message()
    assert editor is not None and editor.message_id == prompt.message_id
    assert "4+ people: ¥14.36 (−15%)" in text_of(editor) and "Price with 4 people: ¥14.36" in text_of(editor)

    # Second tier's discount down to the first's: refused, the screen stays.
    before = text_of(editor)
    reason = await alert_after(lena, shop, row=3, col=0)
    assert "bigger discount than the one before" in reason
    assert text_of(await lena.last_message()) == before
    reason = await alert_after(lena, shop, data="gbw:tn:1.4", message=editor)
    assert "more people than the one before" in reason
    reason = await alert_after(lena, shop, data="gbw:td:1.100", message=editor)
    assert "less than 100%" in reason
    assert text_of(await lena.last_message()) == before

    await lena.tap("Add a tier")
    assert "20+ people: ¥12.67 (−25%)" in text_of(await lena.last_message())
    await lena.tap("Remove the last tier")
    assert "20+ people" not in text_of(await lena.last_message())
    await lena.tap("Use these prices")
    counts = await lena.last_message()
    assert counts is not None and counts.message_id == prompt.message_id
    assert "People: at least 4, no maximum" in text_of(counts), "the minimum starts at the first tier"
    await lena.tap(row=0, col=0)  # the minimum 4 -> 3 -> 2
    await lena.tap(row=0, col=0)
    for label in ("Continue", "48 h after publishing", "Central Store"):
        await lena.tap(label)
    summary = text_of(await lena.last_message())
    assert "4+ people: ¥14.36 (−15%)" in summary and "10+ people: ¥13.52 (−20%)" in summary
    assert "Price with 2 people: ¥16.90 (regular price)" in summary
    await lena.tap("Publish")
    card = [m for m in await group.messages() if m.from_bot][-1]
    assert "¥14.36" in text_of(card) and "¥13.52" in text_of(card)
    shared = unquote(card.button("Share").url or "")
    buy = await groupbuy.get(shop.db, int(shared.split("?start=g_", 1)[1].split("&", 1)[0]))
    assert [(t.min_participants, t.unit_price) for t in buy.tiers] == [(4, 1436), (10, 1352)]


def test_a_discount_that_leaves_no_price_or_rounds_away_is_refused() -> None:
    for steps, code in (
        (((3, 95),), "gb_tier_price_zero"),  # ¥0.05 less 95% rounds to nothing
        (((3, 5),), "gb_tier_discount_rounds_away"),
        (((3, 10), (3, 20)), "gb_tiers_people_order"),
        (((3, 20), (5, 20)), "gb_tiers_discount_order"),
        (((0, 10),), "gb_tier_people_range"),
    ):
        with pytest.raises(DomainError) as refused:
            groupbuy.tiers_from_steps(5, steps)
        assert refused.value.code == code, steps


async def _to_deadline(shop: Any) -> tuple[UserHandle, Any, MessageView]:
    await make_product(shop.db, stock=40, price=1690, sku="GB-TEA")
    lena, group = await leader_in_group(shop)
    await lena.send("/groupbuy", chat=group)
    await lena.send("oolong")
    for label in ("3+ ¥15.21 · 10+ ¥13.52", "Continue"):  # the suggested counts
        await lena.tap(label)
    deadline = await lena.last_message()
    assert deadline is not None
    return lena, group, deadline


async def test_deadline_from_a_calendar_in_shop_time_refusing_past_and_too_far(late_december: Any) -> None:
    shop = late_december
    lena, group, deadline = await _to_deadline(shop)
    assert "Tonight 20:00 UTC+8" in labels(deadline), "a preset's hour carries its zone"
    assert any(label.startswith("Tomorrow 12:00 UTC+8") for label in labels(deadline))
    await lena.tap("Pick a day and hour")
    month = await lena.last_message()
    assert month is not None and month.message_id == deadline.message_id, "the calendar replaces the question"
    assert "Shop time (UTC+8), from 2026-12-30 to 2027-01-13" in text_of(month)
    assert "December 2026" in labels(month) and "30" in labels(month) and struck(29) in labels(month)
    assert "◀️" not in labels(month), "no month before the current one"

    assert "has passed" in await alert_after(lena, shop, label=struck(29))
    await lena.tap("▶️")
    january = await lena.last_message()
    assert january is not None and "January 2027" in labels(january) and "▶️" not in labels(january)
    assert "13" in labels(january) and struck(14) in labels(january)
    assert "at most 14 days" in await alert_after(lena, shop, label=struck(14))
    await lena.tap("13")
    hours = await lena.last_message()
    assert hours is not None and "2027-01-13" in text_of(hours) and "UTC+8" in text_of(hours)
    assert "at most 14 days" in await alert_after(lena, shop, label=struck_hour(20)), "past the maximum"
    await lena.tap("Back")
    await lena.tap("◀️")
    await lena.tap("30")
    assert "in the past" in await alert_after(lena, shop, label=struck_hour(17)), "an hour already gone today"
    await lena.tap("21:00")
    pickup = await lena.last_message()
    assert pickup is not None and pickup.message_id == deadline.message_id and "Pickup point" in text_of(pickup)
    await lena.tap("Central Store")
    assert "Ends: 2026-12-30 21:00 UTC+8" in text_of(await lena.last_message())
    await lena.tap("Publish")
    card = [m for m in await group.messages() if m.from_bot][-1]
    assert "Ends 2026-12-30 21:00 UTC+8" in text_of(card)


async def test_price_presets_that_need_more_people_than_the_stock_are_not_offered(shop: Any) -> None:
    """Outside tester: 5 in stock, the first preset "3+ · 10+" was offered, and the next step flagged it as not
    fitting (a tier of 10 people, at most 5 can join). Only presets the stock can serve are offered; the
    editor opens on the first of them."""
    await make_product(shop.db, stock=5, price=1690, sku="GB-DURIAN")
    lena, group = await leader_in_group(shop)
    await lena.send("/groupbuy", chat=group)
    await lena.send("GB-DURIAN")
    prompt = await lena.last_message()
    assert prompt is not None
    shown = labels(prompt)
    assert not any("10+" in label for label in shown), shown
    assert any(label.startswith("3+ ") and "5+ " in label for label in shown), shown
    await lena.tap(shown[0], message=prompt)
    counts = text_of(await lena.last_message())
    assert "do not fit" not in counts, counts
