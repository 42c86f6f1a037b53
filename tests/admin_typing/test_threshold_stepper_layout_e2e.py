"""The low-stock alert stepper keeps its layout: at 0 the −5 and −1 places hold inert "·" buttons (a tap says
why and changes nothing), so "+1" never moves into the place just tapped. Tester: tapping −5 down to 0 made the
minus buttons disappear and the next tap in the same place raised the threshold."""

from __future__ import annotations

from typing import Any

from bot.emulator.client import MessageView, UserHandle
from tests.admin_typing.helpers import admin, labels
from tests.orders.helpers import make_product


async def _current(user: UserHandle, message: MessageView) -> MessageView:
    return next(m for m in await user.messages() if m.message_id == message.message_id)


async def _stepper(shop: Any, lang: str, alert_label: str) -> tuple[UserHandle, MessageView]:
    await make_product(shop.db, "TEA-1", stock=12)
    ada = await admin(shop, lang)
    await ada.send("/stock TEA-1")
    card = await ada.last_message()
    assert card is not None
    await ada.tap(alert_label, message=card)
    return ada, await _current(ada, card)


async def test_the_steps_stay_in_place_at_zero(shop: Any) -> None:
    ada, stepper = await _stepper(shop, "en", "🔔 Low-stock alert: 5 (default)")
    assert labels(stepper)[:4] == ["−5", "−1", "+1", "+5"]
    await ada.tap(row=0, col=0, message=stepper)  # −5: 5 -> 0
    stepper = await _current(ada, stepper)
    assert "falls below: 0" in (stepper.text or "")
    assert labels(stepper)[:4] == ["·", "·", "+1", "+5"]
    tapped = await ada.tap(row=0, col=0, message=stepper)  # the same place again: nothing to go down to
    assert tapped.toast is not None and "already at 0" in (tapped.toast.text or "")
    tapped = await ada.tap(row=0, col=1, message=stepper)
    assert tapped.toast is not None and "cannot go lower" in (tapped.toast.text or "")
    stepper = await _current(ada, stepper)
    assert "falls below: 0" in (stepper.text or "") and "✅ Save 0" in labels(stepper)


async def test_the_steps_stay_in_place_in_chinese(shop: Any) -> None:
    li, stepper = await _stepper(shop, "zh", "🔔 库存提醒：5（默认）")
    await li.tap(row=0, col=1, message=stepper)  # −1: 5 -> 4
    for _ in range(2):
        stepper = await _current(li, stepper)
        await li.tap(row=0, col=0, message=stepper)  # −5: 4 -> 0, then the inert dot
    stepper = await _current(li, stepper)
    assert labels(stepper)[:4] == ["·", "·", "+1", "+5"] and "✅ 保存 0" in labels(stepper)
