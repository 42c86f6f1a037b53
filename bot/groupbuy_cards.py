"""Group-buy cards in group chats: posting a card (with the product photo when there is one), and redrawing
cards coalesced per chat and paced under Telegram's group limit. Used by handlers and scheduled events."""

from __future__ import annotations

import contextlib
import logging

from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import FSInputFile, InputFile, Message

from bot.config import Settings
from bot.context import AppContext
from bot.debounce import Debouncer, RetryLater
from bot.delivery_rules import delivery_rule
from bot.groupbuy_panels import PanelRefresher
from bot.views import groupbuy as views
from store import catalog, groupbuy, users
from store.groupbuy import GroupBuyView
from store.models import utcnow

log = logging.getLogger(__name__)


def policy(settings: Settings) -> groupbuy.GroupBuyPolicy:
    gb = settings.groupbuy
    return groupbuy.GroupBuyPolicy(
        commission_percent=gb.commission_percent,
        payment_window_minutes=gb.payment_window_minutes,
        pickup_hold_minutes=settings.orders.pickup_hold_minutes,
        max_duration_days=gb.max_duration_days,
        timezone=settings.shop.timezone,
        delivery=delivery_rule(settings),
        card_enabled=settings.payments.card_enabled,
        pickup_payment_enabled=settings.payments.pickup_payment_enabled,
        pickup_points=tuple(point.id for point in settings.shop.pickup_points),
        countdown_refresh_seconds=gb.countdown_refresh_seconds,
    )


def card_screen(ctx: AppContext, view: GroupBuyView, *, photo: bool) -> views.Screen:
    settings = ctx.settings
    pickup = views.pickup_label(settings.shop.pickup_points, view.pickup_point, view.lang)
    return views.card(view.lang, view, utcnow(), ctx.bot_username, pickup, settings.shop.timezone, photo=photo)


def _photo_sources(view: GroupBuyView) -> list[str | InputFile]:
    product = view.product
    sources: list[str | InputFile] = []
    if product.photo_file_id:
        sources.append(product.photo_file_id)
    if product.photo and product.photo.startswith(("http://", "https://")):
        sources.append(product.photo)
    path = catalog.resolve_photo(product.photo)
    if path is not None:
        sources.append(FSInputFile(path))
    return sources


async def post_card(ctx: AppContext, view: GroupBuyView) -> Message:
    """Post the card into the group (a photo with a caption when the product has one), pin it if allowed."""
    bot = ctx.bot
    sent: Message | None = None
    for source in _photo_sources(view):
        screen = card_screen(ctx, view, photo=True)
        try:
            sent = await bot.send_photo(
                view.chat_id,
                source,
                caption=screen.text,
                reply_markup=screen.markup,
                message_thread_id=view.message_thread_id,
            )
            break
        except TelegramBadRequest as exc:
            log.warning("group-buy photo for %s refused: %s", view.product.sku, exc.message)
    if sent is None:
        screen = card_screen(ctx, view, photo=False)
        sent = await bot.send_message(
            view.chat_id, screen.text, reply_markup=screen.markup, message_thread_id=view.message_thread_id
        )
    has_photo = bool(sent.photo)
    if has_photo and sent.photo and sent.photo[-1].file_id != view.product.photo_file_id:
        await catalog.save_photo_file_id(ctx.db, view.product.id, view.product.photo, sent.photo[-1].file_id)
    await groupbuy.attach_card(ctx.db, view.id, sent.message_id, has_photo)
    refresher(ctx).note_sent(view.chat_id)
    # Pinning is a nicety, tried only where the bot has the right (asking anyway earns a 400 per card).
    if await users.may_pin(ctx.db, view.chat_id):
        with contextlib.suppress(TelegramBadRequest, TelegramForbiddenError):
            await bot.pin_chat_message(view.chat_id, sent.message_id, disable_notification=True)
    return sent


class CardRefresher:
    """Coalesces card redraws per group chat and paces them under the group flood limit. A buy that ended has
    its card unpinned with its last redraw; participants' private panels are refreshed through `panels`."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.panels = PanelRefresher(ctx)
        self._unpin: set[int] = set()
        # Per chat, the buys whose card to redraw, in turn, at most one edit per `card_edit_min_seconds`.
        self._cards: Debouncer[int, int] = Debouncer(
            self._redraw, name="gb-cards", gap=float(ctx.settings.groupbuy.card_edit_min_seconds)
        )
        self.edits = 0  # for tests and metrics

    def note_sent(self, chat_id: int) -> None:
        self._cards.note(chat_id)

    def request_panels(self, group_buy_id: int) -> None:
        """The leader changed the buy, or it ended: every participant's live panel is brought up to date."""
        self.panels.request(group_buy_id)

    def count_changed(self, view: GroupBuyView, before: int) -> None:
        """A join or leave took the buy from `before` people to `view.joined`: the group card is redrawn (coalesced
        and paced per chat), and the participants' panels only when the price reached or whether the goal is
        reached moved, what they act on. Every other join would cost one edit per participant (50 people, 50
        edits per join) to update a count the group card shows anyway; a panel shows the latest counts whenever
        it is redrawn."""
        self.request(view.chat_id, view.id)
        if view.is_open and view.standing_moved(before):
            self.request_panels(view.id)

    def request(self, chat_id: int, group_buy_id: int, *, ended: bool = False) -> None:
        """Redraw soon; many requests before the next slot become one edit with the latest state. `ended`: the
        buy just closed (once: the closing transition is conditional), so its card is unpinned after the edit."""
        if ended:
            self._unpin.add(group_buy_id)
        self._cards.request(chat_id, group_buy_id)

    async def idle(self) -> None:
        """Wait until every requested redraw is done (tests)."""
        await self._cards.idle()
        await self.panels.idle()

    async def close(self) -> None:
        """Shutdown (before the database and the Bot session go): a redraw still waiting for its slot is dropped,
        one under way is cancelled, and so are the participants' panel refreshes; nothing is raised."""
        await self._cards.close()
        await self.panels.close()

    async def _redraw(self, chat_id: int, group_buy_id: int) -> None:
        try:
            await self._edit(group_buy_id)
        except TelegramRetryAfter as exc:
            raise RetryLater(exc.retry_after) from exc
        except Exception:
            log.exception("group-buy card %s could not be redrawn", group_buy_id)

    async def _edit(self, group_buy_id: int) -> None:
        view = await groupbuy.get(self.ctx.db, group_buy_id)
        if view.card_message_id is None:
            return
        screen = card_screen(self.ctx, view, photo=view.card_has_photo)
        try:
            if view.card_has_photo:
                await self.ctx.bot.edit_message_caption(
                    chat_id=view.chat_id,
                    message_id=view.card_message_id,
                    caption=screen.text,
                    reply_markup=screen.markup,
                )
            else:
                await self.ctx.bot.edit_message_text(
                    chat_id=view.chat_id, message_id=view.card_message_id, text=screen.text, reply_markup=screen.markup
                )
        except TelegramBadRequest as exc:
            if "message is not modified" not in exc.message:
                raise
        self.edits += 1
        if not view.is_open and group_buy_id in self._unpin:
            self._unpin.discard(group_buy_id)
            await self._unpin_card(view)

    async def _unpin_card(self, view: GroupBuyView) -> None:
        """A finished card no longer belongs at the top of the group. Tried only where the bot may pin (it
        pinned the card then); a refusal (rights taken away meanwhile, unpinned by hand) is quietly accepted."""
        if view.card_message_id is None or not await users.may_pin(self.ctx.db, view.chat_id):
            return
        try:
            await self.ctx.bot.unpin_chat_message(chat_id=view.chat_id, message_id=view.card_message_id)
        except (TelegramBadRequest, TelegramForbiddenError) as exc:
            log.info("group-buy card %s not unpinned: %s", view.id, exc.message)


def refresher(ctx: AppContext) -> CardRefresher:
    """The application's refresher (the composition root builds it with the context)."""
    if ctx.groupbuy_cards is None:
        raise RuntimeError("the group-buy card refresher is built by create_app")
    return ctx.groupbuy_cards
