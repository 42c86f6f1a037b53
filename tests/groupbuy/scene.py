"""Group-buy end-to-end scenes: a leader's buy posted in a group with shoppers who joined it, and the leader's
way to the "Close now" question, built the same way for every test that needs them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.emulator.client import ChatHandle, MessageView, UserHandle
from bot.groupbuy_cards import post_card
from bot.sandbox import Stack
from store import groupbuy, users
from tests.groupbuy.helpers import make_product, publish
from tests.groupbuy.test_groupbuy_e2e import bot_messages, started

# The shop's language of a test ("en", "zh") as a Telegram client sends it.
TELEGRAM_LANG = {"en": "en", "zh": "zh-hans"}


@dataclass(frozen=True)
class Scene:
    """A buy of «Oolong tea» (stock 20, ¥50.00) that Lena leads, posted in the group "Street"."""

    product_id: int
    leader: UserHandle
    shoppers: tuple[UserHandle, ...]
    group: ChatHandle
    view: groupbuy.GroupBuyView
    card: MessageView


async def group_buy_scene(
    shop: Stack,
    sku: str,
    shoppers: Sequence[str],
    *,
    lang: str = "en",
    unseen: Collection[str] = (),
    leader_first: bool = True,
    joined: int | None = None,
    minimum: int = 2,
    maximum: int | None = None,
    tiers: tuple[groupbuy.Tier, ...] = (groupbuy.Tier(2, 4000),),
) -> Scene:
    """The product, Lena (started, with the leader role) and the shoppers, all in `lang`; the group of them all
    (the bot an admin there), the buy published and its card posted, and the first `joined` shoppers (all of
    them unless given) joined from the card.

    Shoppers named in `unseen` were never seen by the bot (no /start: their first tap is in the group); the
    others started it. Lena starts the bot before the shoppers, or after them when not `leader_first`."""
    telegram_lang = TELEGRAM_LANG[lang]
    product_id = await make_product(shop.db, stock=20, price=5000, sku=sku)
    leader = await _leader(shop, telegram_lang) if leader_first else None
    people: list[UserHandle] = []
    for name in shoppers:
        if name in unseen:
            people.append(await shop.client.user(name, lang=telegram_lang))
        else:
            people.append(await started(shop, name, lang=telegram_lang))
    if leader is None:
        leader = await _leader(shop, telegram_lang)
    group = await shop.client.group("Street", members=[leader, *people], bot_admin=True)
    view = await publish(
        shop.db, product_id, leader_id=leader.id, chat_id=group.id, minimum=minimum, maximum=maximum, tiers=tiers
    )
    await post_card(shop.app.ctx, view)
    card = (await bot_messages(shop, group))[-1]
    for person in people[:joined]:
        await person.tap("Join", message=card, chat=group)
    return Scene(product_id, leader, tuple(people), group, view, card)


async def _leader(shop: Stack, telegram_lang: str) -> UserHandle:
    lena = await started(shop, "Lena", lang=telegram_lang)
    await users.grant_role(shop.db, lena.id, "leader")
    return lena


async def close_question(leader: UserHandle, view: groupbuy.GroupBuyView) -> MessageView:
    """The leader opens the buy from /leader and taps «Close now»: the buy's screen, now asking the question."""
    await leader.send("/leader")
    await leader.tap(f"#{view.id}")
    detail = await leader.last_message()
    assert detail is not None
    await leader.tap("Close now", message=detail)
    return detail
