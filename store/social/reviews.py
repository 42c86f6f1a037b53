"""Product reviews: a 1-5 rating with optional words and photo, one per order line, by its buyer.

- Only the buyer of a delivered (or collected) order line may review it; one review per line, and a second
  submission for the same line edits the first.
- Points are awarded once per order line through the points ledger (key `review:<order line>`), inside the
  transaction that writes the review: a double tap, a second review, a concurrent submission or an edit
  earns nothing more. Deleting a review keeps the award (the ledger is append-only; farming is prevented by
  the key, which a new review of the same line would reuse).
- Text with a link or the marks of spam is held for an admin instead of being published.
- `/forgetme` (store/privacy.py) removes the words and photos of a shopper's reviews; the ratings stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ScalarSelect, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store import notify, order_hooks
from store.db import Database, rowcount
from store.errors import Conflict, Forbidden, NotFound
from store.growth import points
from store.models import Order, OrderItem, utcnow
from store.models.social import Review
from store.rules import policy

PUBLISHED = "published"
HELD = "held"
HIDDEN = "hidden"
# A photo waits for an admin's look before it is shown (pictures cannot be screened like words).
PHOTO_REASON = "photo"
REVIEWABLE_STATUSES = ("delivered",)  # a pickup order is "delivered" when it is collected
TEXT_MAX = 1000
PAGE_SIZE = 5
ASK_TEMPLATE = "reviews.ask_card"
ASK_AFTER = timedelta(days=1)  # the next day: the shopper has had time to try what they bought

_LINK = re.compile(r"(https?://|www\.|t\.me/|@\w{4,}|\b[\w-]+\.(com|net|org|ru|cn|io|xyz|top|me)\b)", re.IGNORECASE)
_REPEAT = re.compile(r"(.)\1{9,}")


@dataclass(frozen=True)
class Submitted:
    review_id: int
    created: bool  # False: an edit of the existing review of this line
    points: int  # awarded by this submission (0 on an edit or a repeat)
    status: str


@dataclass(frozen=True)
class ReviewView:
    id: int
    user_id: int
    rating: int
    text: str | None
    has_photo: bool
    photo_file_id: str | None
    created_at: datetime
    hold_reason: str | None = None


@dataclass(frozen=True)
class ReviewPage:
    items: list[ReviewView]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class Rating:
    average: float
    count: int


def hold_reason(text: str | None) -> str | None:
    """Why a text must wait for an admin, or None to publish it."""
    if not text:
        return None
    if _LINK.search(text):
        return "link"
    if _REPEAT.search(text) or (len(text) > 20 and sum(ch.isupper() for ch in text) > 0.7 * len(text)):
        return "spam"
    return None


def _words(text: str | None) -> str | None:
    return (text or "").strip()[:TEXT_MAX] or None


async def _own_line(session: AsyncSession, user_id: int, order_item_id: int) -> OrderItem:
    row = (
        await session.execute(
            select(OrderItem, Order.user_id, Order.status)
            .join(Order, Order.id == OrderItem.order_id)
            .where(OrderItem.id == order_item_id)
        )
    ).first()
    if row is None or row.user_id != user_id:
        raise Forbidden("review_not_buyer")
    if row.status not in REVIEWABLE_STATUSES:
        raise Conflict("review_not_delivered")
    line: OrderItem = row[0]
    return line


async def submit(
    db: Database,
    user_id: int,
    order_item_id: int,
    rating: int,
    text: str | None = None,
    photo_file_id: str | None = None,
) -> Submitted:
    """Rate a line (stars, and words or a photo when given at once). Rating again edits the review: its words
    and photo stay, and a review waiting for an admin or hidden by one stays so."""
    if not 1 <= rating <= 5:
        raise Conflict("review_bad_rating")
    text = _words(text)
    reason = hold_reason(text) or (PHOTO_REASON if photo_file_id else None)
    async with db.tx() as session:
        line = await _own_line(session, user_id, order_item_id)
        existing = await session.scalar(select(Review).where(Review.order_item_id == order_item_id))
        created = False
        if existing is None:
            review = Review(
                user_id=user_id,
                product_id=line.product_id,
                order_item_id=order_item_id,
                rating=rating,
                text=text,
                photo_file_id=photo_file_id,
                status=HELD if reason else PUBLISHED,
                hold_reason=reason,
            )
            try:
                async with session.begin_nested():
                    session.add(review)
                    await session.flush()
                created = True
            except IntegrityError:  # the same line reviewed concurrently: this one becomes an edit
                existing = await session.scalar(select(Review).where(Review.order_item_id == order_item_id))
                if existing is None:
                    raise
        if existing is not None:
            review = existing
            review.rating = rating
            if text is not None or photo_file_id is not None:
                _change_words(review, text, photo_file_id)
            review.updated_at = utcnow()
            await session.flush()
        awarded = 0
        worth = policy(session).review_points
        if worth and await points.award(session, user_id, worth, "review", f"review:{order_item_id}"):
            awarded = worth
        return Submitted(review.id, created, awarded, review.status)


def _change_words(review: Review, text: str | None, photo_file_id: str | None) -> None:
    """New words and/or a new photo on a review. The new content is judged afresh; a photo no admin has
    looked at yet keeps the review held; an admin's hide stands until an admin changes it."""
    if text is not None:
        review.text = text
    unchecked_photo = review.status == HELD and review.hold_reason == PHOTO_REASON and review.photo_file_id
    if photo_file_id is not None:
        review.photo_file_id = photo_file_id
    reason = hold_reason(review.text) or (PHOTO_REASON if photo_file_id or unchecked_photo else None)
    review.hold_reason = reason
    if review.status != HIDDEN:
        review.status = HELD if reason else PUBLISHED


async def describe(
    db: Database, user_id: int, order_item_id: int, text: str | None, photo_file_id: str | None
) -> Submitted:
    """The buyer adds words and/or a photo to the rating they gave this line (their stars come first)."""
    text = _words(text)
    if text is None and photo_file_id is None:
        raise Conflict("review_nothing")
    async with db.tx() as session:
        await _own_line(session, user_id, order_item_id)
        review = await session.scalar(select(Review).where(Review.order_item_id == order_item_id))
        if review is None:
            raise NotFound("review_not_found")
        _change_words(review, text, photo_file_id)
        review.updated_at = utcnow()
        await session.flush()
        return Submitted(review.id, False, 0, review.status)


async def visible_photo(db: Database, review_id: int, *, staff: bool = False) -> ReviewView:
    """A review whose photo the viewer may see: anyone for a published review, staff for any."""
    async with db.read() as session:
        row = await session.get(Review, review_id)
        if row is None or row.photo_file_id is None or (row.status != PUBLISHED and not staff):
            raise NotFound("review_not_found")
        return _view(row)


async def remove(db: Database, user_id: int, review_id: int) -> bool:
    """The author deletes their review (points stay: see the module's note)."""
    async with db.tx() as session:
        result = await session.execute(delete(Review).where(Review.id == review_id, Review.user_id == user_id))
        return bool(rowcount(result))


async def own_review(db: Database, user_id: int, product_id: int) -> int | None:
    """The id of the viewer's latest review of the product (to offer its deletion), if any."""
    async with db.read() as session:
        return await session.scalar(
            select(Review.id)
            .where(Review.user_id == user_id, Review.product_id == product_id)
            .order_by(Review.id.desc())
            .limit(1)
        )


async def moderate(db: Database, review_id: int, status: str) -> bool:
    if status not in (PUBLISHED, HIDDEN):
        raise Conflict("review_bad_status")
    async with db.tx() as session:
        result = await session.execute(
            update(Review).where(Review.id == review_id, Review.status != status).values(status=status)
        )
        return bool(rowcount(result))


async def held(db: Database, limit: int = 20) -> list[ReviewView]:
    async with db.read() as session:
        rows = await session.scalars(select(Review).where(Review.status == HELD).order_by(Review.id).limit(limit))
        return [_view(row) for row in rows]


async def held_count(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).where(Review.status == HELD)) or 0)


def _view(row: Review) -> ReviewView:
    return ReviewView(
        row.id,
        row.user_id,
        row.rating,
        row.text,
        bool(row.photo_file_id),
        row.photo_file_id,
        row.created_at,
        row.hold_reason,
    )


# Built once: cards and search pages ask it on every view.
_RATINGS = (
    select(Review.product_id, func.avg(Review.rating), func.count())
    .where(Review.product_id.in_(bindparam("ids", expanding=True)), Review.status == PUBLISHED)
    .group_by(Review.product_id)
)


def rating_selects(product_id: Any) -> tuple[ScalarSelect[Any], ScalarSelect[int]]:
    """One product's published reviews as a card's scalar subqueries: (average, count); read with `rating_of`."""
    published = (Review.product_id == product_id, Review.status == PUBLISHED)
    return (
        select(func.avg(Review.rating)).where(*published).scalar_subquery(),
        select(func.count()).select_from(Review).where(*published).scalar_subquery(),
    )


def rating_of(average: Any, count: Any) -> Rating | None:
    """The rating shown for an average and count of published reviews (None: no review yet)."""
    return Rating(round(float(average), 1), int(count)) if count and average is not None else None


async def ratings(db: Database, product_ids: list[int]) -> dict[int, Rating]:
    """Average and count of published reviews per product (cards, search sorting)."""
    if not product_ids:
        return {}
    async with db.read() as session:
        rows = await session.execute(_RATINGS, {"ids": product_ids})
        found = {pid: rating_of(avg, count) for pid, avg, count in rows.all()}
        return {pid: rating for pid, rating in found.items() if rating is not None}


async def page(db: Database, product_id: int, number: int = 0, size: int = PAGE_SIZE) -> ReviewPage:
    async with db.read() as session:
        total = (
            await session.scalar(
                select(func.count()).where(Review.product_id == product_id, Review.status == PUBLISHED)
            )
            or 0
        )
        pages = max(1, -(-total // size))
        number = max(0, min(number, pages - 1))
        rows = await session.scalars(
            select(Review)
            .where(Review.product_id == product_id, Review.status == PUBLISHED)
            .order_by(Review.id.desc())
            .offset(number * size)
            .limit(size)
        )
        return ReviewPage([_view(row) for row in rows], number, pages, total)


async def get(db: Database, review_id: int) -> ReviewView | None:
    async with db.read() as session:
        row = await session.get(Review, review_id)
        if row is None:
            raise NotFound("review_not_found")
        return _view(row)


@dataclass(frozen=True)
class LineInfo:
    id: int
    product_id: int
    title_en: str
    title_zh: str

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" and self.title_zh else self.title_en


async def line_for(db: Database, user_id: int, order_item_id: int) -> LineInfo:
    """The buyer's delivered line to rate (refused for anyone else, or before delivery)."""
    async with db.read() as session:
        line = await _own_line(session, user_id, order_item_id)
        return LineInfo(line.id, line.product_id, line.title_en, line.title_zh)


async def ask_for_reviews(session: AsyncSession, transition: order_hooks.Transition) -> None:
    """Once per order, the next day, paced by the outbox: a button per product to rate it."""
    order = transition.order
    lines = (
        await session.execute(
            select(OrderItem.id, OrderItem.title_en, OrderItem.title_zh).where(OrderItem.order_id == order.id)
        )
    ).all()
    if not lines:
        return
    await notify.enqueue(
        session,
        order.user_id,
        ASK_TEMPLATE,
        user_id=order.user_id,
        dedupe_key=f"review_ask:{order.id}",
        not_before=utcnow() + ASK_AFTER,
        order_id=order.id,
        lines=[[line.id, line.title_en, line.title_zh] for line in lines[:8]],
    )
