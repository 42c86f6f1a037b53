"""/mydata lists the wishlist, the cart, "Notify me" products, the flash-sale alert switch and the broadcast
opt-out, in the file and (counted) in the caption, in English and Chinese; /forgetme empties the lists and turns the
alerts off but keeps the opt-out (deleting it would opt the shopper back in to marketing). End to end through the
emulator, and the store on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from bot.emulator.client import UserHandle
from store import broadcasts, privacy
from store.db import Database
from store.models import User
from store.social import wishlist
from tests.delivery.helpers import shopper, text_of
from tests.orders.helpers import fill_cart, make_product, make_users


async def _mydata(user: UserHandle) -> tuple[str, dict[str, Any]]:
    await user.send("/mydata")
    export = await user.last_message()
    assert export is not None and export.document is not None
    data: dict[str, Any] = json.loads(export.document.data)
    return export.caption or "", data


def _skus(rows: list[dict[str, Any]]) -> list[str]:
    return [row["sku"] for row in rows]


async def test_mydata_lists_and_forgetme_clears_them_in_english(shop: Any) -> None:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    await make_product(shop.db, "GONE-1", stock=0)
    alice = await shopper(shop)
    await alice.open_deeplink("p_TEA-1")
    wished = await alice.tap("Save to wishlist")
    assert wished.toast is not None and "Added to your wishlist" in (wished.toast.text or "")
    await alice.open_deeplink("p_GONE-1")
    await alice.tap("🔔 Notify me when it is back")
    await alice.send("/subscribe")
    await fill_cart(shop.db, alice.id, {tea: 2})
    assert await broadcasts.opt_out(shop.db, alice.id)  # the one tap under a broadcast

    caption, data = await _mydata(alice)
    assert "❤️ Wishlist: 1 product" in caption and "🛒 Cart: 2 items" in caption, caption
    assert "⚡ Flash-sale alerts: on" in caption and "📣 Shop announcements: you opted out" in caption
    assert _skus(data["wishlist"]) == ["TEA-1"] and data["wishlist"][0]["price_seen"] == 2500
    assert [(r["sku"], r["quantity"]) for r in data["cart"]] == [("TEA-1", 2)]
    assert _skus(data["notify_when_back_in_stock"]) == ["GONE-1"]
    assert data["flash_sale_alerts"] == {"subscribed": True}
    assert data["broadcasts"]["opted_out"] is True and data["broadcasts"]["opted_out_at"]

    await alice.send("/forgetme")
    question = text_of(await alice.last_message())  # type: ignore[arg-type]
    assert "empty your wishlist, cart" in question and "you stay opted out" in question
    await alice.tap("Yes, erase my data")
    done = text_of(await alice.last_message())  # type: ignore[arg-type]
    assert "Your wishlist and cart are empty and flash-sale alerts are off." in done, done

    caption, data = await _mydata(alice)
    assert "❤️ Wishlist: 0 products" in caption and "🛒 Cart: 0 items" in caption, caption
    assert "⚡ Flash-sale alerts: off" in caption and "📣 Shop announcements: you opted out" in caption
    assert (data["wishlist"], data["cart"], data["notify_when_back_in_stock"]) == ([], [], [])
    assert data["flash_sale_alerts"] == {"subscribed": False}
    assert data["broadcasts"]["opted_out"] is True, "erasure never opts anyone back in to broadcasts"
    await alice.send("/cart")
    assert "empty" in text_of(await alice.last_message()).lower()  # type: ignore[arg-type]


async def test_mydata_caption_in_chinese(shop: Any) -> None:
    lilei = await shopper(shop, "李雷", lang="zh-hans")
    await lilei.send("/subscribe")
    caption, data = await _mydata(lilei)
    assert "（0 个订单）" in caption
    assert "❤️ 心愿单：0 件商品" in caption and "🛒 购物车：0 件商品" in caption, caption
    assert "⚡ 秒杀提醒：已开启" in caption and "📣 商店通知：正在接收" in caption
    assert data["broadcasts"] == {"opted_out": False, "opted_out_at": None}
    await lilei.send("/forgetme")
    assert "清空心愿单、购物车和到货提醒" in text_of(await lilei.last_message())  # type: ignore[arg-type]
    await lilei.tap("是，删除我的数据")
    assert "秒杀提醒已关闭" in text_of(await lilei.last_message())  # type: ignore[arg-type]
    caption, _ = await _mydata(lilei)
    assert "⚡ 秒杀提醒：未开启" in caption


async def test_store_lists_export_and_erasure(any_db: Database) -> None:
    await make_users(any_db, [42, 43])
    tea = await make_product(any_db, "TEA-1", price=2500, stock=5)
    for uid in (42, 43):
        await wishlist.add(any_db, uid, tea)
        await fill_cart(any_db, uid, {tea: 3})
    async with any_db.tx() as session:
        for uid in (42, 43):
            user = await session.get(User, uid)
            assert user is not None
            user.subscribed_flash = True
    await broadcasts.opt_out(any_db, 42)

    data = await privacy.export_user_data(any_db, 42)
    assert _skus(data["wishlist"]) == ["TEA-1"] and data["cart"][0]["quantity"] == 3
    assert data["flash_sale_alerts"]["subscribed"] and data["broadcasts"]["opted_out"]

    await privacy.forget_user(any_db, 42)
    data = await privacy.export_user_data(any_db, 42)
    assert (data["wishlist"], data["cart"], data["flash_sale_alerts"]) == ([], [], {"subscribed": False})
    assert await broadcasts.opted_out(any_db, 42)
    other = await privacy.export_user_data(any_db, 43)  # nobody else's lists are touched
    assert _skus(other["wishlist"]) == ["TEA-1"] and other["flash_sale_alerts"]["subscribed"]
