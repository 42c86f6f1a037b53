"""A «⬅️ Back» from a screen the group-buy set-up has left (an older message, a set-up restarted, stopped or
published) changes nothing: it is answered with the stale-button alert in the leader's language, and the set-up
goes on from where it is. Real bot, emulator (which fails the test on any Bot API error or unanswered tap)."""

from __future__ import annotations

from typing import Any

from bot.callbacks.groupbuy import WizardCB
from bot.emulator.client import MessageView, UserHandle
from store import groupbuy
from tests.groupbuy.helpers import make_product
from tests.leader_wizard_back.test_back_e2e import BACK, chinese_wizard
from tests.staff.test_groupbuy_wizard_e2e import labels, leader_in_group, private, text_of
from tests.staff.test_wizard_buttons_e2e import alert_after

STALE = {"en": "This button is out of date", "zh": "这个按钮已过期"}


def back_data(step: str) -> str:
    """What the Back on `step`'s question carries (an old client may still show it)."""
    return WizardCB(a="bk", v=step).pack()


async def _unchanged(user: UserHandle, before: list[MessageView]) -> None:
    after = await private(user)
    assert [(m.message_id, text_of(m), labels(m)) for m in after] == [
        (m.message_id, text_of(m), labels(m)) for m in before
    ], "a stale Back neither sends nor edits anything"


async def test_back_on_a_restarted_set_ups_question_and_on_a_question_already_answered(shop: Any) -> None:
    await make_product(shop.db, stock=40, price=1690, sku="GB-TEA")
    lena, group = await leader_in_group(shop)
    await lena.send("/groupbuy", chat=group)
    await lena.send("oolong")
    for label in ("3+ ¥15.21 · 10+ ¥13.52", "Continue"):
        await lena.tap(label)
    abandoned = await lena.last_message()
    assert "When does it end" in text_of(abandoned)

    # A new /groupbuy starts over: the abandoned question keeps its buttons, but its Back is stale.
    await lena.send("/groupbuy", chat=group)
    shown = await private(lena)
    assert "Which product" in text_of(shown[-1])
    assert STALE["en"] in await alert_after(lena, shop, label=BACK["en"], message=abandoned)
    await _unchanged(lena, shown)

    # The new set-up at the same step: the old message's Back is still not the live one.
    await lena.send("oolong")
    for label in ("3+ ¥15.21 · 10+ ¥13.52", "Continue"):
        await lena.tap(label)
    deadline = await lena.last_message()
    assert deadline is not None and abandoned is not None and deadline.message_id != abandoned.message_id
    shown = await private(lena)
    assert STALE["en"] in await alert_after(lena, shop, label=BACK["en"], message=abandoned)
    await _unchanged(lena, shown)

    # Answered by typing: the question above lost its buttons; a Back from it (an old client) is stale.
    await lena.send("24h")
    assert "Pickup point?" in text_of(await lena.last_message())
    shown = await private(lena)
    assert STALE["en"] in await alert_after(lena, shop, data=back_data("deadline"), message=deadline)
    # A Back naming another step than the one the live question is at is stale too.
    assert STALE["en"] in await alert_after(lena, shop, data=back_data("deadline"), message=shown[-1])
    await _unchanged(lena, shown)

    await lena.tap("Central Store")
    summary = await lena.last_message()
    assert "Ends: 1d 0h after publishing" in text_of(summary), "the set-up went on where it was"
    await lena.tap("Publish")
    assert "is live in the group" in text_of(await lena.last_message())
    shown = await private(lena)
    assert STALE["en"] in await alert_after(lena, shop, data=back_data("confirm"), message=summary)
    await _unchanged(lena, shown)
    [line] = (await groupbuy.leader_overview(shop.db, lena.id)).open
    assert line.group_buy.pickup_point == "central"


async def test_back_after_the_set_up_was_stopped_is_stale_in_chinese(shop: Any) -> None:
    li = await chinese_wizard(shop)
    for label in ("乌龙茶", "3+ ¥15.21 · 10+ ¥13.52", "继续", "发布后 48 小时"):
        await li.tap(label)
    pickup = await li.last_message()
    assert "自提点" in text_of(pickup) and BACK["zh"] in labels(pickup)
    await li.tap("停止设置")
    assert "已停止设置" in text_of(await li.last_message())
    shown = await private(li)
    assert STALE["zh"] in await alert_after(li, shop, data=back_data("pickup"), message=pickup)
    await _unchanged(li, shown)
    assert not (await groupbuy.leader_overview(shop.db, li.id)).open
