"""Outside check: Buy tapped three or more times in quick succession. Only the first tap acts (bot/tap_guard.py);
the repeats were told "A double tap counts once: to get another, tap again" (they had just tapped again, and a
third tap said the same) or "that is the limit per person", and nothing said how to pay the unit they hold. Now a
repeat says they already have one and where its Pay button is (the private chat, or this chat when tapped
there); while the first tap is still being decided it says so and that there is no need to tap again. Real bot
and emulator, English and Chinese."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import store.flashsale
from bot.config import Settings
from bot.emulator.client import ChatHandle, MessageView, TapResult, UserHandle
from bot.sandbox import Stack
from store import flashsale
from tests.conftest import ADMIN_ID, settings_without_early_access
from tests.flashsale.helpers import make_product
from tests.flashsale.test_flash_e2e import _private_with
from tests.flashsale.test_flash_private_toast_e2e import _card

WON = {"en": "🎉 You got one!", "zh": "🎉 抢到了"}
# A repeat by a shopper who holds a unit: where to pay it, on the group card (private chat) and in the private chat.
PAY_THERE = {
    "en": "pay with the button on your order message in our private chat",
    "zh": "请点私聊中订单消息下的按钮付款",
}
PAY_HERE = {"en": "pay with the button on your order message in this chat", "zh": "请点本聊天中订单消息下的按钮付款"}
AT_LIMIT = {"en": "the most per person", "zh": "每人限购"}
BELOW_LIMIT = {"en": "for one more, wait a moment, then tap Buy", "zh": "想再抢一件，请稍等片刻再点一次抢购"}
QUEUED = {"en": "Your first tap is in the queue: no need to tap again", "zh": "您的第一次点击正在排队，不用再点了"}
HANDLED = {"en": "Your first tap is being handled", "zh": "您的第一次点击正在处理"}
# What the repeats used to say.
OLD = (
    "to get another, tap again",
    "A double tap",
    "想再抢一件请再点一次",
    "连点两下",
    "Busy, you are in the queue",
    "人太多了",
)
CODES = {"en": "en", "zh": "zh-hans"}


async def _sale(shop: Stack, people: list[UserHandle], limit: int, *, subscribe: bool = False) -> ChatHandle:
    await make_product(shop.db, "RICE-1", stock=10)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    group = await shop.client.group("Neighbours", members=people, bot_admin=True)
    for person in (ada, *people):
        await person.send("/start")
        if subscribe and person is not ada:
            await person.send("/subscribe")
    await ada.send(f"/flash_create sku=RICE-1 price=19.90 stock=5 start=now end=+1h limit={limit} groups=all")
    return group


async def _taps(person: UserHandle, card: MessageView, chat: ChatHandle | None, n: int = 3) -> tuple[str, list[str]]:
    """`n` taps that all leave the client before the bot answered any: (the acting tap's toast, the repeats')."""
    taps: list[TapResult] = await asyncio.gather(*(person.tap(message=card, chat=chat) for _ in range(n)))
    assert all(t.raw.get("answered") for t in taps), [t.raw for t in taps]
    texts = [t.toast.text or "" if t.toast is not None else "" for t in taps]
    acting = [text for text, t in zip(texts, taps, strict=True) if t.toast is not None and t.toast.show_alert]
    repeats = [text for text, t in zip(texts, taps, strict=True) if t.toast is None or not t.toast.show_alert]
    assert len(acting) <= 1 and len(repeats) >= n - 1, texts
    return (acting[0] if acting else ""), repeats


def _is_new(text: str) -> bool:
    return bool(text) and len(text) <= 200 and not any(old in text for old in OLD)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_winners_triple_tap_on_the_group_card_says_how_to_pay(shop: Stack, lang: str) -> None:
    alice = await shop.client.user("Alice", lang=CODES[lang])
    group = await _sale(shop, [alice], limit=1)
    card = await _card(alice, group, shop)
    won, repeats = await _taps(alice, card, group, n=4)
    assert won.startswith(WON[lang]), won
    for text in repeats:
        assert _is_new(text) and PAY_THERE[lang] in text and AT_LIMIT[lang] in text, text
    await shop.client.settle()
    sale = (await flashsale.list_sales(shop.db))[0]
    assert (await flashsale.get_sale(shop.db, sale.id)).sold == 1, "the repeats took nothing"
    assert not (await shop.client.unanswered()).callback_queries


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_triple_tap_in_the_private_chat_below_the_limit(shop: Stack, lang: str) -> None:
    """Limit 2: the repeats say the unit is paid here and how a deliberate tap gets the second one (not "tap
    again", which the shopper just did)."""
    bob = await shop.client.user("Bob", lang=CODES[lang])
    await _sale(shop, [bob], limit=2, subscribe=True)
    notice = await _card(bob, None, shop)
    won, repeats = await _taps(bob, notice, None)
    assert won.startswith(WON[lang]), won
    for text in repeats:
        assert _is_new(text) and PAY_HERE[lang] in text and BELOW_LIMIT[lang] in text, text
        assert "private chat" not in text and "私聊" not in text, text
    await shop.client.settle()
    sale = (await flashsale.list_sales(shop.db))[0]
    assert (await flashsale.get_sale(shop.db, sale.id)).sold == 1


def _blocked_commit(release: asyncio.Event) -> Callable[..., Awaitable[flashsale.BatchResult]]:
    real = store.flashsale.commit_claims

    async def commit(*args: Any, **kwargs: Any) -> flashsale.BatchResult:
        await release.wait()  # the database is saturated until the test says otherwise
        return await real(*args, **kwargs)

    return commit


class TestWhileTheFirstTapIsDecided:
    @pytest.fixture
    def settings(self) -> Settings:
        return settings_without_early_access(flashsale={"answer_budget_seconds": 0.3})

    @pytest.mark.parametrize("lang", ["en", "zh"])
    async def test_repeats_of_a_queued_tap_say_it_is_in_the_queue(
        self, shop: Stack, lang: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        alice = await shop.client.user("Alice", lang=CODES[lang])
        group = await _sale(shop, [alice], limit=1)
        card = await _card(alice, group, shop)
        release = asyncio.Event()
        monkeypatch.setattr(store.flashsale, "commit_claims", _blocked_commit(release))
        try:
            taps = await asyncio.gather(*(alice.tap(message=card, chat=group) for _ in range(3)))
        finally:
            release.set()  # a claim left blocked would hold the stack's shutdown (it drains the gate)
        texts = [t.toast.text or "" if t.toast is not None else "" for t in taps]
        first = [text for text in texts if text.startswith("⏳") and QUEUED[lang] not in text]
        repeats = [text for text in texts if QUEUED[lang] in text]
        assert len(first) == 1 and len(repeats) == 2, texts  # the acting tap hears the usual "busy"
        assert all(_is_new(text) for text in repeats), repeats
        await _private_with(alice, shop, "秒杀价" if lang == "zh" else "flash price")  # decided: it won

    @pytest.mark.parametrize("lang", ["en", "zh"])
    async def test_a_repeat_decided_elsewhere_says_the_first_tap_is_handled(
        self, shop: Stack, lang: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With several processes the first tap may be decided in another one, and the repeat's gate knows
        nothing yet (AdmissionGate.repeat answers None): the repeat used to get an empty answer."""
        alice = await shop.client.user("Alice", lang=CODES[lang])
        group = await _sale(shop, [alice], limit=1)
        card = await _card(alice, group, shop)
        gate = shop.app.ctx.admission

        async def nothing_known(*_args: Any, **_kwargs: Any) -> None:
            return None

        monkeypatch.setattr(gate, "repeat", nothing_known)
        won, repeats = await _taps(alice, card, group)
        assert won.startswith(WON[lang]), won
        for text in repeats:
            assert _is_new(text) and HANDLED[lang] in text, text
