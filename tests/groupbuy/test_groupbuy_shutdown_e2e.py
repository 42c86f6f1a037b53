"""Shutdown with group-buy redraws still to do: App.close ends the card redraw waiting for its slot in the group and
the participants' panel refresh under way before the database, the chats' state and the Bot session go, so no
background task outlives the app (none left pending, none failing on a closed database)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot import groupbuy_panels
from bot.emulator.server import EmulatorConfig
from bot.groupbuy_cards import refresher
from bot.sandbox import start_stack
from store import groupbuy, users
from store.groupbuy import GroupBuyView, ParticipantView
from tests.conftest import USER_PACE_SECONDS, make_test_settings
from tests.groupbuy.helpers import make_product, publish
from tests.groupbuy.test_groupbuy_e2e import started
from tests.groupbuy.test_groupbuy_tester_d12_d15_e2e import posted
from tests.groupbuy.test_leader_buy_screen_e2e import _buy_screen

# Long enough that the card redraw after the leader's change still waits for its slot when the app closes.
CARD_GAP = 60


@pytest.mark.parametrize(
    ("lang", "plus", "extended"), [("en", "+24h", "Deadline extended."), ("zh-hans", "+24小时", "截止时间已延长。")]
)
async def test_closing_the_app_ends_the_pending_card_redraw_and_the_panel_refresh_under_way(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    lang: str,
    plus: str,
    extended: str,
) -> None:
    settings = make_test_settings(groupbuy={"card_edit_min_seconds": CARD_GAP})
    shop = await start_stack(
        settings,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}",
        emulator_config=EmulatorConfig(flood_limits=True, time_scale=1.0, user_pace_seconds=USER_PACE_SECONDS),
    )
    try:
        await shop.client.set_flood_limits(False)
        product = await make_product(shop.db, stock=40, price=5000, sku="GB-STOP")
        alice, bob = await started(shop, "Alice", lang=lang), await started(shop, "Bob", lang=lang)
        lena = await started(shop, "Lena", lang=lang)
        await users.grant_role(shop.db, lena.id, "leader")
        group = await shop.client.group("Street", members=[lena, alice, bob], bot_admin=True)
        view = await publish(shop.db, product, leader_id=lena.id, chat_id=group.id, tiers=(groupbuy.Tier(3, 4000),))
        card = await posted(shop, group, view)  # the group's next card edit waits CARD_GAP from this post
        for person in (alice, bob):
            await person.tap(card.buttons[0][0].text, message=card, chat=group)  # Join, in the group's language
        assert (await groupbuy.get(shop.db, view.id)).joined == 2

        # The first participant's panel is redrawn; the second's edit is still on its way when the app closes.
        real_refresh_one = groupbuy_panels.refresh_one
        drawing = asyncio.Event()

        async def slow_refresh_one(ctx: object, view: GroupBuyView, part: ParticipantView, lang: str) -> bool:
            if drawing.is_set():
                await asyncio.Event().wait()
            drawing.set()
            return await real_refresh_one(ctx, view, part, lang)  # type: ignore[arg-type]

        monkeypatch.setattr(groupbuy_panels, "refresh_one", slow_refresh_one)

        screen = await _buy_screen(shop, lena, view.id)
        tap = await lena.tap(plus, message=screen)  # a card redraw and a refresh of both panels
        assert tap.toast is not None and (tap.toast.text or "").startswith(extended), tap.toast
        await asyncio.wait_for(drawing.wait(), timeout=30)
        for _ in range(300):  # the first panel's edit is made, then the refresh waits on the second
            if refresher(shop.app.ctx).panels.edits:
                break
            await asyncio.sleep(0.05)
        background = [t for t in asyncio.all_tasks() if t.get_name().startswith(("gb-cards:", "gb-panels:"))]
        names = {t.get_name().split(":")[0] for t in background if not t.done()}
        assert names == {"gb-cards", "gb-panels"}, background
        assert refresher(shop.app.ctx).panels.edits == 1
        caplog.clear()
        caplog.set_level(logging.INFO)
    finally:
        await asyncio.wait_for(shop.stop(), timeout=60)

    assert all(task.done() for task in background), [t for t in background if not t.done()]
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR or "destroyed but it is pending" in r.message]
    assert failures == [], [r.getMessage() for r in failures]
