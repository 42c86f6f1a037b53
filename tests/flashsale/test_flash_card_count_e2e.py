"""Outside check: the group flash-sale card kept saying "5 units" while people bought. It counts the units left
down now, paced like the other live cards: the claims mark the sale, and at most once a period the group card is
redrawn (one edit for several buys, never one per tap, never an edit that changes nothing); the sold-out edit
still says sold out, and a unit an unpaid winner gives back is counted too. Real bot and emulator, an English and
a Chinese group."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import Settings
from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from store import flashsale, orders
from tests.conftest import settings_without_early_access
from tests.flashsale.helpers import live_sale, make_product
from tests.flashsale.test_flash_e2e import _job_id

PERIOD = 2.0  # seconds between redraws of the count (production: 10): two quick buys fall in one
# (Telegram language of the group's creator, the card at the start, after one buy, after three, after a unit came
# back, sold out)
LANGS = {
    "en": ("en", "5 units, at most 1", "4 units left of 5", "2 units left of 5", "3 units left of 5", "sold out"),
    "zh": (
        "zh-hans",
        "共 5 件，每人限购 1 件",
        "还剩 4 件（共 5 件）",
        "还剩 2 件（共 5 件）",
        "还剩 3 件（共 5 件）",
        "抢光",
    ),
}


@pytest.fixture
def settings() -> Settings:
    return settings_without_early_access(flashsale={"count_refresh_seconds": PERIOD})


async def _card_edits(shop: Stack, card: MessageView) -> int:
    calls = await shop.client.calls("editMessageText")
    return sum(
        1
        for c in calls
        if int(c["params"].get("chat_id", 0)) == card.chat_id
        and int(c["params"].get("message_id", 0)) == card.message_id
        and c.get("ok")
    )


async def _card(user: UserHandle, group: Any, shop: Stack, needle: str) -> MessageView:
    async def find() -> MessageView | None:
        for message in await user.messages(group):
            if message.from_bot and "⚡" in (message.text or "") and needle in (message.text or ""):
                return message
        return None

    found: MessageView = await shop.client.wait_for(find, timeout=10)
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_group_card_counts_down_paced(shop: Stack, lang: str) -> None:
    code, start, one, three, back, sold_out = LANGS[lang]
    await make_product(shop.db, "RICE-1", stock=10)
    people = [await shop.client.user(name, lang=code) for name in ("Ann", "Ben", "Cat", "Dan", "Eve", "Fay")]
    group = await shop.client.group("Neighbours", members=people, bot_admin=True)
    for person in people:
        await person.send("/start")
    sale = await live_sale(shop.db, "RICE-1", stock=5, per_user=1)
    card = await _card(people[0], group, shop, start)

    await people[0].tap(message=card, chat=group)
    assert (await _card(people[0], group, shop, one)).message_id == card.message_id
    edits_after_one = await _card_edits(shop, card)

    for person in people[1:3]:  # two buys within one period: one redraw
        await person.tap(message=card, chat=group)
    assert (await _card(people[0], group, shop, three)).message_id == card.message_id
    assert await _card_edits(shop, card) - edits_after_one == 1, "paced: one redraw for two buys"

    # Ann does not pay in time: her unit comes back and the card counts it.
    ann_order = (await flashsale.claims_of(shop.db, sale.id))[0][3]
    assert ann_order is not None and shop.app.scheduler is not None
    assert await shop.app.scheduler.fire(await _job_id(shop.db, orders.expiry_key(ann_order)))
    assert (await _card(people[0], group, shop, back)).message_id == card.message_id

    for person in people[3:6]:
        await person.tap(message=card, chat=group)
    assert (await _card(people[0], group, shop, sold_out)).message_id == card.message_id
    await shop.client.settle()
    final = next(m for m in await people[0].messages(group) if m.message_id == card.message_id)
    assert sold_out in (final.text or ""), "no count redrawn over the sold-out card"
