"""The recommender's suggestions carry their live flash prices, on SQLite and PostgreSQL: a suggested product on a
sale open to everyone with units left comes with the sale's price, read in the same statement as the suggestions
(a product card's "You may also like" costs no extra statement); a product whose stock the sale took is still
suggested while the sale has units left; a sale not started yet, or with every unit won, leaves the regular price."""

from __future__ import annotations

from sqlalchemy import update

from store.db import Database
from store.models.flashsale import FlashSale
from store.recommend.service import Recommender
from tests.flashsale.helpers import live_sale, scheduled_sale
from tests.social.helpers import add_products, bought, make_user, product, product_id, statements

SKUS = ("TEA", "POT", "CUP", "SOAP", "MOP", "GONE")


async def test_suggestions_carry_their_live_flash_prices_from_the_same_read(any_db: Database) -> None:
    db = any_db
    await add_products(
        db,
        product("TEA", price=5000, stock=10),
        product("POT", price=9900, stock=10),
        product("CUP", price=3000, stock=10),
        product("SOAP", price=1500, stock=10),
        product("MOP", price=2500, stock=10),
        product("GONE", price=800, stock=2),
    )
    for user in range(1, 7):
        await make_user(db, user)
        await bought(db, user, list(SKUS))
    ids = {sku: await product_id(db, sku) for sku in SKUS}

    pot = await live_sale(db, "POT", stock=10, price=1990)  # all ten: the product's own stock is 0
    cup = await live_sale(db, "CUP", stock=4, price=990)  # six left in stock, four at the flash price
    soap = await live_sale(db, "SOAP", stock=2, price=500)
    gone = await live_sale(db, "GONE", stock=2, price=100)  # all its stock, and every unit won: nothing to buy
    async with db.tx() as session:
        await session.execute(
            update(FlashSale).where(FlashSale.id.in_([soap.id, gone.id])).values(sold=FlashSale.stock)
        )
    await scheduled_sale(db, "MOP", stock=3, price=900)  # not started yet

    rec = Recommender(db)
    await rec.refresh()
    with statements(db) as seen:
        similar = await rec.similar(None, ids["TEA"], 5)
    assert len(seen) == 1, seen  # the candidates and their prices: one statement
    # POT's stock is all in its live sale: suggested; GONE's sale has every unit won: nothing left to buy.
    assert {item.sku for item in similar} == {"POT", "CUP", "SOAP", "MOP"}, [item.sku for item in similar]
    assert set(similar.flash) == {ids["POT"], ids["CUP"]}, similar.flash
    assert (similar.flash[ids["POT"]].sale_id, similar.flash[ids["POT"]].price) == (pot.id, 1990)
    assert (similar.flash[ids["CUP"]].price, similar.flash[ids["CUP"]].remaining) == (990, 4)
    assert cup.id == similar.flash[ids["CUP"]].sale_id
    assert next(item for item in similar if item.sku == "POT").stock == 0

    await make_user(db, 9)
    with statements(db) as seen:
        mine = await rec.for_user(9, 3, seeds=[ids["TEA"]])
    assert len(seen) == 1, seen
    assert len(mine) == 3 and set(mine.flash) == {item.id for item in mine} & {ids["POT"], ids["CUP"]}

    with statements(db) as seen:
        popular = await rec.for_group(-100, 5)  # a new group: the shop's best-sellers
    assert len(seen) == 1, seen
    assert {item.sku for item in popular} == {"TEA", "POT", "CUP", "SOAP", "MOP"}
    assert set(popular.flash) == {ids["POT"], ids["CUP"]}

    async with db.tx() as session:  # the pots all won: none left anywhere, so no longer suggested
        await session.execute(update(FlashSale).where(FlashSale.id == pot.id).values(sold=FlashSale.stock))
    after = await rec.similar(None, ids["TEA"], 5)
    assert "POT" not in {item.sku for item in after} and set(after.flash) == {ids["CUP"]}
