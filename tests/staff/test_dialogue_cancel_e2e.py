"""D9: /cancel stops the group-buy and flash-sale set-ups (their prompts name /cancel) as their Stop button does:
the set-up ends, its last question loses its buttons, and the next message is not taken as an answer. Outside
a dialogue /cancel says there is nothing to cancel. Real bot, emulator."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.storage.base import StorageKey

from tests.conftest import ADMIN_ID
from tests.flashsale.helpers import make_product as make_flash_product
from tests.groupbuy.helpers import make_product
from tests.staff.test_groupbuy_wizard_e2e import labels, leader_in_group, text_of


async def _state(shop: Any, user_id: int) -> str | None:
    key = StorageKey(bot_id=shop.app.bot.id, chat_id=user_id, user_id=user_id)
    return await shop.app.dp.storage.get_state(key)


async def test_cancel_stops_the_group_buy_set_up(shop: Any) -> None:
    await make_product(shop.db, stock=40, price=1690, sku="GB-TEA")
    lena, group = await leader_in_group(shop)
    await lena.send("/groupbuy", chat=group)
    await lena.send("oolong")
    prompt = await lena.last_message()
    assert prompt is not None and "costs ¥16.90" in text_of(prompt) and labels(prompt)

    await lena.send("/cancel")
    reply = text_of(await lena.last_message())
    assert "Set-up stopped. Nothing was published." in reply, reply
    assert await _state(shop, lena.id) is None
    drawn = next(m for m in await lena.messages() if m.message_id == prompt.message_id)
    assert labels(drawn) == [], "the stopped set-up's question keeps no buttons"

    await lena.send("/cancel")
    assert "nothing to cancel" in text_of(await lena.last_message())


async def test_cancel_stops_the_flash_set_up(shop: Any) -> None:
    await make_flash_product(shop.db, "RICE-1", price=9900, stock=40)
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang="zh-hans")
    await ada.send("/start")
    await ada.send("/flash_new")
    await ada.tap("商品 RICE-1")
    prompt = await ada.last_message()
    assert prompt is not None and labels(prompt)
    await ada.send("/cancel")
    reply = text_of(await ada.last_message())
    assert "已停止设置，未创建秒杀。" in reply and await _state(shop, ada.id) is None, reply
    drawn = next(m for m in await ada.messages() if m.message_id == prompt.message_id)
    assert labels(drawn) == []
