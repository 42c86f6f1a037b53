"""A product card's facts read as one statement (store.product_card) say what the owning modules say one by one:
the live flash price (the cheapest sale open to everyone with units left, not one in tier early access, sold
out, ended or scheduled), the shopper's cart count, the heart and the published rating; on SQLite and
PostgreSQL, for a shopper and for a group card (no shopper)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from store import cart, flashsale, product_card
from store.db import Database
from store.flashsale.rules import LIVE
from store.models import utcnow
from store.models.flashsale import FlashSale
from store.models.social import Review
from store.social import reviews, wishlist
from tests.social.helpers import add_products, bought, make_user, product, product_id


async def _sale(db: Database, product: int, *, price: int, stock: int = 5, sold: int = 0, **times: timedelta) -> int:
    now = utcnow()
    async with db.tx() as session:
        sale = FlashSale(
            product_id=product,
            price=price,
            currency="CNY",
            stock=stock,
            sold=sold,
            status=LIVE,
            starts_at=now + times.get("starts", timedelta(minutes=-5)),
            ends_at=now + times.get("ends", timedelta(minutes=30)),
        )
        session.add(sale)
        await session.flush()
        return sale.id


async def _shop(db: Database) -> dict[str, int]:
    skus = ("TEA", "POT", "CUP", "BAG", "JAR")
    await add_products(db, *(product(sku, price=1000 + 100 * n) for n, sku in enumerate(skus)))
    ids = {sku: await product_id(db, sku) for sku in skus}
    await make_user(db, 1)
    await make_user(db, 2)
    await make_user(db, 3)
    # TEA: two live sales, the cheaper one shows; and a same-price pair where the older sale wins.
    await _sale(db, ids["TEA"], price=900)
    cheaper = await _sale(db, ids["TEA"], price=700, stock=4, sold=1)
    ids["TEA sale"] = cheaper
    first = await _sale(db, ids["CUP"], price=500)
    await _sale(db, ids["CUP"], price=500)
    ids["CUP sale"] = first
    # POT: sold out, ended, live but still in tier early access (public start to come), scheduled: none shows.
    await _sale(db, ids["POT"], price=100, stock=3, sold=3)
    await _sale(db, ids["POT"], price=100, starts=timedelta(hours=-2), ends=timedelta(hours=-1))
    await _sale(db, ids["POT"], price=100, starts=timedelta(hours=1), ends=timedelta(hours=2))
    scheduled = await _sale(db, ids["POT"], price=100)
    async with db.tx() as session:
        await session.execute(update(FlashSale).where(FlashSale.id == scheduled).values(status="scheduled"))
    await cart.add_to_cart(db, 1, ids["TEA"], 3)
    await cart.add_to_cart(db, 2, ids["POT"], 1)
    await wishlist.add(db, 1, ids["POT"])
    await wishlist.add(db, 2, ids["TEA"])
    # Reviews: TEA 5 and 4 published (4.5) and a held 1 that does not count; POT only a held one.
    _, lines = await bought(db, 1, ["TEA", "POT"], status="delivered")
    _, more = await bought(db, 2, ["TEA"], status="delivered")
    _, third = await bought(db, 3, ["TEA"], status="delivered")
    await reviews.submit(db, 1, lines[0], 5)
    await reviews.submit(db, 2, more[0], 4)
    for user, line in ((1, lines[1]), (3, third[0])):
        held = await reviews.submit(db, user, line, 1)
        async with db.tx() as session:
            await session.execute(update(Review).where(Review.id == held.review_id).values(status="held"))
    return ids


async def test_facts_match_the_owning_modules_one_by_one(any_db: Database) -> None:
    ids = await _shop(any_db)
    products = [ids[sku] for sku in ("TEA", "POT", "CUP", "BAG", "JAR")]
    live = await flashsale.live_prices(any_db, products)
    rated = await reviews.ratings(any_db, products)
    for pid in products:
        for user in (1, 2, None):
            facts = await product_card.card_facts(any_db, pid, user)
            assert facts is not None and facts.product.id == pid
            assert facts.flash == live.get(pid), pid
            assert facts.rating == rated.get(pid), pid
            if user is None:
                assert (facts.in_cart, facts.wished) == (0, False)
            else:
                assert facts.in_cart == await cart.quantity_in_cart(any_db, user, pid)
                assert facts.wished == await wishlist.contains(any_db, user, pid)
    # and the values themselves, so a rule broken in both places is caught too
    tea = await product_card.card_facts(any_db, ids["TEA"], 1)
    assert tea is not None and tea.flash == flashsale.LivePrice(ids["TEA sale"], 700, 3)
    assert (tea.in_cart, tea.wished) == (3, False) and tea.rating == reviews.Rating(4.5, 2)
    pot = await product_card.card_facts(any_db, ids["POT"], 1)
    assert pot is not None and (pot.flash, pot.rating, pot.in_cart, pot.wished) == (None, None, 0, True)
    cup = await product_card.card_facts(any_db, ids["CUP"], 2)
    assert cup is not None and cup.flash is not None and cup.flash.sale_id == ids["CUP sale"]
    assert await product_card.card_facts(any_db, max(products) + 1000, 1) is None
