"""Did-you-mean buttons: one per plausible intent with a short human title, then "Talk to a person",
then the usual search button (bot/views/support.answer_markup)."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks.nlu import HUMAN_BUTTON, DidYouMeanCB
from bot.i18n import t_plain
from bot.views.support import answer_markup


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
