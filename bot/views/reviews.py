"""Review views: the rating line on a card, the paged reviews of a product, the star picker. Pure."""

from __future__ import annotations

import html
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.catalog import ProductCB
from bot.callbacks.social import ReviewCB
from bot.context import AppContext
from bot.i18n import t, t_plain
from bot.outbox import Outgoing
from bot.views.catalog import Screen, clip
from store.catalog import ProductView
from store.social.reviews import PHOTO_REASON, Rating, ReviewPage, ReviewView

REVIEW_TEXT_MAX = 300


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def rating_line(lang: str, rating: Rating | None) -> str:
    return t(lang, "reviews.rating_line", average=f"{rating.average:.1f}", count=rating.count) if rating else ""


def reviews_button(lang: str, product_id: int, rating: Rating | None) -> list[InlineKeyboardButton]:
    if rating is None:
        return []
    return [_button(t_plain(lang, "reviews.button", count=rating.count), ReviewCB(a="list", p=product_id).pack())]


def stars(rating: int) -> str:
    return "★" * rating + "☆" * (5 - rating)


def reviews_page(
    lang: str, product: ProductView, page: ReviewPage, rating: Rating | None, own: int | None = None
) -> Screen:
    """`own`: the viewer's review of this product, which they may delete from here."""
    title = product.title(lang)
    if not page.items:
        text = t(lang, "reviews.empty", title=title)
    else:
        head = t(
            lang,
            "reviews.title",
            title=title,
            average=f"{rating.average:.1f}" if rating else "-",
            count=page.total,
            page=page.page + 1,
            pages=page.pages,
        )
        lines = [_review_line(item) for item in page.items]
        text = head + "\n\n" + "\n\n".join(lines)
    rows: list[list[InlineKeyboardButton]] = []
    photos = [
        _button(t_plain(lang, "reviews.photo_button", n=number), ReviewCB(a="photo", p=product.id, r=item.id).pack())
        for number, item in enumerate(page.items, start=1)
        if item.has_photo
    ]
    if photos:
        rows.append(photos)
    nav = []
    if page.page > 0:
        nav.append(_button(t(lang, "catalog.prev"), ReviewCB(a="list", p=product.id, n=page.page - 1).pack()))
    if page.page + 1 < page.pages:
        nav.append(_button(t(lang, "catalog.next"), ReviewCB(a="list", p=product.id, n=page.page + 1).pack()))
    if nav:
        rows.append(nav)
    if own is not None:
        rows.append([_button(t(lang, "reviews.delete"), ReviewCB(a="del", p=product.id, r=own).pack())])
    rows.append([_button(t(lang, "reviews.back"), ProductCB(a="open", p=product.id, o="x").pack())])
    return Screen(text, InlineKeyboardMarkup(inline_keyboard=rows))


def star_picker(lang: str, line_id: int, title: str) -> Screen:
    row = [_button("⭐" * n, ReviewCB(a="rate", l=line_id, s=n).pack()) for n in range(1, 6)]
    return Screen(t(lang, "reviews.pick", title=title), InlineKeyboardMarkup(inline_keyboard=[row[:3], row[3:]]))


def rated(lang: str, text: str, line_id: int, rating: int) -> Screen:
    """After the stars: the thanks, and the way to add words or a photo."""
    words = _button(t(lang, "reviews.words"), ReviewCB(a="words", l=line_id, s=rating).pack())
    return Screen(f"{text}\n{stars(rating)}", InlineKeyboardMarkup(inline_keyboard=[[words]]))


def words_prompt(lang: str, title: str, line_id: int) -> Screen:
    skip = _button(t(lang, "reviews.words_skip"), ReviewCB(a="skip", l=line_id).pack())
    return Screen(t(lang, "reviews.words_ask", title=title), InlineKeyboardMarkup(inline_keyboard=[[skip]]))


def photo_caption(review: ReviewView) -> str:
    return f"{stars(review.rating)} {html.escape(clip(review.text or '', REVIEW_TEXT_MAX))}".rstrip()


def _review_line(review: ReviewView) -> str:
    mark = " 📷" if review.has_photo else ""
    return f"{stars(review.rating)}{mark} {html.escape(clip(review.text or '', REVIEW_TEXT_MAX))}".rstrip()


def render_ask(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    rows = [
        [
            _button(
                t_plain(lang, "reviews.rate_line", title=clip(title_zh if lang == "zh" and title_zh else title_en)),
                ReviewCB(a="ask", l=line_id).pack(),
            )
        ]
        for line_id, title_en, title_zh in params["lines"]
    ]
    return Outgoing(
        text=t(lang, "reviews.ask", order_id=params["order_id"]),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


def _reason(lang: str, reason: str | None) -> str:
    return t_plain(lang, "moderation.reason_photo") if reason == PHOTO_REASON else reason or ""


def moderation(lang: str, review: ReviewView | None, waiting: int) -> Screen:
    """The first held review with Publish / Hide, and the way back to /admin."""
    back = [_button(t(lang, "admin.back"), AdminMenuCB(section="home").pack())]
    if review is None:
        return Screen(t(lang, "moderation.empty"), InlineKeyboardMarkup(inline_keyboard=[back]))
    text = t(
        lang,
        "moderation.title",
        count=waiting,
        stars=stars(review.rating),
        text=clip(review.text or "", REVIEW_TEXT_MAX),
        reason=_reason(lang, review.hold_reason),
        user_id=review.user_id,
    )
    actions = [
        _button(t(lang, "moderation.publish"), ReviewCB(a="pub", r=review.id).pack()),
        _button(t(lang, "moderation.hide"), ReviewCB(a="hide", r=review.id).pack()),
    ]
    rows = [actions, back]
    if review.has_photo:
        rows.insert(0, [_button(t(lang, "moderation.photo"), ReviewCB(a="photo", r=review.id).pack())])
    return Screen(text, InlineKeyboardMarkup(inline_keyboard=rows))
