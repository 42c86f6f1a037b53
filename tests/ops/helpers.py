"""Operations test helpers: an admin and shoppers who started the bot, at a broadcast's first prompt."""

from __future__ import annotations

from typing import Any

from tests.conftest import ADMIN_ID

BROADCAST_BUTTON = {"en": "📣 Broadcast", "zh": "📣 群发消息"}


async def broadcast_for(
    shop: Any, audience: str, shoppers: dict[str, str], *, admin_lang: str = "en"
) -> tuple[Any, list[Any]]:
    """Ada (the admin, speaking `admin_lang`), then `shoppers` (name: language) started the bot; Ada opened a
    broadcast from /admin and tapped `audience` (its button names the count), so the bot waits for the text or
    photo. Flood limits are off. Ada and the shoppers, in the order given (user handles, as loosely typed as the
    `shop: Any` of the tests that use them, whose assertions read messages without None checks)."""
    await shop.client.set_flood_limits(False)
    admin = await shop.client.user("Ada", id=ADMIN_ID, lang=admin_lang)
    await admin.send("/start")
    people = []
    for name, lang in shoppers.items():
        person = await shop.client.user(name, lang=lang)
        await person.send("/start")
        people.append(person)
    await admin.send("/admin")
    await admin.tap(BROADCAST_BUTTON[admin_lang])
    await admin.tap(audience)
    return admin, people
