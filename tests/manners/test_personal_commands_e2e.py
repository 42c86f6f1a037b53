"""Personal commands sent in a group (/orders, /mydata, /forgetme, /wishlist, /checkin, /points): one short reply
in the group, in the sender's language, whose button opens that command's own screen in the private chat (a deep link,
which also works for someone who never started the bot). Nothing personal is said in the group: /checkin there
checks in only once the button is pressed, and its balance and streak are told privately."""

from __future__ import annotations

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from store.growth import points

# command, words of the group reply, label of its button, what the private screen says
EN = [
    ("/orders", "Your orders are shown in a private chat", "📦 Open my orders", "You have no orders yet"),
    ("/mydata", "Personal data is handled in a private chat", "📄 Get my data in private chat", "Everything this shop"),
    ("/forgetme", "Personal data is handled in a private chat", "🗑 Erase my data in private chat", "Erase your name"),
    ("/wishlist", "Your wishlist is personal", "❤️ My wishlist", "Your wishlist"),
    ("/checkin", "Check-ins and points are personal", "✅ Check in", "Checked in!"),
    ("/points", "Your points are personal", "⭐ My points", "Your points: 10"),
]
ZH = [
    ("/orders", "订单信息在与我的私聊中查看", "📦 打开我的订单", "您还没有订单"),
    ("/mydata", "个人数据请在与我的私聊中处理", "📄 在私聊中导出我的数据", ""),
    ("/forgetme", "个人数据请在与我的私聊中处理", "🗑 在私聊中删除我的数据", ""),
    ("/wishlist", "心愿单是个人的", "❤️ 我的心愿单", "心愿单"),
    ("/checkin", "签到和积分是个人的", "✅ 签到", "签到成功"),
    ("/points", "积分是个人的", "⭐ 我的积分", "我的积分：10"),
]


async def _group_reply(shop: Stack, user: UserHandle, group: object, command: str) -> MessageView:
    before = len(await user.messages(group))  # type: ignore[arg-type]
    await user.send(command, chat=group)  # type: ignore[arg-type]
    after = await user.messages(group)  # type: ignore[arg-type]
    assert len(after) == before + 2, f"{command}: the command and one reply"
    reply = after[-1]
    assert reply.from_bot
    return reply


@pytest.mark.parametrize("lang,cases", [("en", EN), ("zh", ZH)])
async def test_personal_commands_in_a_group_open_their_own_private_screen(
    shop: Stack, lang: str, cases: list[tuple[str, str, str, str]]
) -> None:
    await shop.client.set_flood_limits(False)
    ann = await shop.client.user("Ann", lang=lang)  # never started the bot
    group = await shop.client.group("Block 5", members=[ann], bot_admin=True)
    prefix = f"https://t.me/{shop.app.ctx.bot_username}?start="
    for command, says, label, private in cases:
        reply = await _group_reply(shop, ann, group, command)
        assert says in (reply.text or ""), f"{command}: {reply.text!r}"
        assert "10" not in (reply.text or ""), "no balance or streak in the group"
        ((button,),) = reply.buttons
        assert button.text == label
        url = button.url or ""
        assert url.startswith(prefix) and "co_cart" not in url, f"{command}: {url}"
        before = len(await ann.messages())
        await ann.open_deeplink(url.removeprefix(prefix))
        shown = (await ann.messages())[before:]
        assert shown, f"{command}: nothing in the private chat"
        last = await ann.last_message()
        assert last is not None
        if command == "/mydata":
            assert last.document is not None and f"mydata-{ann.id}" in (last.document.file_name or "")
        elif private:
            assert private in (last.text or ""), f"{command}: {last.text!r}"
        if command == "/forgetme":
            assert "pv:forget" in [b.callback_data for row in last.buttons for b in row], "the erase question"
    assert await points.balance(shop.db, ann.id) == 10, "checked in once, from the private chat"
