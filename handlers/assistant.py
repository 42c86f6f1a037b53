"""Free text in a private chat goes to understanding (this router is registered last).

Routing of one message that no command, button or running dialogue took (FSM state None; a command nobody
knows is answered in any state, so one typed during a dialogue is not met with silence):
1. Bad input gets a clear answer, never silence: an empty message, a very long one (over LONG_TEXT chars),
   text in a language other than English or Chinese, and anything that is not text (stickers, voice,
   photos, files) — each with a "Talk to a human" button. (A shopper with an open ticket never gets here:
   handlers/support.py relays everything they send to the agents.)
2. Text that strongly reads like a product name goes straight to search results. "Strongly" is
   store.search.looks_like_product_query: short, no question mark, every word a product title or tag word
   (small typos allowed) and some product has them all. It runs BEFORE the classifier because the
   classifier is trained on service questions only and can be confidently wrong on a bare product name
   ("green tea" scores as a greeting), while that check is strict enough that questions such as
   "do you have green tea?" still go to the classifier (product_availability) and keep the search button.
3. Otherwise the intent classifier (bot.nlu_service). At or above `nlu.threshold` the intent is answered:
   order-aware intents from the store (track_order; cancel_order, whose «Cancel order #N» and order picker ask
   "Cancel order #N? Yes / No" first, the /orders question and handler; product_availability, "is durian in
   stock?": the named product's live stock with «Open» (and «Notify me» when sold out), a few matches, or "we don't
   sell it"; refund_request: a refund asks which order unless
   the message names one or only one can be refunded; payment_double_charge, "I was charged twice": we will check
   and refund the extra charge, which order is it, never the failed-payment "please try again"), the shopper's own
   points / check-in streak / referrals for the loyalty intents, a ticket for human_agent, and the FAQ text
   with the shop's values for everything else (for "contact", how to reach the shop, with a "Talk to a human"
   button rather than a ticket). Small talk ("how are you", "lol", bot.nlu_scope) gets a
   friendly word about what the bot can do before the classifier is asked.
   Below the threshold: text in another Latin-script language ("bonjour, ça va") is told the bot reads
   English and Chinese; a message the model can read whose best intents are plausible together (config
   `nlu.did_you_mean`) gets "Did you mean…?" with those intents as buttons plus "Talk to a person" (a tap
   answers that intent exactly as above, in the question's language, and keeps a labelled example,
   store.nlu_review). Otherwise the bot asks to rephrase and offers a person; the second miss in a row
   (counted from the stored conversation, store.support) offers the person directly.
Every answer carries a "🔎 Search '<text>'" button, so search is always one tap away. The answer's language
follows the message (Chinese characters -> zh, Latin -> en), falling back to the user's setting.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import nlu_scope, nlu_service, tap_guard
from bot.callbacks.nlu import HUMAN_BUTTON, DidYouMeanCB
from bot.callbacks.support import SupCB
from bot.chat_language import follow_conversation, spoken_language
from bot.context import AppContext
from bot.i18n import Translator, t, t_plain
from bot.middlewares import UserContextMiddleware
from bot.routes import Routes
from bot.support_desk import RELAYED, agent_name, open_ticket_for
from bot.telegram_utils import edit_or_answer
from bot.views import orders as order_views
from bot.views import support as views
from bot.views.assistant import did_you_mean_markup, stock_answer
from bot.views.clock import zoned
from dialogues.nlu import FALLBACK_INTENT, detect_language
from dialogues.nlu.builtin import has_enough_signal
from store import groupbuy, nlu_review, orders, support
from store.models import utcnow
from store.money import Money

if TYPE_CHECKING:
    from store.search import ResultItem

log = logging.getLogger(__name__)
routes = Routes("assistant")
# Free text belongs to a running dialogue when there is one; an unknown command is answered in any state.
routes.message.filter(F.chat.type == "private")

LONG_TEXT = 1000
OFFERED = 3  # "did you mean" buttons at most
# Never offered as a guess: "Talk to a person" is always there, and the fallback is no intent.
NOT_OFFERED = frozenset({"human_agent", FALLBACK_INTENT})
RECENT_ORDER_DAYS = 30
PICKER_SIZE = 5
_LATIN = re.compile(r"[A-Za-z]")
# An order number in a refund request: "order 12", "order no. 12", "#12", "订单12", "订单号：12", "12号订单".
_ORDER_NUMBER = re.compile(
    r"(?:\border\s*(?:number|no\.?|nr\.?)?|订单(?:号|编号)?|单号|#)\s*[#:：]?\s*(\d{1,9})|(\d{1,9})\s*号?\s*订单",
    re.IGNORECASE,
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# "is durian in stock?": the words around the product's name (English words; Chinese at either end of a run).
AVAILABILITY_TEXT_MAX = 200
AVAILABILITY_SHOWN = 3  # several matches: the top few with their stock
FEW_LEFT = 10  # "only 3 left" below this many
_AVAILABILITY_TOKEN = re.compile(r"[A-Za-z][A-Za-z\-]*|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_EN_FILLER = frozenset(
    {
        *("a", "an", "the", "is", "are", "was", "were", "be", "been", "do", "does", "did", "you", "u", "ya", "your"),
        *("we", "i", "me", "my", "have", "has", "had", "got", "get", "any", "some", "still", "in", "stock"),
        *("instock", "stocked", "available", "availability", "sell", "sells", "selling", "sold", "out", "of"),
        *("left", "there", "here", "can", "could", "would", "will", "buy", "carry", "currently", "now", "today"),
        *("tomorrow", "please", "pls", "plz", "hi", "hello", "hey", "back", "anymore", "more", "again", "it", "its"),
        *("them", "they", "this", "that", "these", "those", "item", "items", "product", "products", "thing"),
        *("things", "stuff", "anything", "something", "everything", "what", "which", "when", "how", "many", "much"),
        *("restock", "restocked", "restocking", "come", "coming", "s", "right", "yet", "for", "sale", "to", "on"),
        *("at", "shop", "store", "whether", "if", "know", "want", "looking", "need", "and", "or", "with", "not"),
        *("t", "don", "doesn", "isn", "aren", "ok", "okay", "also", "too", "by", "able", "find", "again", "ever"),
    }
)
_ZH_LEAD = re.compile(
    r"^(?:请问|你好|您好|你们|您们|你|您|这里|店里|现在|目前|还|有没有|有没|有卖|有(?!机)|在卖|卖|能买到|可以买到|买得到)+"
)
_ZH_TAIL = re.compile(
    r"(?:现在|目前|还有|还剩|有没有|有货|现货|没货|缺货|库存|卖完|售罄|断货|补货|到货|什么时候|多少|几个|几件|没有|在卖"
    r"|有|没|货|卖|吗|呢|啊|吧|么|嘛|了|的|呀|不|还)+$"
)


def reply_language(text: str, lang: str) -> str:
    if detect_language(text) == "zh":
        return "zh"
    return "en" if _LATIN.search(text) else lang


def foreign_script(text: str) -> bool:
    """Mostly letters of another script (Cyrillic, Arabic, Thai...): neither English nor Chinese."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 3:
        return False
    ours = sum(1 for c in letters if _LATIN.match(c) or _CJK.match(c))
    return ours * 2 < len(letters)


async def _send(
    message: Message, ctx: AppContext, text: str, markup: InlineKeyboardMarkup | None, *, intent: str | None
) -> None:
    await message.answer(text, reply_markup=markup)
    if message.from_user is not None:
        await _record_bot_turn(ctx, message.from_user.id, text, intent)


async def _record_bot_turn(ctx: AppContext, user_id: int, text: str, intent: str | None) -> None:
    # The card escapes what it shows, so the transcript keeps plain text.
    await support.record_turn(ctx.db, user_id, "bot", html.unescape(text), intent)


def _human_markup(lang: str, text: str | None = None, turn_id: int | None = None) -> InlineKeyboardMarkup:
    return views.answer_markup(lang, text, turn_id, [[views.human_button(lang)]])


@routes.message(F.text.startswith("/"))
async def unknown_command(message: Message, _: Translator) -> None:
    await message.answer(_("support.assistant.unknown_command"))


@routes.message(StateFilter(None), F.text)
async def free_text(
    message: Message, ctx: AppContext, lang: str, user_context: UserContextMiddleware | None = None
) -> None:
    assert message.text is not None
    await _answer_text(message, ctx, lang, message.text.strip(), user_context)


async def _answer_text(
    message: Message, ctx: AppContext, lang: str, text: str, user_context: UserContextMiddleware | None
) -> None:
    """A shopper's words, typed or as the caption of a photo or file."""
    assert message.from_user is not None
    user_id = message.from_user.id
    lang = await follow_conversation(ctx, user_id, text, lang, user_context)
    if not text:
        await message.answer(t(lang, "support.assistant.empty"), reply_markup=_human_markup(lang))
        return
    if len(text) > LONG_TEXT:
        await support.record_turn(ctx.db, user_id, "shopper", text)
        await _send(
            message,
            ctx,
            t(lang, "support.assistant.too_long", length=len(text)),
            _human_markup(lang),
            intent="too_long",
        )
        return
    if foreign_script(text):
        await support.record_turn(ctx.db, user_id, "shopper", text)
        await _send(
            message, ctx, t(lang, "support.assistant.other_language"), _human_markup(lang), intent="other_language"
        )
        return
    # The model reads the message in the language it is written in. When the script says clearly which that is,
    # follow_conversation has already settled the answer's language (a /language choice wins, README); a message
    # too short to tell is answered in the language it looks like.
    text_lang = reply_language(text, lang)
    reply_lang = lang if spoken_language(text) is not None else text_lang
    turn_id = await support.record_turn(ctx.db, user_id, "shopper", text)
    if await _looks_like_product(ctx, text):
        from bot.search_screens import answer_search

        await answer_search(message, ctx, reply_lang, text)
        await support.record_turn(ctx.db, user_id, "bot", f"🔎 {text}", "search")
        return
    if nlu_scope.is_small_talk(text):
        await _send(message, ctx, t(reply_lang, "nlu.smalltalk"), _human_markup(reply_lang), intent="small_talk")
        return
    result = await nlu_service.understand(ctx, text, text_lang)
    if not nlu_service.confident(ctx, result):
        if await _unsure(message, ctx, text, reply_lang, turn_id):
            return
        misses = await support.consecutive_misses(ctx.db, user_id)
        key = "fallback_human" if misses >= 1 else "fallback_rephrase"
        answer = html.escape(nlu_service.faq_answer(ctx.settings, key, reply_lang))
        markup = views.fallback_markup(reply_lang, text, turn_id, human_first=misses >= 1)
        await _send(message, ctx, answer, markup, intent=key)
        return
    await answer_intent(message, ctx, result.intent, reply_lang, text, turn_id)


async def _unsure(message: Message, ctx: AppContext, text: str, lang: str, turn_id: int) -> bool:
    """Below the threshold: another Latin-script language gets told so; plausible intents of a message the
    model can read are offered as buttons. False when neither applies (the caller asks to rephrase)."""
    assert message.from_user is not None
    classifier = await nlu_service.classifier(ctx)
    if not has_enough_signal(text):  # "123", "a": no intent can be read from it
        return False
    if not nlu_scope.familiar(classifier, text):
        if not nlu_scope.foreign_latin(text):
            return False  # gibberish: no guess is worth offering
        markup = _human_markup(lang, text, turn_id)
        await _send(message, ctx, t(lang, "nlu.unfamiliar"), markup, intent="unfamiliar")
        return True
    offered = plausible_intents(ctx, nlu_scope.ranking(classifier, text, OFFERED + len(NOT_OFFERED)))
    if not offered:
        return False
    question_id = await nlu_review.ask(ctx.db, message.from_user.id, text, lang, offered, turn_id)
    markup = did_you_mean_markup(lang, question_id, offered, text, turn_id)
    await _send(message, ctx, t(lang, "nlu.did_you_mean"), markup, intent="did_you_mean")
    return True


def plausible_intents(ctx: AppContext, ranking: list[tuple[str, float]]) -> list[str]:
    """The best OFFERED intents when they are plausible together (config nlu.did_you_mean), else none."""
    rule = ctx.settings.nlu.did_you_mean
    best = [(intent, p) for intent, p in ranking if intent not in NOT_OFFERED and nlu_service.has_response(intent)]
    best = best[:OFFERED]
    if not best or best[0][1] < rule.top1 or sum(p for _, p in best) < rule.top3:
        return []
    return [intent for intent, _ in best]


# Anything a shopper can send that is not text gets a clear answer (never silence).
USER_CONTENT = RELAYED | {"venue", "poll", "dice", "story"}


@routes.message(StateFilter(None), F.content_type.in_(USER_CONTENT))
async def not_text(
    message: Message, ctx: AppContext, lang: str, user_context: UserContextMiddleware | None = None
) -> None:
    """Stickers, voice, photos, files, locations...: the bot reads text only; a person can see the rest. A photo
    or file with a caption ("is this in stock?") is answered by its caption, as if typed."""
    if message.caption and message.caption.strip():
        await _answer_text(message, ctx, lang, message.caption.strip(), user_context)
        return
    key = "support.assistant.empty" if message.text is not None else "support.assistant.not_text"
    await message.answer(t(lang, key), reply_markup=_human_markup(lang))


async def _looks_like_product(ctx: AppContext, text: str) -> bool:
    try:
        from store.search import get_index, looks_like_product_query
    except ImportError:
        return False
    try:
        index = await get_index(ctx.search)
        return looks_like_product_query(index, text)
    except Exception:  # search trouble must not cost the shopper their answer
        log.exception("product-query check failed")
        return False


# --- answering an intent --------------------------------------------------------------------------------


async def answer_intent(message: Message, ctx: AppContext, intent: str, lang: str, text: str, turn_id: int) -> None:
    assert message.from_user is not None
    reply, markup = await compose_answer(ctx, message.from_user.id, intent, lang, text, turn_id)
    await _send(message, ctx, reply, markup, intent=intent)


async def compose_answer(
    ctx: AppContext, user_id: int, intent: str, lang: str, text: str | None, turn_id: int | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The answer to `intent` (text and buttons), whether the classifier was sure or the shopper picked it."""
    if intent == "human_agent":
        return await open_ticket_for(ctx, user_id, lang)
    if intent == "payment_double_charge":
        return await _double_charge(ctx, user_id, lang, text, turn_id)
    if intent == "track_order":
        reply, rows = await _track(ctx, user_id, lang, text)
    elif intent == "cancel_order":
        reply, rows = await _cancel(ctx, user_id, lang)
    elif intent == "product_availability":
        reply, rows = await _availability(ctx, user_id, lang, text)
    elif intent == "refund_request":
        return await _refund(ctx, user_id, lang, text, turn_id)
    elif intent in ("points_question", "checkin_question", "referral_question"):
        reply, rows = await _loyalty(ctx, user_id, intent, lang), []
    elif intent == "group_buy_rules":
        reply, rows = await _group_buys(ctx, user_id, lang), []
    elif intent in ("complaint", "payment_problem", "invoice_request", "contact"):
        # "contact": the shop's phone / email (or that this chat is the way) with a person one tap away; asking how
        # to reach the shop is not asking to be handed over (outside check: "what's your phone number").
        reply, rows = _faq(ctx, intent, lang), [[views.human_button(lang)]]
    else:
        reply, rows = _faq(ctx, intent, lang), []
    return reply, views.answer_markup(lang, text, turn_id, rows)


def _faq(ctx: AppContext, intent: str, lang: str) -> str:
    return html.escape(nlu_service.faq_answer(ctx.settings, intent, lang))


async def _recent(ctx: AppContext, user_id: int) -> list[orders.OrderSummary]:
    return await orders.latest_orders(ctx.db, user_id, PICKER_SIZE)


def _is_recent(order: orders.OrderSummary | support.OrderLine) -> bool:
    return order.created_at >= utcnow() - timedelta(days=RECENT_ORDER_DAYS)


async def order_status(ctx: AppContext, user_id: int, order_id: int, lang: str) -> tuple[str, orders.OrderDetail]:
    detail = await orders.get_order(ctx.db, order_id, user_id)
    text = views.order_status_text(
        lang,
        ctx.settings,
        detail.id,
        detail.status,
        detail.total,
        detail.currency,
        detail.created_at,
        detail.note,
        detail.delivery_method,
    )
    return text, detail


def _line(o: orders.OrderSummary) -> support.OrderLine:
    return support.OrderLine(o.id, o.status, o.total, o.currency, o.created_at, None, o.items_count, o.delivery_method)


async def _track(
    ctx: AppContext, user_id: int, lang: str, text: str | None
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    named = named_order(text)
    problem = ""
    if named is not None:
        # "订单 #11 到哪了": the order the shopper named, not a list to pick it from again (outside tester).
        if await support.order_of(ctx.db, user_id, named) is not None:  # another shopper's is "not found" too
            found, _detail = await order_status(ctx, user_id, named, lang)
            return found, []
        problem = t(lang, "support.refund.unknown_order", order_id=named) + "\n"
    latest = await _recent(ctx, user_id)
    if not latest:
        return problem + t(lang, "support.orders.none"), []
    recent = [o for o in latest if _is_recent(o)]
    if len(recent) > 1 or (problem and recent):
        picker = views.order_picker(lang, [_line(o) for o in recent], "trk")
        return problem + t(lang, "support.orders.pick"), picker
    text, _detail = await order_status(ctx, user_id, latest[0].id, lang)
    return problem + text, []


async def _cancel(ctx: AppContext, user_id: int, lang: str) -> tuple[str, list[list[InlineKeyboardButton]]]:
    latest = await _recent(ctx, user_id)
    if not latest:
        return t(lang, "support.orders.none"), []
    cancellable = [o for o in latest if o.status in orders.UNPAID]
    if len(cancellable) > 1:
        return t(lang, "support.orders.pick"), views.order_picker(lang, [_line(o) for o in cancellable], "cnlq")
    if len(cancellable) == 1:
        text, _detail = await order_status(ctx, user_id, cancellable[0].id, lang)
        offer = t(lang, "support.orders.cancel_offer")
        return f"{text}\n{offer}", [[views.cancel_button(lang, cancellable[0].id)]]
    newest = latest[0]
    text = t(lang, "support.orders.cannot_cancel", order_id=newest.id, status=views.status_name(lang, newest.status))
    return text, [[views.human_button(lang)]]


async def _availability(
    ctx: AppContext, user_id: int, lang: str, text: str | None
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    """ "is durian in stock?", "榴莲有货吗": the live facts of the product the question names (in stock, how many
    left when few, sold out with "Notify me"), a few matches with theirs, or that the shop does not sell it (outside
    tester: the FAQ text answered every such question). A question that names no product keeps the FAQ text."""
    words = product_words(text)
    if not words:
        return _faq(ctx, "product_availability", lang), []
    try:
        from bot.search_screens import run_search
        from store.search import SearchTarget

        results = await run_search(ctx, SearchTarget(words=words))
    except Exception:  # search trouble must not cost the shopper their answer
        log.exception("availability search failed for %r", words)
        return _faq(ctx, "product_availability", lang), []
    found = list(results.items) if not results.partial else []
    if not found and results.suggestion:  # a typo: "durain"
        found = list(results.suggested)
    clear = _clear_match(found, words)
    watching = False
    if clear is not None and clear.stock <= 0:
        from store import stock_alerts

        watching = await stock_alerts.is_watching(ctx.db, user_id, clear.id)
    shown = [clear] if clear is not None else found[:AVAILABILITY_SHOWN]
    return stock_answer(lang, words, shown, few=FEW_LEFT, watching=watching)


def _clear_match(found: Sequence[ResultItem], words: str) -> ResultItem | None:
    """The one product the words name: the only match, or the one whose title is exactly the words."""
    if len(found) == 1:
        return found[0]
    wanted = " ".join(words.casefold().split())
    exact = [item for item in found if wanted in (item.title_en.casefold(), item.title_zh.casefold())]
    return exact[0] if len(exact) == 1 else None


def product_words(text: str | None) -> str:
    """What names a product in an availability question: "is durian in stock?" -> "durian", "还有苹果吗" -> "苹果",
    "do you have green tea" -> "green tea"; "" when nothing is left ("is it in stock?")."""
    if not text or len(text) > AVAILABILITY_TEXT_MAX:
        return ""
    kept: list[str] = []
    for token in _AVAILABILITY_TOKEN.findall(text):
        if _CJK.match(token):
            token = _ZH_TAIL.sub("", _ZH_LEAD.sub("", token))
            if token:
                kept.append(token)
        elif token.casefold() not in _EN_FILLER:
            kept.append(token)
    return " ".join(kept)


def named_order(text: str | None) -> int | None:
    """The order number a message names ("refund order 12", "#12", "订单12退款", "12号订单"), if any."""
    found = _ORDER_NUMBER.search(text or "")
    if found is None:
        return None
    return int(found.group(1) or found.group(2))


async def _refund(
    ctx: AppContext, user_id: int, lang: str, text: str | None, turn_id: int | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A refund goes to a person with the order attached (the hand-over of handlers/orders.py's "Return or
    refund"). Which order: the one the message names, else the only refundable one; with several the shopper
    picks, since a guess would put the wrong order in front of the agent (outside tester)."""
    named = named_order(text)
    problem = ""
    if named is not None:
        line = await support.order_of(ctx.db, user_id, named)  # another shopper's order is "not found" too
        if line is None:
            problem = t(lang, "support.refund.unknown_order", order_id=named)
        elif line.status in orders.PAID_STATUSES:
            problem = await _past_return_window(ctx, lang, line)
            if not problem:
                return await open_ticket_for(ctx, user_id, lang, reason="refund", order_id=line.id)
        else:
            status = views.status_name(lang, line.status, line.delivery_method)
            problem = t(lang, "support.refund.not_refundable", order_id=line.id, status=status)
    days = ctx.settings.shop.return_days
    refundable = await support.refundable_orders(ctx.db, user_id, PICKER_SIZE, return_days=days)
    if named is None and len(refundable) == 1:
        return await open_ticket_for(ctx, user_id, lang, reason="refund", order_id=refundable[0].id)
    if refundable:
        # A wrong number is not replaced by a guess either: the shopper picks, even from one order.
        ask = t(lang, "support.refund.pick")
        rows = views.order_picker(lang, refundable, "rfd")
        rows += [[views.human_button(lang)], [views.never_mind_button(lang)]]
        return (f"{problem}\n{ask}" if problem else ask), views.answer_markup(lang, text, turn_id, rows)
    if not problem:
        has_orders = bool(await support.recent_orders(ctx.db, user_id, 1))
        problem = t(lang, "support.refund.none_refundable" if has_orders else "support.refund.no_orders")
    return problem, views.answer_markup(lang, text, turn_id, [[views.human_button(lang)]])


async def _double_charge(
    ctx: AppContext, user_id: int, lang: str, text: str | None, turn_id: int | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Charged twice (intent payment_double_charge): never "please try again", the failed-payment answer. We say we
    will check it, ask which order (the shopper's recent orders a refund can be asked for, as the refund picker shows
    them: a tap hands over with the order on the agent's card) and offer a person first."""
    intro = t(lang, "support.double_charge.intro")
    rows = [[views.human_button(lang)]]
    named = named_order(text)
    problem = ""
    if named is not None:
        line = await support.order_of(ctx.db, user_id, named)  # another shopper's order is "not found" too
        if line is not None:
            if line.status in orders.PAID_STATUSES:
                rows += views.order_picker(lang, [line], "rfd")
            ask = t(lang, "support.double_charge.named", order_id=line.id)
            return f"{intro}\n{ask}", views.answer_markup(lang, text, turn_id, rows)
        problem = t(lang, "support.refund.unknown_order", order_id=named) + "\n"
    # Paid orders of the last RECENT_ORDER_DAYS (a double charge is noticed on the statement within days), delivered
    # ones too whatever the return window: an extra charge is not a return.
    paid = [o for o in await support.refundable_orders(ctx.db, user_id, PICKER_SIZE) if _is_recent(o)]
    if paid:
        rows += views.order_picker(lang, paid, "rfd")
        ask = t(lang, "support.double_charge.pick")
    else:
        ask = t(lang, "support.double_charge.no_orders")
    return f"{intro}\n{problem}{ask}", views.answer_markup(lang, text, turn_id, rows)


async def _past_return_window(ctx: AppContext, lang: str, line: support.OrderLine) -> str:
    """Why a delivered order's refund is not taken by the bot: its return window closed (the FAQ promises refunds
    within `return_days` of delivery). A person can still look at it (a defect): the answer offers one."""
    if line.status != orders.DELIVERED:
        return ""
    delivered = await support.delivered_at(ctx.db, line.id)
    days = ctx.settings.shop.return_days
    if delivered is None or not orders.past_return_window(line.status, delivered, days):
        return ""
    when = zoned(delivered, ctx.settings.shop.timezone, "%Y-%m-%d")
    return t(lang, "support.refund.past_window", order_id=line.id, date=when, days=days)


async def _loyalty(ctx: AppContext, user_id: int, intent: str, lang: str) -> str:
    """The shopper's own figures when the loyalty store is installed, then the general explanation."""
    faq = _faq(ctx, intent, lang)
    try:
        from store.growth import checkin, points, referrals
    except ImportError:
        return faq
    try:
        if intent == "points_question":
            figure = t(lang, "support.points.balance", points=await points.balance(ctx.db, user_id))
        elif intent == "checkin_question":
            days, done_today = await checkin.streak_status(ctx.db, user_id)
            key = "streak_done_today" if done_today else "streak" if days else "no_streak"
            figure = t(lang, f"support.points.{key}", days=days)
        else:
            stats = await referrals.stats(ctx.db, user_id)
            figure = t(lang, "support.points.referrals", invited=stats.invited, rewarded=stats.bought)
    except Exception:  # an answer without figures beats no answer
        log.exception("loyalty figures failed for %s", user_id)
        return faq
    return f"{figure}\n{faq}"


async def _group_buys(ctx: AppContext, user_id: int, lang: str) -> str:
    """The shopper's open group buys (progress, price now, time left), then the general rules."""
    faq = _faq(ctx, "group_buy_rules", lang)
    mine = await groupbuy.my_group_buys(ctx.db, user_id)
    if not mine:
        return faq
    now = utcnow()
    lines = [t(lang, "support.groupbuy.mine")]
    for view, quantity in mine:
        days, hours, minutes = groupbuy.format_remaining(view.deadline, now)
        lines.append(
            t(
                lang,
                "support.groupbuy.line",
                title=html.escape(view.title(lang)),
                quantity=quantity,
                joined=view.joined,
                minimum=view.min_participants,
                price=Money(view.current_price, view.currency).format(),
                left=t(lang, "support.groupbuy.left", days=days, hours=hours, minutes=minutes),
            )
        )
    return "\n".join(lines) + "\n\n" + faq


# --- buttons under assistant answers --------------------------------------------------------------------


@routes.callback_query(SupCB.filter(F.a == "srch"))
async def search_button(query: CallbackQuery, callback_data: SupCB, ctx: AppContext, lang: str) -> None:
    turn = await support.get_turn(ctx.db, callback_data.v, query.from_user.id)
    if turn is None or query.message is None:
        await query.answer(t(lang, "support.assistant.search_stale"), show_alert=True)
        return
    await query.answer()
    from bot.search_screens import answer_search

    await answer_search(query.message, ctx, reply_language(turn.text, lang), turn.text)  # type: ignore[arg-type]


@routes.callback_query(SupCB.filter(F.a == "reph"))
async def rephrase_button(query: CallbackQuery, ctx: AppContext, _: Translator) -> None:
    ticket = await support.active_ticket(ctx.db, query.from_user.id)
    if ticket is None:
        await query.answer(_("support.assistant.rephrase_hint"), show_alert=False)
        return
    # An old answer's button, tapped while a ticket is open: the next message goes to the team (handlers.support
    # relays it), so the bot must not invite it (outside tester).
    if ticket.status == "taken" and ticket.assignee_id is not None:
        agent = await agent_name(ctx, ticket.assignee_id)
        await query.answer(_.plain("support.assistant.rephrase_with_agent", agent=agent), show_alert=True)
    else:
        await query.answer(_.plain("support.assistant.rephrase_with_team"), show_alert=True)


@routes.callback_query(SupCB.filter(F.a == "trk"))
async def track_button(query: CallbackQuery, callback_data: SupCB, ctx: AppContext, lang: str) -> None:
    text, _detail = await order_status(ctx, query.from_user.id, callback_data.v, lang)
    await query.answer()
    await edit_or_answer(query, text)


@routes.callback_query(SupCB.filter(F.a.in_({"cnlq", "cnl"})))
async def cancel_pick_button(query: CallbackQuery, callback_data: SupCB, ctx: AppContext, lang: str) -> None:
    """An order picked from "cancel my order"'s picker (cnlq), or the "Cancel order #N" of an answer drawn before
    the assistant asked first (cnl): the /orders question "Cancel order #N? Yes / No" (bot/views/orders.py), whose
    buttons are handled by handlers/orders.py. A cancel gives the reserved stock back and loses a pickup hold, so
    this tap never cancels (outside tester); a stale tap on a cancelled order is told so."""
    # Ownership is checked by the orders store: another shopper's order is "not found".
    detail = await orders.get_order(ctx.db, callback_data.v, query.from_user.id)
    if detail.status == orders.CANCELLED:
        await query.answer(t_plain(lang, "support.orders.already_cancelled", order_id=detail.id), show_alert=True)
        return
    await query.answer()
    if detail.cancellable:
        text, markup = order_views.cancel_confirm(lang, detail)
        await edit_or_answer(query, text, markup)
    else:
        status = views.status_name(lang, detail.status)
        await edit_or_answer(query, t(lang, "support.orders.cannot_cancel", order_id=detail.id, status=status))


@routes.callback_query(SupCB.filter(F.a == "rfd"))
async def refund_pick_button(
    query: CallbackQuery, callback_data: SupCB, ctx: AppContext, lang: str, fsm_storage: BaseStorage
) -> None:
    """The order a refund is for, picked: the same hand-over as typing its number (the picker becomes the answer)."""
    already = t_plain(lang, "support.ticket.already_open_toast")
    if await tap_guard.repeated(ctx, query, fsm_storage, already):
        return
    # Ownership is checked by the orders store: another shopper's order is "not found".
    detail = await orders.get_order(ctx.db, callback_data.v, query.from_user.id)
    if detail.status not in orders.PAID_STATUSES:  # refunded or cancelled since the picker was shown
        await query.answer(t_plain(lang, "orders.return_not_now"), show_alert=True)
        return
    if await support.active_ticket(ctx.db, query.from_user.id) is not None:
        await query.answer(already)
        return
    await query.answer()
    text, markup = await open_ticket_for(ctx, query.from_user.id, lang, reason="refund", order_id=detail.id)
    await edit_or_answer(query, text, markup)
    await _record_bot_turn(ctx, query.from_user.id, text, "refund_request")


@routes.callback_query(SupCB.filter(F.a == "rfdx"))
async def refund_never_mind_button(query: CallbackQuery, _: Translator) -> None:
    await query.answer()
    await edit_or_answer(query, _("support.refund.dropped"))


@routes.callback_query(DidYouMeanCB.filter())
async def did_you_mean_button(
    query: CallbackQuery, callback_data: DidYouMeanCB, ctx: AppContext, lang: str, fsm_storage: BaseStorage
) -> None:
    """A tap answers the picked intent as if the classifier had been sure, in the language the question was
    asked in, and keeps the pick as a labelled example; the question's message becomes the answer.

    "Talk to a person" tapped twice (a double tap, or again later) is handled like a repeated "Talk to a human"
    (handlers/support.py): the first tap hands over, and the others are told the team is already there rather
    than that the question is stale."""
    person = callback_data.n == HUMAN_BUTTON
    already = t_plain(lang, "support.ticket.already_open_toast")
    stale = t_plain(lang, "nlu.stale")
    if person and not await tap_guard.first_tap(ctx, query, fsm_storage):
        # A repeat while the first tap is handled (or just after): it hands over unless the question had expired.
        handing_over = await nlu_review.goes_to_a_person(ctx.db, callback_data.q, query.from_user.id)
        await query.answer(already if handing_over else stale)
        return
    settled = await nlu_review.choose(ctx.db, callback_data.q, query.from_user.id, None if person else callback_data.n)
    if settled is None:
        if person and await support.active_ticket(ctx.db, query.from_user.id) is not None:
            await query.answer(already)
            return
        await query.answer(stale)
        return
    await query.answer()
    intent = "human_agent" if settled.choice == nlu_review.HUMAN else settled.choice
    reply, markup = await compose_answer(ctx, query.from_user.id, intent, settled.lang, settled.text, settled.turn_id)
    await edit_or_answer(query, reply, markup)
    await _record_bot_turn(ctx, query.from_user.id, reply, intent)


def setup() -> Router:
    return routes.build()
