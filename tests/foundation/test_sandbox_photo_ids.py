"""Restarting the sandbox (`groupcart run` without TELEGRAM_BOT_TOKEN) on the same data folder starts a new
emulator, which keeps its files in memory and so knows none of the photo file ids the products cached during the
previous run. Every first card then cost one 400 "wrong file identifier/HTTP URL specified" before the bot
uploaded the photo again. The sandbox now forgets those ids when it starts: the first card uploads at once and
the emulator answers no error."""

from __future__ import annotations

from pathlib import Path

from bot.emulator.client import MessageView
from bot.emulator.server import EmulatorConfig
from bot.sandbox import WEB_DIR, Stack, start_stack
from store import catalog
from tests.conftest import make_test_settings

SKUS = ("FRU-APPLE", "FRU-ORANGE")


async def sandbox(url: str) -> Stack:
    """What `groupcart run` starts in sandbox mode (bot.sandbox.run_sandbox), on the database at `url`."""
    return await start_stack(
        make_test_settings(),
        database_url=url,
        emulator_config=EmulatorConfig(web_dir=WEB_DIR),
        seed_demo=True,
        demo_people=True,
    )


async def cached_id(stack: Stack, sku: str) -> str | None:
    product = await catalog.get_product_by_sku(stack.db, sku)
    assert product is not None
    return product.photo_file_id


async def open_card(stack: Stack, sku: str) -> MessageView:
    alice = stack.people["Alice"]
    await alice.open_deeplink(f"p_{sku}")
    card = await alice.last_message()
    assert card is not None and card.photo, card
    return card


async def test_a_restarted_sandbox_uploads_product_photos_again_without_a_refused_file_id(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{(tmp_path / 'sandbox.db').resolve()}"
    first = await sandbox(url)
    try:
        await open_card(first, SKUS[0])  # the upload's file id is cached on the product
        old_id = await cached_id(first, SKUS[0])
        assert old_id
        # another product's id from some other run, equally unknown to the next emulator
        await catalog.save_photo_file_id(first.db, await _id(first, SKUS[1]), "photos/orange.png", "PH0042stale")
        assert await cached_id(first, SKUS[1]) == "PH0042stale"
    finally:
        await first.stop()

    second = await sandbox(url)  # same data folder, new emulator
    try:
        for sku in SKUS:
            await open_card(second, sku)
        errors = await second.client.error_responses()
        assert errors == [], errors  # before: 400 "wrong file identifier/HTTP URL specified" for each card
        renewed = await cached_id(second, SKUS[0])
        assert renewed and renewed != old_id  # cached again, from this emulator
        calls = await second.client.calls("sendPhoto")
        assert len(calls) == len(SKUS), calls  # one upload per card, no refused attempt first
    finally:
        await second.stop()


async def _id(stack: Stack, sku: str) -> int:
    product = await catalog.get_product_by_sku(stack.db, sku)
    assert product is not None
    return product.id
