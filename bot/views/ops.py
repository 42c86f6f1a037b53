"""Operations screens (pure: data in, text + keyboard out) and the outbox renderers of stock alerts and
back-in-stock messages."""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.catalog import ProductCB
from bot.callbacks.ops import AuditCB, BroadcastCB, DraftCB, RestockCB
from bot.context import AppContext
from bot.deeplinks import start_link
from bot.i18n import LANGUAGES, t, t_plain
from bot.outbox import Outgoing
from bot.views.clock import zoned
from bot.views.common import buyer_label
from store import audit, broadcasts, stock_alerts
from store.catalog import ProductView
from store.money import Money
from store.order_queues import Buyer
from store.text_units import utf16_length

RESTOCK_STEPS = (10, 50)


def _title(lang: str, params: dict[str, Any]) -> str:
    return str(params.get("title_zh") if lang == "zh" else params.get("title_en")) or str(params.get("sku", ""))


def restock_keyboard(lang: str, product_id: int, change: int) -> InlineKeyboardMarkup:
    """`change`: the newest stock change this screen shows (store.audit.latest_stock_change)."""
    steps = [
        InlineKeyboardButton(
            text=t_plain(lang, "ops.restock_add", n=n),
            callback_data=RestockCB(a="add", p=product_id, n=n, c=change).pack(),
        )
        for n in RESTOCK_STEPS
    ]
    custom = InlineKeyboardButton(
        text=t_plain(lang, "ops.restock_custom"), callback_data=RestockCB(a="custom", p=product_id, c=change).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[steps, [custom]])


def render_low_stock(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    # "Only 0 left" read as if a few were still on the shelf: at zero nobody can order it, and the admin must
    # hear that plainly (with the threshold, so they see why this alert and not a later one).
    key = "ops.sold_out" if int(params.get("stock", 0)) <= 0 else "ops.low_stock"
    text = t(
        lang,
        key,
        title=_title(lang, params),
        sku=params.get("sku", ""),
        stock=params.get("stock", 0),
        threshold=params.get("threshold", 0),
    )
    keyboard = restock_keyboard(lang, int(params["product_id"]), int(params.get("change", 0)))
    return Outgoing(text=text, reply_markup=keyboard)


def restocked(lang: str, done: stock_alerts.Restocked) -> tuple[str, InlineKeyboardMarkup]:
    title = done.title_zh if lang == "zh" else done.title_en
    text = t(lang, "ops.restocked_card", title=title, sku=done.sku, before=done.before, stock=done.stock)
    return text, restock_keyboard(lang, done.product_id, done.change)


def product_button(lang: str, product_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=t_plain(lang, "ops.open_product"), callback_data=ProductCB(a="open", p=product_id, o="x").pack()
    )


def render_back_in_stock(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    text = t(lang, "ops.back_in_stock", title=_title(lang, params))
    markup = InlineKeyboardMarkup(inline_keyboard=[[product_button(lang, int(params["product_id"]))]])
    return Outgoing(text=text, reply_markup=markup)


# ---------------------------------------------------------------- audit log


# Audit values in minor units (the store's money): shown as money in the entry's currency.
_MONEY_KEYS = frozenset(
    {"amount", "base_price", "delivery_fee", "final_price", "price", "subtotal", "total", "unit_price"}
)


def _is_time_key(key: str) -> bool:
    """Audit values that are moments (ISO text in UTC): shown on the shop's clock."""
    return key == "deadline" or key.endswith("_at")


def _change(entry: audit.Entry, timezone: str) -> str:
    """`stock: 3 → 13` for the keys that changed, read as staff read them: money as money, times on the shop's
    clock, a missing value as "—" (outside tester: "total: null → 6780", raw UTC with microseconds). The full
    record, raw, is in the CSV export."""
    before = entry.before or {}
    after = entry.after or {}
    currency = str(after.get("currency") or before.get("currency") or "")
    parts = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            parts.append(f"{key}: {_shown(key, old, currency, timezone)} → {_shown(key, new, currency, timezone)}")
    return (" · " + "; ".join(parts)) if parts else ""


def _shown(key: str, value: Any, currency: str, timezone: str) -> str:
    if value is None:
        return "—"
    if key in _MONEY_KEYS and currency and isinstance(value, int) and not isinstance(value, bool):
        return Money(value, currency).format()
    if _is_time_key(key) and isinstance(value, str):
        with contextlib.suppress(ValueError):
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is not None:
                return zoned(moment, timezone, "%m-%d %H:%M")
    return _short(value)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def _person(lang: str, user_id: int, people: Mapping[int, Buyer]) -> str:
    """`Ada Lovelace (@ada)` as staff know them; the bare id only for someone the bot never met (or erased)."""
    known = people.get(user_id)
    return buyer_label(lang, known) if known is not None else str(user_id)


def _target(lang: str, target: str, people: Mapping[int, Buyer]) -> str:
    user_id = audit.target_user(target)
    return target if user_id is None else audit.USER_TARGET + _person(lang, user_id, people)


def audit_page(
    lang: str,
    entries: list[audit.Entry],
    timezone: str,
    *,
    page_size: int,
    first_page: bool,
    people: Mapping[int, Buyer] | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """`people`: the users the entries name, by id (store.audit.people), shown by name rather than by id."""
    people = people or {}
    rows: list[list[InlineKeyboardButton]] = []
    nav: list[InlineKeyboardButton] = []
    if not first_page:
        nav.append(InlineKeyboardButton(text=t_plain(lang, "ops.audit_newest"), callback_data=AuditCB(b=0).pack()))
    if len(entries) >= page_size:
        nav.append(
            InlineKeyboardButton(text=t_plain(lang, "ops.audit_older"), callback_data=AuditCB(b=entries[-1].id).pack())
        )
    if nav:
        rows.append(nav)
    rows.append(
        [InlineKeyboardButton(text=t_plain(lang, "admin.back"), callback_data=AdminMenuCB(section="home").pack())]
    )
    if not entries:
        return t(lang, "ops.audit_empty"), InlineKeyboardMarkup(inline_keyboard=rows)
    lines = [t(lang, "ops.audit_title")]
    for e in entries:
        who = _person(lang, e.actor_id, people) if e.actor_id is not None else t_plain(lang, "ops.audit_nobody")
        lines.append(
            t(
                lang,
                "ops.audit_line",
                when=zoned(e.created_at, timezone, "%m-%d %H:%M"),
                who=who,
                role=e.actor_role,
                action=e.action,
                target=_target(lang, e.target, people),
                change=_change(e, timezone),
            )
        )
    text = "\n".join(lines)
    if len(text) > 4000:  # 10 long entries could pass Telegram's 4096: keep whole lines
        text = text[:4000].rsplit("\n", 1)[0]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


# ---------------------------------------------------------------- broadcasts

BUTTON_TITLE_MAX = 48  # a product button's title, clipped: long titles would wrap over several lines


def opt_out_button(lang: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=t_plain(lang, "ops_bc.opt_out"), callback_data=BroadcastCB(a="optout").pack())


def opt_out_markup(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[opt_out_button(lang)]])


def opt_in_button(lang: str, where: str = "") -> InlineKeyboardButton:
    """ "Receive offers again": where the opt-out was, once tapped (`where` "md": under the /mydata export)."""
    return InlineKeyboardButton(
        text=t_plain(lang, "ops_bc.opt_in"), callback_data=BroadcastCB(a="optin", v=where).pack()
    )


def _replaced(
    markup: InlineKeyboardMarkup | None, data: str, button: InlineKeyboardButton | None
) -> list[list[InlineKeyboardButton]] | None:
    """The keyboard with the button carrying `data` replaced by `button` (dropped when None); None when that
    changes nothing (no such button: a redrawn message, or another kind of message)."""
    if markup is None:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    found = False
    for row in markup.inline_keyboard:
        kept: list[InlineKeyboardButton] = []
        for old in row:
            if old.callback_data == data:
                found = True
                if button is not None:
                    kept.append(button)
            else:
                kept.append(old)
        if kept:
            rows.append(kept)
    return rows if found else None


def opted_out_markup(lang: str, markup: InlineKeyboardMarkup | None) -> list[list[InlineKeyboardButton]] | None:
    """A broadcast's buttons once its reader opted out: "Receive offers again" in place of the opt-out."""
    return _replaced(markup, BroadcastCB(a="optout").pack(), opt_in_button(lang))


def opted_in_markup(lang: str, markup: InlineKeyboardMarkup | None) -> list[list[InlineKeyboardButton]] | None:
    """A broadcast's buttons once its reader opted back in: the opt-out again."""
    return _replaced(markup, BroadcastCB(a="optin").pack(), opt_out_button(lang))


def without_opt_in(markup: InlineKeyboardMarkup | None) -> list[list[InlineKeyboardButton]] | None:
    """The /mydata export's buttons once its "Receive offers again" was used."""
    return _replaced(markup, BroadcastCB(a="optin", v="md").pack(), None)


def export_caption_opted_in(caption: str | None) -> str | None:
    """The /mydata export's caption once its reader opted back in from it: the announcements line says they
    receive them again, since this export (the file stays the record of the data as exported). None when the
    caption has no "you opted out" line (another message, or one already redrawn)."""
    lines = (caption or "").split("\n")
    for lang in LANGUAGES:
        before = t_plain(lang, "privacy.export_broadcasts_off")
        if before in lines:
            after = t_plain(lang, "privacy.export_broadcasts_again")
            # The caption comes back as plain text; it goes out as HTML again.
            return "\n".join(html.escape(after if line == before else line, quote=False) for line in lines)
    return None


def broadcast_text(lang: str, text_en: str, text_zh: str) -> str:
    """The admin's own words (their HTML is escaped: a broadcast cannot break the message) and the frame."""
    body = html.escape(text_zh if lang == "zh" else text_en)
    return body + t(lang, "ops_bc.footer")


def _visible_length(markup: str) -> int:
    """What Telegram counts of an HTML fragment: its text without tags, in UTF-16 code units."""
    return utf16_length(html.unescape(re.sub(r"<[^>]*>", "", markup)))


def caption_room() -> int:
    """How long the admin's caption may be in either language: Telegram's limit less the frame under it."""
    return broadcasts.CAPTION_LIMIT - max(_visible_length(t(lang, "ops_bc.footer")) for lang in LANGUAGES)


def _product_button(lang: str, params: dict[str, Any], bot_username: str) -> InlineKeyboardButton | None:
    """The product's card through its deep link: a link opens it for anyone, also a shopper who never tapped
    anything, and leaves the broadcast (and its opt-out) where it is."""
    sku = str(params.get("product_sku") or "")
    if not sku:
        return None
    try:
        url = start_link(bot_username, "p", sku)
    except ValueError:  # a SKU no deep link can carry: the message goes without the button
        return None
    title = str(params.get("product_title_zh" if lang == "zh" else "product_title_en") or sku)
    if len(title) > BUTTON_TITLE_MAX:
        title = title[: BUTTON_TITLE_MAX - 1] + "…"
    return InlineKeyboardButton(text=t_plain(lang, "ops_bc.product_button", title=title), url=url)


def broadcast_message(lang: str, params: dict[str, Any], bot_username: str) -> Outgoing:
    """One recipient's message (also the admin's preview of it): text or photo with caption, the product's
    button when there is one, and the opt-out always."""
    rows: list[list[InlineKeyboardButton]] = []
    product = _product_button(lang, params, bot_username)
    if product is not None:
        rows.append([product])
    rows.append([opt_out_button(lang)])
    text = broadcast_text(lang, str(params.get("text_en", "")), str(params.get("text_zh", "")))
    photo = params.get("photo")
    return Outgoing(
        text=text, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows), photo=str(photo) if photo else None
    )


def render_broadcast(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    return broadcast_message(lang, params, app.bot_username)


def broadcast_audiences(lang: str, counts: dict[str, int]) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [
            InlineKeyboardButton(
                text=t_plain(lang, f"ops_bc.audience_{audience}", count=counts[audience]),
                callback_data=BroadcastCB(a="aud", v=audience).pack(),
            )
        ]
        for audience in broadcasts.AUDIENCES
    ]
    rows.append(
        [InlineKeyboardButton(text=t_plain(lang, "admin.back"), callback_data=AdminMenuCB(section="home").pack())]
    )
    return t(lang, "ops_bc.title"), InlineKeyboardMarkup(inline_keyboard=rows)


def _preview_controls(lang: str, draft: broadcasts.Draft, count: int, shown: str) -> list[list[InlineKeyboardButton]]:
    def button(key: str, action: str, value: str = "", **params: Any) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=t_plain(lang, f"ops_bc.{key}", **params),
            callback_data=DraftCB(a=action, v=value, d=draft.id, r=draft.revision).pack(),
        )

    # The label row parts what the recipients get (above) from what only the admin sees (below); Send carries
    # the language shown: the photo left after Confirm keeps that language's buttons.
    rows = [[button("preview_label", "note", count=count)]]
    rows.append(
        [button("send", "send", shown if draft.photo is not None else "", count=count), button("cancel", "cancel")]
    )
    if draft.product is None:
        rows.append([button("add_product", "prod")])
    else:
        rows.append([button("change_product", "prod"), button("remove_product", "noprod")])
    if draft.text_en != draft.text_zh:
        # One message shows one language: the other is a tap away (an edit, not a second message).
        other = "en" if shown == "zh" else "zh"
        rows.append([button(f"show_{other}", "lang", other)])
    return rows


@dataclass(frozen=True)
class Preview:
    """What the admin sees before Confirm, in one message: the recipients' message exactly as sent (text, or
    photo and caption, in the language `shown`) with their buttons (the product's, the opt-out), then a labelled
    row naming the count, then the admin's own buttons (Send names the count too)."""

    text: str
    markup: InlineKeyboardMarkup
    photo: str | None = None


def recipient_rows(lang: str, params: dict[str, Any], bot_username: str) -> list[list[InlineKeyboardButton]]:
    markup = broadcast_message(lang, params, bot_username).reply_markup
    return [list(row) for row in markup.inline_keyboard] if markup is not None else []


def _sample_rows(lang: str, draft: broadcasts.Draft, bot_username: str) -> list[list[InlineKeyboardButton]]:
    """The recipients' buttons as they get them, except that the opt-out under the admin's own copy only says
    what it does (the admin trying it is not opted out)."""
    opt_out = BroadcastCB(a="optout").pack()
    inert = DraftCB(a="oo", d=draft.id).pack()
    return [
        [
            InlineKeyboardButton(text=button.text, callback_data=inert) if button.callback_data == opt_out else button
            for button in row
        ]
        for row in recipient_rows(lang, broadcasts.message_params(draft), bot_username)
    ]


def broadcast_preview(
    lang: str, draft: broadcasts.Draft, count: int, bot_username: str, shown: str | None = None
) -> Preview:
    shown = shown if shown in LANGUAGES else lang
    sample = broadcast_message(shown, broadcasts.message_params(draft), bot_username)
    rows = _sample_rows(shown, draft, bot_username) + _preview_controls(lang, draft, count, shown)
    return Preview(sample.text, InlineKeyboardMarkup(inline_keyboard=rows), draft.photo)


def sent_photo_markup(lang: str, draft: broadcasts.Draft, bot_username: str) -> InlineKeyboardMarkup:
    """A confirmed photo preview keeps the recipients' buttons only: it stays as the record of what was sent."""
    return InlineKeyboardMarkup(inline_keyboard=_sample_rows(lang, draft, bot_username))


def product_picker(
    lang: str, draft: broadcasts.Draft, products: list[ProductView], query: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """The products the button may open (the latest, or those matching what the admin typed), and the way back;
    every button carries the draft's revision, so this picker is stale once the draft changed."""
    rows = [
        [
            InlineKeyboardButton(
                text=f"{p.title(lang)[:BUTTON_TITLE_MAX]} · {p.sku}",
                callback_data=DraftCB(a="pp", v=str(p.id), d=draft.id, r=draft.revision).pack(),
            )
        ]
        for p in products
    ]
    rows.append(
        [
            InlineKeyboardButton(
                text=t_plain(lang, "ops_bc.back_to_preview"),
                callback_data=DraftCB(a="back", d=draft.id, r=draft.revision).pack(),
            )
        ]
    )
    text = t(lang, "ops_bc.pick_product_matches", query=query) if query else t(lang, "ops_bc.pick_product")
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def broadcast_progress(lang: str, p: broadcasts.Progress) -> tuple[str, InlineKeyboardMarkup | None]:
    """The admin's live progress message: figures counted from the outbox rows, Pause or Resume under it."""
    text = t(
        lang,
        f"ops_bc.progress_{p.status}",
        id=p.id,
        total=p.total,
        sent=p.sent,
        failed=p.failed,
        blocked=p.blocked,
        waiting=p.waiting,
    )
    if p.status == "done":
        return text, None
    action = "pause" if p.status == "sending" else "resume"
    button = InlineKeyboardButton(
        text=t_plain(lang, f"ops_bc.{action}"), callback_data=BroadcastCB(a=action, d=p.id).pack()
    )
    return text, InlineKeyboardMarkup(inline_keyboard=[[button]])
