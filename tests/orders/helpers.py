"""Small builders for order tests: a category, products and carts written straight to the store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.emulator.client import UserHandle
from store.checkout import CheckoutChoice, CheckoutPolicy
from store.db import Database
from store.models import CartItem, Category, Product, User
from store.orders import Contact

POLICY = CheckoutPolicy(pickup_points=("central", "north"))
CONTACT = Contact("Alice Liddell", "+15551234567", "1 Rabbit Hole Lane")


async def make_product(
    db: Database,
    sku: str = "TEA-1",
    *,
    price: int = 2500,
    stock: int = 10,
    digital: bool = False,
    stars: int | None = None,
    active: bool = True,
    category: tuple[str, str, str] = ("test", "Test", "测试"),
    titles: tuple[str, str] | None = None,
) -> int:
    """A product in the category of slug `category[0]` (created with its en/zh names when missing); `titles`:
    its en/zh titles, else "Product <sku>" / "商品 <sku>"."""
    slug, name_en, name_zh = category
    title_en, title_zh = titles or (f"Product {sku}", f"商品 {sku}")
    async with db.tx() as session:
        found = (await session.execute(select(Category).where(Category.slug == slug))).scalar_one_or_none()
        if found is None:
            found = Category(slug=slug, name_en=name_en, name_zh=name_zh)
            session.add(found)
            await session.flush()
        product = Product(
            sku=sku,
            category_id=found.id,
            title_en=title_en,
            title_zh=title_zh,
            price=price,
            currency="CNY",
            is_digital=digital,
            stars_price=stars,
            stock=stock,
            active=active,
        )
        session.add(product)
        await session.flush()
        return product.id


async def make_users(db: Database, ids: list[int]) -> None:
    async with db.tx() as session:
        session.add_all(User(id=uid, first_name=f"user{uid}") for uid in ids)


async def fill_cart(db: Database, user_id: int, items: dict[int, int]) -> None:
    async with db.tx() as session:
        for product_id, qty in items.items():
            session.add(CartItem(user_id=user_id, product_id=product_id, quantity=qty))


async def stock_of(db: Database, product_id: int) -> int:
    async with db.read() as session:
        return int((await session.execute(select(Product.stock).where(Product.id == product_id))).scalar_one())


def card_pickup(user_id: int, **kw: Any) -> CheckoutChoice:
    options: dict[str, Any] = {"payment_method": "card", "pickup_point": "central", **kw}
    return CheckoutChoice(user_id=user_id, delivery_method="pickup", **options)


async def last_text(user: UserHandle) -> str:
    """The text of the bot's last message in the user's private chat ("" if none)."""
    message = await user.last_message()
    return (message.text or message.caption or "") if message is not None else ""
