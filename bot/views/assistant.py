"""Did-you-mean buttons: one per plausible intent with a short human title, then "Talk to a person",
then the usual search button (bot/views/support.answer_markup); the answer to "is durian in stock?"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks.catalog import ProductCB
from bot.callbacks.nlu import HUMAN_BUTTON, DidYouMeanCB
from bot.i18n import t, t_plain
from bot.views.catalog import notify_me_button
from bot.views.support import answer_markup, short

if TYPE_CHECKING:
    from store.search import ResultItem

OPEN_TITLE_MAX = 28  # a product title on an «Open» button


def intent_title(lang: str, intent: str) -> str:
    return t_plain(lang, f"nlu.intent.{intent}")


def did_you_mean_markup(
    lang: str, question_id: int, intents: Sequence[str], text: str, turn_id: int
) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=intent_title(lang, intent), callback_data=DidYouMeanCB(q=question_id, n=i).pack())]
        for i, intent in enumerate(intents)
    ]
    human = DidYouMeanCB(q=question_id, n=HUMAN_BUTTON).pack()
    rows.append([InlineKeyboardButton(text=t_plain(lang, "nlu.human"), callback_data=human)])
    return answer_markup(lang, text, turn_id, rows)


def _open_button(lang: str, item: ResultItem) -> InlineKeyboardButton:
    """The product's card, as a new message under the answer (the catalog's own "open" button)."""
    label = t_plain(lang, "support.stock.open", title=short(item.title(lang), OPEN_TITLE_MAX))
    return InlineKeyboardButton(text=label, callback_data=ProductCB(a="open", p=item.id, o="n").pack())


def _status_line(lang: str, item: ResultItem, few: int) -> str:
    title = item.title(lang)
    if item.stock <= 0:
        return t(lang, "support.stock.line_sold_out", title=title)
    if item.stock < few:
        return t(lang, "support.stock.line_few_left", title=title, count=item.stock)
    return t(lang, "support.stock.line_in_stock", title=title)


def stock_answer(
    lang: str, words: str, found: Sequence[ResultItem], *, few: int, watching: bool
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    """ "is durian in stock?": one product's live stock with «Open» (and «Notify me» when it is sold out), the top
    few matches with theirs, or that the shop does not sell `words` (the answer's search button stays)."""
    if not found:
        return t(lang, "support.stock.unknown", name=words), []
    if len(found) > 1:
        lines = [t(lang, "support.stock.several", name=words), *(_status_line(lang, item, few) for item in found)]
        return "\n".join(lines), [[_open_button(lang, item)] for item in found]
    item = found[0]
    title = item.title(lang)
    rows = [[_open_button(lang, item)]]
    if item.stock <= 0:
        text = t(lang, "support.stock.sold_out", title=title)
        if not watching:
            text += "\n" + t(lang, "support.stock.notify_offer")
        rows.insert(0, [notify_me_button(lang, item.id, watching=watching)])
    elif item.stock < few:
        text = t(lang, "support.stock.few_left", title=title, count=item.stock)
    else:
        text = t(lang, "support.stock.in_stock", title=title)
    return text, rows
