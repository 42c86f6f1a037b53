"""Reviews in the store: only buyers of delivered lines, one review per line, points once per line (also under
concurrency, on SQLite and PostgreSQL), moderation holds links and spam, ratings, pages, /forgetme."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from store import privacy
from store.db import Database
from store.errors import Conflict, Forbidden
from store.growth import points
from store.models.social import Review
from store.social import reviews
from tests.social.helpers import add_products, bought, make_user, product, product_id


async def setup(db: Database, *, status: str = "delivered") -> list[int]:
    await add_products(db, product("TEA"), product("POT"))
    await make_user(db, 1)
    await make_user(db, 2)
    _, lines = await bought(db, 1, ["TEA", "POT"], status=status)
    return lines


async def test_only_the_buyer_of_a_delivered_line_reviews_it(db: Database) -> None:
    tea_line, _ = await setup(db)
    with pytest.raises(Forbidden):
        await reviews.submit(db, 2, tea_line, 5, "never bought it")
    with pytest.raises(Conflict):
        await reviews.submit(db, 1, tea_line, 0)
    _, (paid_line,) = await bought(db, 1, ["TEA"], status="paid")
    with pytest.raises(Conflict):
        await reviews.submit(db, 1, paid_line, 5)  # not delivered yet
    assert await points.balance(db, 2) == 0 and await points.balance(db, 1) == 0


async def test_second_review_of_a_line_edits_and_earns_nothing(db: Database) -> None:
    tea_line, pot_line = await setup(db)
    first = await reviews.submit(db, 1, tea_line, 4, "Good tea")
    assert first.created and first.points == 10 and first.status == reviews.PUBLISHED
    second = await reviews.submit(db, 1, tea_line, 2, "Actually stale")
    assert not second.created and second.points == 0 and second.review_id == first.review_id
    other = await reviews.submit(db, 1, pot_line, 5)
    assert other.points == 10
    assert await points.balance(db, 1) == 20
    tea = await product_id(db, "TEA")
    assert (await reviews.ratings(db, [tea]))[tea] == reviews.Rating(2.0, 1)
    # Delete and review again: the line already earned its points.
    assert await reviews.remove(db, 1, first.review_id)
    again = await reviews.submit(db, 1, tea_line, 5)
    assert again.created and again.points == 0
    assert await points.balance(db, 1) == 20
    assert not await reviews.remove(db, 2, again.review_id), "only the author deletes"


async def test_links_and_spam_are_held_until_an_admin_publishes(db: Database) -> None:
    tea_line, pot_line = await setup(db)
    held = await reviews.submit(db, 1, tea_line, 5, "cheap tea at https://spam.example")
    assert held.status == reviews.HELD
    shouty = await reviews.submit(db, 1, pot_line, 5, "BUYYYYYYYYYYYYYY NOWWWWWWW")
    assert shouty.status == reviews.HELD
    tea = await product_id(db, "TEA")
    assert await reviews.ratings(db, [tea]) == {}, "held reviews do not count"
    assert [r.id for r in await reviews.held(db)] == [held.review_id, shouty.review_id]
    assert await reviews.moderate(db, held.review_id, reviews.PUBLISHED)
    assert (await reviews.ratings(db, [tea]))[tea].count == 1
    assert await reviews.moderate(db, held.review_id, reviews.HIDDEN)
    assert (await reviews.page(db, tea)).total == 0
    assert reviews.hold_reason("Lovely, fresh and fragrant.") is None


async def test_pages_newest_first(db: Database) -> None:
    await add_products(db, product("TEA"))
    lines = []
    for user in range(1, 8):
        await make_user(db, user)
        _, (line,) = await bought(db, user, ["TEA"], status="delivered")
        lines.append((user, line))
    for user, line in lines:
        await reviews.submit(db, user, line, 1 + user % 5, f"review by {user}")
    tea = await product_id(db, "TEA")
    first = await reviews.page(db, tea, 0, size=5)
    assert first.total == 7 and first.pages == 2 and first.items[0].text == "review by 7"
    assert [r.text for r in (await reviews.page(db, tea, 1, size=5)).items] == ["review by 2", "review by 1"]


async def test_forgetme_removes_words_and_photos_keeps_ratings(db: Database) -> None:
    tea_line, _ = await setup(db)
    await reviews.submit(db, 1, tea_line, 4, "My words", photo_file_id="PHOTO")
    await privacy.forget_user(db, 1)
    async with db.read() as session:
        row = (await session.scalars(select(Review))).one()
    assert row.text is None and row.photo_file_id is None and row.rating == 4


async def test_concurrent_reviews_of_one_line_award_points_once(any_db: Database) -> None:
    tea_line, _ = await setup(any_db)
    results = await asyncio.gather(
        *(reviews.submit(any_db, 1, tea_line, 1 + n % 5, f"take {n}") for n in range(40)), return_exceptions=True
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    assert sum(r.points for r in results if isinstance(r, reviews.Submitted)) == 10
    assert sum(1 for r in results if isinstance(r, reviews.Submitted) and r.created) == 1
    assert await points.balance(any_db, 1) == 10
    assert await points.ledger_sum(any_db, 1) == 10
    async with any_db.read() as session:
        assert len((await session.scalars(select(Review))).all()) == 1


async def test_words_and_photo_come_after_the_stars_and_a_new_rating_keeps_them(db: Database) -> None:
    tea_line, pot_line = await setup(db)
    with pytest.raises(reviews.NotFound):
        await reviews.describe(db, 1, tea_line, "lovely", None)  # no stars yet
    first = await reviews.submit(db, 1, tea_line, 4)
    with pytest.raises(Conflict):
        await reviews.describe(db, 1, tea_line, "   ", None)
    with pytest.raises(Forbidden):
        await reviews.describe(db, 2, tea_line, "not mine", None)
    worded = await reviews.describe(db, 1, tea_line, "Smooth and earthy", None)
    assert worded.review_id == first.review_id and worded.status == reviews.PUBLISHED and worded.points == 0
    again = await reviews.submit(db, 1, tea_line, 5)
    tea = await product_id(db, "TEA")
    (shown,) = (await reviews.page(db, tea)).items
    assert shown.rating == 5 and shown.text == "Smooth and earthy", "a new rating keeps the words"
    assert again.points == 0

    # A photo waits for an admin (words can be screened, pictures cannot); the rating counts only after.
    await reviews.submit(db, 1, pot_line, 5)
    held = await reviews.describe(db, 1, pot_line, None, "photo-file-1")
    assert held.status == reviews.HELD
    pot = await product_id(db, "POT")
    assert await reviews.ratings(db, [pot]) == {}
    with pytest.raises(reviews.NotFound):
        await reviews.visible_photo(db, held.review_id)  # a shopper cannot see an unchecked photo
    assert (await reviews.visible_photo(db, held.review_id, staff=True)).photo_file_id == "photo-file-1"
    # Nor do new words or stars publish the unchecked photo.
    assert (await reviews.describe(db, 1, pot_line, "Nice pot", None)).status == reviews.HELD
    assert (await reviews.submit(db, 1, pot_line, 4)).status == reviews.HELD
    assert await reviews.moderate(db, held.review_id, reviews.PUBLISHED)
    assert (await reviews.visible_photo(db, held.review_id)).text == "Nice pot"
    # A re-rating of a review with a link does not sneak it out of the queue either.
    spam_line = tea_line
    await reviews.describe(db, 1, spam_line, "buy at https://spam.example", None)
    assert (await reviews.submit(db, 1, spam_line, 5)).status == reviews.HELD
