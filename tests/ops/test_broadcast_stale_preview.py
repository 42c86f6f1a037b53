"""The tester's D2, end to end: a broadcast must go out exactly as the preview the admin confirmed. A photo
broadcast's product picker, once used, is retired (its buttons removed); a tap on it anyway (a client that had not
caught up) is answered "no longer active" and changes nothing; Send from a preview older than the draft is
refused; the shoppers get the product of the preview on which Send was tapped."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import Settings
from bot.emulator.client import MessageView, UserHandle
from store import broadcasts
from tests.conftest import make_test_settings
from tests.ops.helpers import broadcast_for

JPEG = b"\xff\xd8\xff\xe0fakejpeg"
PUER = "Aged Pu'er tea cake, 357 g"


@pytest.fixture
def settings() -> Settings:
    return make_test_settings(ops={"low_stock_threshold": 0})  # no stock alert in the admin's chat mid-test


def _labels(message: MessageView) -> list[str]:
    return [button.text for row in message.buttons for button in row]


def _data(message: MessageView, label: str) -> str:
    data = next(b.callback_data for row in message.buttons for b in row if b.text == label)
    assert data is not None
    return data


async def _now(user: UserHandle, message: MessageView) -> MessageView:
    return next(m for m in await user.messages() if m.message_id == message.message_id)


@pytest.mark.seeded
async def test_old_picker_cannot_change_what_the_confirmed_preview_sends(shop: Any) -> None:
    admin, (alice,) = await broadcast_for(shop, "👥 All shoppers (2)", {"Alice": "en"})
    await admin.send_photo(JPEG, caption="Tea week")
    await admin.tap("🛍 Add a product button", message=await admin.last_message())
    old_picker = await admin.last_message()  # the tester's #10: the latest products
    other = next(label for label in _labels(old_picker) if "Pu'er" not in label and "↩️" not in label)
    other_data = _data(old_picker, other)

    await admin.send("pu'er")
    await admin.tap("Aged Pu'er tea cake", message=await admin.last_message())
    confirmed = await admin.last_message()  # the tester's #13
    assert confirmed.photo is not None and _labels(confirmed)[0] == f"🛍 {PUER}"
    assert (await _now(admin, old_picker)).buttons == [], "the old picker is retired once a product is picked"

    # A tap on the old picker anyway (the tester's tap on #10): refused, no new preview, the draft unchanged.
    before = len(await admin.messages())
    await admin.tap_data(other_data, message=old_picker)
    toasts = await admin.toasts()
    assert toasts and "no longer active" in (toasts[-1].text or ""), toasts
    assert len(await admin.messages()) == before
    assert _labels(await admin.last_message())[0] == f"🛍 {PUER}"

    await admin.tap("✅ Send to 2", message=confirmed)

    async def delivered() -> MessageView | None:
        got = [m for m in await alice.messages() if m.from_bot and m.photo]
        return got[0] if got else None

    got = await alice.sb.wait_for(delivered, timeout=10.0)
    assert _labels(got) == [f"🛍 {PUER}", "🔕 No more announcements"], "what the confirmed preview showed"


@pytest.mark.seeded
async def test_send_from_a_preview_older_than_the_draft_is_refused(shop: Any) -> None:
    admin, (alice,) = await broadcast_for(shop, "👥 全部顾客（2）", {"Alice": "en"}, admin_lang="zh")
    await admin.send("Tea week")
    preview = await admin.last_message()
    await admin.tap(_labels(preview)[-1], message=preview)  # add a product button: the picker, in place
    picker = await _now(admin, preview)
    await admin.tap(_labels(picker)[0], message=picker)
    with_product = await _now(admin, preview)
    send_with_product = _data(with_product, next(label for label in _labels(with_product) if "发送给" in label))
    await admin.tap("🚫 不要商品按钮", message=with_product)
    without = await _now(admin, preview)
    assert "🛍 添加商品按钮" in _labels(without)

    # Send as drawn before the button was removed (a client that had not caught up): refused, nothing queued,
    # and the preview on screen keeps its (current) buttons.
    await admin.tap_data(send_with_product, message=preview)
    toasts = await admin.toasts()
    assert toasts and "已失效" in (toasts[-1].text or ""), toasts
    assert (await broadcasts.get(shop.db, 1)).status == "draft"
    assert _labels(await _now(admin, preview)) == _labels(without)

    await admin.tap(next(label for label in _labels(without) if "发送给" in label), message=preview)

    async def delivered() -> MessageView | None:
        got = [m for m in await alice.messages() if m.from_bot and "Tea week" in (m.text or "")]
        return got[0] if got else None

    got = await alice.sb.wait_for(delivered, timeout=10.0)
    assert _labels(got) == ["🔕 No more announcements"], "sent without the product, as the last preview showed"
