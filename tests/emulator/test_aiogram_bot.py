"""A real aiogram 3 bot polling the emulator, driven through EmulatorClient."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice, Message
from aiogram.types import PreCheckoutQuery as PreCheckout

from bot.emulator.client import EmulatorClient, SettleError
from bot.emulator.server import RunningEmulator


def build_router() -> Router:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Add to cart",
                                                                               callback_data="add:SKU1")]])
        who = message.from_user.first_name if message.from_user else "?"
        await message.answer(f"<b>Welcome</b>, {who}!", reply_markup=keyboard)

    @router.callback_query(F.data.startswith("add:"))
    async def add(query: CallbackQuery) -> None:
        await query.answer("Added to cart")
        if isinstance(query.message, Message):
            await query.message.edit_text("1 item in cart")

    @router.message(F.text == "/buy")
    async def buy(message: Message) -> None:
        await message.answer_invoice(title="Green tea", description="50 g", payload="order:7", currency="XTR",
                                     prices=[LabeledPrice(label="Tea", amount=50)])

    @router.pre_checkout_query()
    async def pre_checkout(query: PreCheckout) -> None:
        await query.answer(ok=True)

    @router.message(F.successful_payment)
    async def paid(message: Message) -> None:
        assert message.successful_payment is not None
        await message.answer(f"Paid {message.successful_payment.total_amount} XTR")

    return router


@pytest.fixture
async def polling_bot(running: RunningEmulator) -> AsyncIterator[Bot]:
    bot = Bot(running.token, session=AiohttpSession(api=TelegramAPIServer.from_base(running.base_url)),
              default=DefaultBotProperties(parse_mode="HTML"))
    dispatcher = Dispatcher()
    dispatcher.include_router(build_router())
    task = asyncio.create_task(dispatcher.start_polling(bot, handle_as_tasks=False, polling_timeout=1,
                                                        handle_signals=False))
    yield bot
    await dispatcher.stop_polling()
    await asyncio.wait_for(task, 5)
    await bot.session.close()


async def test_aiogram_bot_start_tap_and_pay(polling_bot: Bot, sb: EmulatorClient) -> None:
    alice = await sb.user("Alice", lang="zh")
    assert alice.private_chat_id == alice.id and alice.lang == "zh"
    await alice.send("/start")
    message = await alice.last_message()
    assert message is not None
    assert message.text == "Welcome, Alice!"
    assert message.entities == [{"type": "bold", "offset": 0, "length": 7}]
    assert message.buttons[0][0].text == "Add to cart" and message.buttons[0][0].callback_data == "add:SKU1"
    result = await alice.tap("Add to cart")
    assert result.toast is not None and result.toast.text == "Added to cart"
    assert [t.text for t in await alice.toasts()] == ["Added to cart"]
    edited = await alice.last_message()
    assert edited is not None and edited.text == "1 item in cart" and edited.edited and edited.buttons == []
    await alice.send("/buy")
    invoice = await alice.last_message()
    assert invoice is not None and invoice.invoice is not None and invoice.invoice["total_amount"] == 50
    payment = await alice.pay()
    assert payment["status"] == "paid"
    last = await alice.last_message()
    assert last is not None and last.text == "Paid 50 XTR"
    transcript = [m.text or ("payment" if m.successful_payment else None) for m in await alice.messages()]
    assert transcript == ["/start", "1 item in cart", "/buy", None, "payment", "Paid 50 XTR"]
    calls = await sb.calls("answerCallbackQuery")
    assert calls[0]["params"]["text"] == "Added to cart" and calls[0]["ok"]


async def test_settle_reports_a_bot_that_never_confirms(running: RunningEmulator) -> None:
    async with EmulatorClient(running.base_url, settle_timeout=0.3) as sb:
        alice = await sb.user("Alice")
        with pytest.raises(SettleError, match="no getUpdates call was ever made"):
            await alice.send("/start")
