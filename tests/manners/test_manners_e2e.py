"""Telegram manners through the real bot and the emulator, as the outside check tried them: no edit that changes
nothing, every tap answered (stale and forged ones too), and a burst in one chat answered without a 429."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.config import Settings
from bot.emulator.client import UserHandle
from bot.emulator.server import EmulatorConfig
from bot.i18n import t
from bot.sandbox import Stack, start_stack
from bot.tap_guard import WINDOW_SECONDS

JSON = dict[str, object]


def refused(calls: list[JSON]) -> list[tuple[object, object]]:
    return [(c["method"], c.get("error")) for c in calls if not c["ok"]]


async def never_refused(shop: Stack) -> None:
    assert refused(await shop.client.calls()) == [], "the emulator (as Telegram) refused a call"


@pytest.mark.seeded
async def test_taps_that_change_nothing_send_no_edit(shop: Stack) -> None:
    alice = await shop.client.user("Alice")
    await alice.send("/start")
    for sku in ("FRU-GRAPE", "TEA-PUER"):  # a photo card, a text card
        await alice.open_deeplink(f"p_{sku}")
        card = await alice.last_message()
        assert card is not None
        old_add = next(b.callback_data for row in card.buttons for b in row if "Add 1" in b.text)
        await alice.tap("Add 1")  # redrawn: the picker back at 1, the buttons carrying the new cart count
        # The Add of the drawing before that add, tapped late: "already in your cart", and the card it redraws
        # is the one shown already, so no edit goes out.
        await asyncio.sleep(WINDOW_SECONDS + 0.2)
        await alice.tap_data(old_add or "", message=card)
        await shop.client.settle()
    await alice.send("/cart")
    cart = await alice.last_message()
    assert cart is not None and "Kyoho grapes" in (cart.text or "")
    await alice.send("/points")
    await alice.tap("✅ Check in")
    await alice.tap("✅ Check in")  # already checked in: a toast, the screen is unchanged
    toasts = [toast.text or "" for toast in await alice.toasts()]
    assert any("Added 1" in text for text in toasts)
    assert sum("Already in your cart" in text for text in toasts) == 2
    await never_refused(shop)
    etiquette = shop.app.ctx.etiquette
    assert etiquette is not None and etiquette.shown.skipped_edits >= 3, "the unchanged redraws were not sent"


HUGE = str(2**63)  # past every database's 64-bit integer
STALE_OR_FORGED = [
    "od:cancel_yes:abc", "gb:j:999999", "sp:take:1", "gbl:cancel_yes:1", "zz", "💥", "x" * 64, ":::",
    f"sp:trk:0:{HUGE}", f"pd:{HUGE}:0:1:0:0:l", f"ado:{HUGE}",
]


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_every_tap_is_answered_in_the_tappers_language(shop: Stack, lang: str) -> None:
    frank = await shop.client.user("Frank", lang=lang)
    await frank.send("/start")
    for data in STALE_OR_FORGED:
        keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="old", callback_data=data)]])
        await shop.app.bot.send_message(frank.id, "an old message", reply_markup=keyboard)
        result = await frank.tap("old")
        assert result.raw.get("answered"), f"{data!r} left the spinner turning"
        assert result.toast is not None and result.toast.text, data
    texts = {toast.text for toast in await frank.toasts()}
    assert t(lang, "buttons.inactive") in texts
    apology = t(lang, "errors.internal")
    assert all(m.text != apology for m in await frank.messages())
    await never_refused(shop)


async def test_a_number_too_large_for_the_database_is_refused_politely(shop: Stack) -> None:
    from tests.conftest import ADMIN_ID

    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    await ada.send(f"/leader_grant {HUGE}")
    reply = await ada.last_message()
    assert reply is not None and reply.text != t("en", "errors.internal")
    await never_refused(shop)


@pytest.fixture
async def live_shop(settings: Settings, tmp_path: Path) -> AsyncIterator[Stack]:
    """Updates handled as tasks, as in production, against the emulator's flood limits at Telegram's pace."""
    stack = await start_stack(
        settings,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}",
        emulator_config=EmulatorConfig(flood_limits=True, time_scale=1.0),
    )
    try:
        yield stack
    finally:
        await stack.stop()


async def _bot_texts(user: UserHandle) -> list[str]:
    return [m.text or m.caption or "" for m in await user.messages() if m.from_bot]


async def test_twenty_checkins_at_once_are_answered_once_without_a_429(live_shop: Stack) -> None:
    shop = live_shop
    etiquette = shop.app.ctx.etiquette
    assert etiquette is not None
    ann = await shop.client.user("Ann")
    before = len(await _bot_texts(ann))
    await asyncio.gather(*(ann.send("/checkin") for _ in range(20)))
    await shop.client.wait_for(
        lambda: etiquette.repeats.dropped + 1 >= 20, timeout=10
    )
    await shop.client.settle()  # the bot has finished with every update: no stray reply can still arrive
    replies = (await _bot_texts(ann))[before:]
    assert len(replies) + etiquette.repeats.dropped == 20, "every message is accounted for"
    assert len(replies) == 1 and "Checked in" in replies[0]
    await never_refused(shop)


async def test_a_burst_of_different_commands_is_queued_not_refused(live_shop: Stack) -> None:
    shop = live_shop
    ben = await shop.client.user("Ben")
    commands = ["/help", "/cart", "/points", "/orders", "/invite", "/checkin", "/language", "/catalog"]
    await asyncio.gather(*(ben.send(command) for command in commands))

    async def answered() -> bool:
        return len(await _bot_texts(ben)) >= len(commands)

    await shop.client.wait_for(answered, timeout=20, interval=0.1)
    await shop.client.settle()
    assert len(await _bot_texts(ben)) == len(commands), "one answer per command"
    await never_refused(shop)
    assert shop.app.ctx.etiquette is not None and shop.app.ctx.etiquette.sends.waited >= 1
