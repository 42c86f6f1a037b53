"""What a shopper keeps with the shop besides orders: wishlist, cart, "Notify me" on sold-out products, and
their choices about messages (flash-sale alerts, check-in reminders, no broadcasts). store.privacy puts these in
/mydata and /forgetme empties the lists and turns the alerts off.

The broadcast opt-out survives /forgetme on purpose: it is the shopper's "do not message me", and deleting it would
opt them back in to marketing. It holds nothing but the user id and a date, and only the shopper lifts it
(store.broadcasts.opt_in: "Receive offers again", or /subscribe), also after /forgetme."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from store.models import CartItem, Product, User
from store.models.ops import MarketingOptOut, RestockWaiter
from store.models.social import WishlistItem, WishlistNotice


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _product(product: Product) -> dict[str, Any]:
    return {"sku": product.sku, "title_en": product.title_en, "title_zh": product.title_zh}


@dataclass(frozen=True)
class ListCounts:
    """How much of each the export holds (the /mydata caption names them in the shopper's language)."""

    wishlist: int
    cart: int
    flash_alerts: bool
    broadcasts_opted_out: bool


_Listed = TypeVar("_Listed", WishlistItem, CartItem, RestockWaiter)


async def _with_products(
    session: AsyncSession, model: type[_Listed], user_id: int, since: InstrumentedAttribute[datetime]
) -> Sequence[Row[_Listed, Product]]:
    """One of the user's lists with its products, oldest first."""
    return (
        await session.execute(
            select(model, Product)
            .join(Product, Product.id == model.product_id)
            .where(model.user_id == user_id)
            .order_by(since, Product.id)
        )
    ).all()


async def export_lists(session: AsyncSession, user: User) -> dict[str, Any]:
    wished = await _with_products(session, WishlistItem, user.id, WishlistItem.added_at)
    cart = await _with_products(session, CartItem, user.id, CartItem.added_at)
    waiting = await _with_products(session, RestockWaiter, user.id, RestockWaiter.created_at)
    opt_out = await session.get(MarketingOptOut, user.id)
    return {
        "wishlist": [
            {**_product(p), "price_seen": item.price_seen, "added_at": _iso(item.added_at)} for item, p in wished
        ],
        "cart": [{**_product(p), "quantity": item.quantity, "added_at": _iso(item.added_at)} for item, p in cart],
        "notify_when_back_in_stock": [{**_product(p), "since": _iso(row.created_at)} for row, p in waiting],
        # One switch for every flash sale (the shop keeps no per-sale or per-group choice).
        "flash_sale_alerts": {"subscribed": bool(user.subscribed_flash)},
        "check_in_reminders": bool(user.checkin_reminder),
        "broadcasts": {
            "opted_out": opt_out is not None,
            "opted_out_at": _iso(opt_out.created_at) if opt_out is not None else None,
        },
    }


def counts(data: dict[str, Any]) -> ListCounts:
    """From an export made by export_lists (the caption tells what the file holds, not a second query)."""
    return ListCounts(
        wishlist=len(data["wishlist"]),
        cart=sum(int(line["quantity"]) for line in data["cart"]),
        flash_alerts=bool(data["flash_sale_alerts"]["subscribed"]),
        broadcasts_opted_out=bool(data["broadcasts"]["opted_out"]),
    )


async def erase_lists(session: AsyncSession, user: User) -> None:
    """In /forgetme's transaction: the lists go and no alert is sent any more (the opt-out stays, see above)."""
    user_id = user.id
    await session.execute(delete(WishlistItem).where(WishlistItem.user_id == user_id))
    await session.execute(delete(WishlistNotice).where(WishlistNotice.user_id == user_id))
    await session.execute(delete(CartItem).where(CartItem.user_id == user_id))
    await session.execute(delete(RestockWaiter).where(RestockWaiter.user_id == user_id))
    user.subscribed_flash = False
    user.checkin_reminder = False
