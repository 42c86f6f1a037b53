"""Search views: the results message (text + buttons to open products, sort, filter and page) and the prompt.
Pure functions: results in, text and keyboard out."""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks.common import MenuCB
from bot.callbacks.search import SORT_CODES, SearchCB
from bot.i18n import t, t_plain
from store.money import Money, exponent
from store.search import ResultItem, SearchResults, SearchTarget

BUTTON_TITLE_MAX = 40
CATEGORY_BUTTONS = 3
SORTS_PER_ROW = 3
QUERY_SHOWN_MAX = 80  # a pasted page stays readable (and the message far below 4,096 characters)


@dataclass(frozen=True)
class Target:
    """Where a product button leads: a callback (the catalog's card) or a deep link."""

    callback_data: str | None = None
    url: str | None = None


@dataclass
class StateButtons:
    """Where each search button of one message leads. The view asks for callback data per destination; the
    handler saves `targets` under `state_id` (store.search.save_targets) before the message goes out."""

    state_id: str
    targets: list[SearchTarget] = field(default_factory=list)

    def number(self, target: SearchTarget) -> int:
        if target not in self.targets:
            self.targets.append(target)
        return self.targets.index(target)

    def data(self, target: SearchTarget) -> str:
        return SearchCB(s=self.state_id, i=self.number(target)).pack()


def screen_target(results: SearchResults) -> SearchTarget:
    """The results screen itself as a destination (what Back from a product opened there re-opens)."""
    return SearchTarget(
        words=results.query,
        sort=results.sort,
        page=results.page,
        category_id=results.category_id,
        price_min=results.price_min,
        price_max=results.price_max,
    )


def short_price(amount: int, currency: str) -> str:
    """¥20 rather than ¥20.00 for round range bounds."""
    text = Money(amount, currency).format()
    return text[:-3] if text.endswith((".00", ",00")) else text


def _clip(text: str, limit: int = BUTTON_TITLE_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown_query(text: str) -> str:
    """The words as the message shows them: clipped, escaped, on one line."""
    return html.escape(_clip(" ".join(text.split()), QUERY_SHOWN_MAX))


def _flash(lang: str, item: ResultItem, key: str, *, plain: bool = False) -> str:
    """A live flash sale's price with the regular one struck through (or noted, where HTML cannot go)."""
    flash, regular = item.flash_prices()
    render = t_plain if plain else t
    return render(lang, key, price=flash.format(), regular=regular.format())


def _item_line(lang: str, number: int, item: ResultItem) -> str:
    line = _plain_line(lang, number, item)
    if item.rating is not None:  # filled when sorted by rating: the order explains itself
        line += t(lang, "search.rated", rating=f"{item.rating:.1f}", count=item.reviews)
    return line


def _plain_line(lang: str, number: int, item: ResultItem) -> str:
    price = item.paid_price.format()
    title = html.escape(item.title(lang))
    if item.flash_price is not None:
        # The flash pool is apart from the product's stock, so the product may show 0 while the sale has units.
        return t(lang, "search.line_flash", n=number, title=title, price=_flash(lang, item, "flashsale.price.inline"))
    if item.stock <= 0:
        return t(lang, "search.line_sold_out", n=number, title=title, price=price)
    return t(lang, "search.line", n=number, title=title, price=price, stock=item.stock)


def product_button(lang: str, number: int, item: ResultItem, target: Target) -> InlineKeyboardButton:
    if item.flash_price is not None:
        price = _flash(lang, item, "flashsale.price.plain", plain=True)
    else:
        price = item.paid_price.format()
    label = t_plain(lang, "search.open", n=number, title=_clip(item.title(lang)), price=price)
    return InlineKeyboardButton(text=label, callback_data=target.callback_data, url=target.url)


def _range_label(lang: str, low: int | None, high: int | None, currency: str) -> str:
    if low is None and high is not None:
        return t(lang, "search.price.under", high=short_price(high, currency))
    if high is None and low is not None:
        return t(lang, "search.price.over", low=short_price(low, currency))
    if low is not None and high is not None:
        return t(lang, "search.price.between", low=short_price(low, currency), high=short_price(high, currency))
    return t(lang, "search.price.all")


def bound_text(lang: str, low: int | None, high: int | None, currency: str) -> str:
    """A price filter in words ("under ¥50", "up to ¥50", "over ¥200", "between ¥20 and ¥50"); "" without one.

    Prices are whole minor units, so "< ¥50.01" and "≤ ¥50" are the same filter: each side is named by the form
    whose amount is round (the typed "50元以下" is stored as < ¥50.01 and reads "up to ¥50" again)."""
    unit = 10 ** exponent(currency)

    def high_part() -> tuple[str, int]:
        assert high is not None
        if unit > 1 and high % unit == 1:
            return "up_to", high - 1
        return "under", high

    def low_part() -> tuple[str, int]:
        assert low is not None
        if unit > 1 and low % unit == 1:
            return "over", low - 1
        return "from", low

    if low is not None and high is not None:
        (low_kind, low_amount), (high_kind, high_amount) = low_part(), high_part()
        if low_kind == "from":
            # "between ¥20 and ¥50" as typed; a range button's [¥20, ¥30) as its label reads, "¥20–¥30".
            return t(
                lang,
                "search.bound.between" if high_kind == "up_to" else "search.bound.span",
                low=short_price(low_amount, currency),
                high=short_price(high_amount, currency),
            )
        return t(
            lang,
            "search.bound.both",
            low=t(lang, f"search.bound.{low_kind}", price=short_price(low_amount, currency)),
            high=t(lang, f"search.bound.{high_kind}", price=short_price(high_amount, currency)),
        )
    if high is not None:
        kind, amount = high_part()
        return t(lang, f"search.bound.{kind}", price=short_price(amount, currency))
    if low is not None:
        kind, amount = low_part()
        return t(lang, f"search.bound.{kind}", price=short_price(amount, currency))
    return ""


def _mark(label: str, selected: bool) -> str:
    return f"• {label}" if selected else label


def results_view(
    lang: str,
    results: SearchResults,
    buttons: StateButtons,
    product_targets: list[Target],
    suggested_targets: list[Target],
    currency: str,
    typed: str = "",
) -> tuple[str, InlineKeyboardMarkup]:
    """Sort, filter and page buttons get their data from `buttons`; `product_targets[i]` opens
    `results.items[i]`, `suggested_targets[i]` opens `results.suggested[i]`. `typed` is what the shopper sent,
    shown when nothing searchable was left of it (only emoji or punctuation)."""
    if not results.items:
        return _empty_view(lang, results, buttons, suggested_targets, typed, currency)
    current = screen_target(results)

    def cb(**changes: object) -> str:
        return buttons.data(replace(current, **changes))  # type: ignore[arg-type]

    first = results.page * results.page_size
    lines = [_header(lang, results, currency)]
    if results.partial:
        lines.append(t(lang, "search.partial"))
    lines.append("")
    lines += [_item_line(lang, first + i + 1, item) for i, item in enumerate(results.items)]
    rows: list[list[InlineKeyboardButton]] = [
        [product_button(lang, first + i + 1, item, product_targets[i])] for i, item in enumerate(results.items)
    ]
    sorts = [
        InlineKeyboardButton(
            text=_mark(t(lang, f"search.sort.{name}"), name == results.sort), callback_data=cb(sort=name, page=0)
        )
        for name in SORT_CODES
    ]
    rows += [sorts[:SORTS_PER_ROW], sorts[SORTS_PER_ROW:]]  # five in one row do not fit a phone's width
    price_row = [
        InlineKeyboardButton(
            text=_mark(_range_label(lang, low, high, currency), (low, high) == (results.price_min, results.price_max)),
            callback_data=cb(price_min=low, price_max=high, page=0),
        )
        for low, high in results.price_ranges
    ]
    if results.price_min is not None or results.price_max is not None:
        price_row.append(
            InlineKeyboardButton(
                text=t(lang, "search.price.all"), callback_data=cb(price_min=None, price_max=None, page=0)
            )
        )
    if price_row:
        rows.append(price_row)
    category_row = []
    if len(results.categories) > 1 or results.category_id is not None:
        category_row = [
            InlineKeyboardButton(
                text=_mark(
                    t_plain(lang, "search.category", name=_clip(facet.name(lang), 20), count=facet.count),
                    facet.id == results.category_id,
                ),
                callback_data=cb(category_id=facet.id, page=0),
            )
            for facet in results.categories[:CATEGORY_BUTTONS]
        ]
    if results.category_id is not None:
        category_row.append(
            InlineKeyboardButton(text=t(lang, "search.category_all"), callback_data=cb(category_id=None, page=0))
        )
    if category_row:
        rows.append(category_row)
    nav = []
    if results.page > 0:
        nav.append(InlineKeyboardButton(text=t(lang, "search.prev"), callback_data=cb(page=results.page - 1)))
    if results.page + 1 < results.pages:
        nav.append(InlineKeyboardButton(text=t(lang, "search.next"), callback_data=cb(page=results.page + 1)))
    if nav:
        rows.append(nav)
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def _header(lang: str, results: SearchResults, currency: str) -> str:
    bound = bound_text(lang, results.price_min, results.price_max, currency)
    if results.query and bound:
        head = t(lang, "search.header_bound", query=shown_query(results.query), bound=bound, total=results.total)
    elif results.query:
        head = t(lang, "search.header", query=shown_query(results.query), total=results.total)
    elif bound:
        head = t(lang, "search.header_all_bound", bound=bound, total=results.total)
    else:
        head = t(lang, "search.header_all", total=results.total)
    details = [t(lang, "search.sorted_by", sort=t(lang, f"search.sort.{results.sort}"))]
    if results.pages > 1:
        details.append(t(lang, "search.page", page=results.page + 1, pages=results.pages))
    return head + "\n" + " · ".join(details)


def _empty_view(
    lang: str,
    results: SearchResults,
    buttons: StateButtons,
    suggested_targets: list[Target],
    typed: str,
    currency: str,
) -> tuple[str, InlineKeyboardMarkup]:
    query = shown_query(results.query or typed)
    rows: list[list[InlineKeyboardButton]] = []
    bound = bound_text(lang, results.price_min, results.price_max, currency)
    if results.filtered:
        # The price filter is named: "Nothing under ¥50 matches tea" says what to change, "with these filters"
        # did not (a typed "tea under 50" has no visible filter button to look at).
        if bound and results.query:
            lines = [t(lang, "search.empty_bound", bound=bound, query=query)]
        elif bound:
            lines = [t(lang, "search.empty_bound_all", bound=bound)]
        else:
            lines = [t(lang, "search.empty_filtered", query=query)]
        rows.append(
            [
                InlineKeyboardButton(
                    text=t(lang, "search.clear_filters"),
                    callback_data=buttons.data(SearchTarget(words=results.query, sort=results.sort)),
                )
            ]
        )
    else:
        lines = [t(lang, "search.empty", query=query)]
        if results.suggestion:
            lines.append(t(lang, "search.did_you_mean", suggestion=shown_query(results.suggestion)))
            rows.append(
                [
                    InlineKeyboardButton(
                        text=t_plain(lang, "search.try", suggestion=_clip(results.suggestion)),
                        callback_data=buttons.data(SearchTarget(words=results.suggestion)),
                    )
                ]
            )
        if results.suggested:
            lines.append(t(lang, "search.close_matches"))
            lines += [_item_line(lang, i + 1, item) for i, item in enumerate(results.suggested)]
            rows += [
                [product_button(lang, i + 1, item, suggested_targets[i])] for i, item in enumerate(results.suggested)
            ]
        if not results.query and typed.strip():  # nothing searchable was left: say what search understands
            lines.append(t(lang, "search.nothing_searchable"))
        elif not results.suggestion and not results.suggested:
            lines.append(t(lang, "search.try_other"))
    rows.append([InlineKeyboardButton(text=t(lang, "menu.home"), callback_data=MenuCB(action="home").pack())])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def prompt_view(lang: str) -> tuple[str, InlineKeyboardMarkup]:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t(lang, "menu.home"), callback_data=MenuCB(action="home").pack())]]
    )
    return t(lang, "search.prompt"), markup


def usage_text(lang: str) -> str:
    return t(lang, "search.usage")


def nothing_searchable(results: SearchResults) -> SearchResults:
    """Results for text with no searchable words left (only emoji or punctuation): nothing found, no suggestions."""
    return replace(results, items=(), total=0, pages=1, suggestion=None, suggested=(), categories=[])
