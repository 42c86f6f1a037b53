"""Issue 14: a published buy's prices are edited by its leader, by taps only, until the first join: the set-up
wizard's presets and tier editor, a preview, Save; the group card then shows the new prices. After the first
join the button is gone, and a Save that meets a join in between is refused with the reason. The real bot
against the emulator."""

from __future__ import annotations

from sqlalchemy import select

from bot.groupbuy_cards import refresher
from bot.sandbox import Stack
from store import groupbuy, users
from store.models.ops import AuditEntry
from tests.groupbuy.helpers import make_product, publish
from tests.groupbuy.test_groupbuy_e2e import labels, started
from tests.groupbuy.test_groupbuy_tester_d12_d15_e2e import current, leader_and_group, posted, text_of

EDIT = "✏️ Edit prices"


async def test_leader_edits_prices_by_taps_and_the_card_shows_them_until_the_first_join(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    product = await make_product(shop.db, stock=40, price=10000, sku="GB-EDIT")
    alice = await started(shop, "Alice")
    lena, group = await leader_and_group(shop, alice)
    view = await publish(shop.db, product, leader_id=lena.id, chat_id=group.id, per_person=2)
    card = await posted(shop, group, view)
    assert "3+ people: ¥90.00 (−10%)" in text_of(card)

    await lena.send("/leader")
    await lena.tap(f"#{view.id}")
    screen = await lena.last_message()
    assert screen is not None and EDIT in labels(screen)

    # The wizard's presets and its adjust-by-buttons editor, on this buy.
    await lena.tap("Edit prices", message=screen)
    presets = await current(shop, lena, screen.message_id)
    assert "New prices for «Oolong tea» (regular ¥100.00)" in text_of(presets), text_of(presets)
    assert "3+ ¥90.00 · 10+ ¥80.00" in labels(presets) and "⬅️ Back" in labels(presets)
    await lena.tap("Adjust the tiers with buttons", message=screen)
    await lena.tap("➕5%", message=screen)  # the first tier: 15% off
    editor = await current(shop, lena, screen.message_id)
    assert "−15% · ¥85.00" in labels(editor), labels(editor)

    await lena.tap("Preview these prices", message=screen)
    preview = text_of(await current(shop, lena, screen.message_id))
    new, now = preview.split("Now:")
    assert "3+ people: ¥85.00 (−15%)" in new and "10+ people: ¥80.00 (−20%)" in new, preview
    assert "3+ people: ¥90.00 (−10%)" in now, preview
    assert (await groupbuy.get(shop.db, view.id)).tiers == view.tiers, "nothing changes before Save"

    tap = await lena.tap("Save prices", message=screen)
    assert tap.toast is not None and tap.toast.text == "Prices saved. The group card shows them."
    assert (await groupbuy.get(shop.db, view.id)).tiers == (groupbuy.Tier(3, 8500), groupbuy.Tier(10, 8000))
    saved = await current(shop, lena, screen.message_id)
    assert "3+ people: ¥85.00 (−15%)" in text_of(saved) and EDIT in labels(saved), text_of(saved)

    async def card_shows_new_prices() -> bool:
        text = text_of(await current(shop, group, card.message_id))
        return "3+ people: ¥85.00 (−15%)" in text and "10+ people: ¥80.00 (−20%)" in text

    assert await shop.client.wait_for(card_shows_new_prices, timeout=10)
    async with shop.db.read() as session:
        entry = (await session.execute(select(AuditEntry).where(AuditEntry.action == "groupbuy.tiers"))).scalar_one()
    assert entry.before == {"tiers": [[3, 9000]]} and entry.after == {"tiers": [[3, 8500], [10, 8000]]}

    # A preview, then Alice joins before Save: refused with the reason, the prices she joined at stay.
    await lena.tap("Edit prices", message=screen)
    await lena.tap("3+ ¥95.00 · 5+ ¥90.00", message=screen)
    assert "Save prices" in " ".join(labels(await current(shop, lena, screen.message_id)))
    await alice.tap("Join", message=card, chat=group)
    tap = await lena.tap("Save prices", message=screen)
    reason = "Someone joined meanwhile: prices can no longer change."
    assert tap.toast is not None and tap.toast.text == reason and tap.toast.show_alert
    after = await current(shop, lena, screen.message_id)
    assert reason in text_of(after) and "Save prices" not in " ".join(labels(after))
    assert EDIT not in labels(after), "gone after the first join"
    assert (await groupbuy.get(shop.db, view.id)).tiers == (groupbuy.Tier(3, 8500), groupbuy.Tier(10, 8000))

    # Later, too: the buy's screen has no Edit prices once someone joined.
    await lena.send("/leader")
    await lena.tap(f"#{view.id}")
    assert EDIT not in labels(await lena.last_message())
    await refresher(shop.app.ctx).idle()


async def test_chinese_leader_edits_prices_with_a_preset(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    product = await make_product(shop.db, stock=40, price=10000, sku="GB-EDIT-ZH")
    lena = await started(shop, "Lena", lang="zh-hans")
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group("Street", members=[lena], bot_admin=True)
    view = await publish(shop.db, product, leader_id=lena.id, chat_id=group.id, per_person=2)
    card = await posted(shop, group, view)
    await lena.send("/leader")
    await lena.tap(f"#{view.id}")
    screen = await lena.last_message()
    assert screen is not None
    await lena.tap("修改价格", message=screen)
    assert "为「乌龙茶」设置新价格" in text_of(await current(shop, lena, screen.message_id))
    await lena.tap("5+ ¥85.00", message=screen)
    assert "当前：" in text_of(await current(shop, lena, screen.message_id))
    tap = await lena.tap("保存价格", message=screen)
    assert tap.toast is not None and tap.toast.text == "价格已保存，拼团卡片已更新。"
    assert (await groupbuy.get(shop.db, view.id)).tiers == (groupbuy.Tier(5, 8500),)

    async def card_updated() -> bool:
        return "¥85.00" in text_of(await current(shop, group, card.message_id))

    assert await shop.client.wait_for(card_updated, timeout=10)
    await refresher(shop.app.ctx).idle()
