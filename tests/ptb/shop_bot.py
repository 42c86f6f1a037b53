"""A small python-telegram-bot (v21+) shop bot: someone else's bot, written with another library, that the
sandbox must serve exactly as Telegram would. Nothing of groupcart is imported here."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

PHOTO = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000200c5a8e3a60000000049454e44ae426082"
)
PROVIDER_TOKEN = "TEST:sandbox-provider"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("🍎 Apples", callback_data="buy:apples"),
          InlineKeyboardButton("Help", callback_data="help")]]
    )
    assert update.effective_message is not None
    await update.effective_message.reply_text("<b>PTB shop</b>: pick a product", parse_mode="HTML",
                                              reply_markup=keyboard)


async def tapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    if query.data == "help":
        await query.answer("Tap a product", show_alert=True)
        return
    await query.answer("Added")
    pay_button = InlineKeyboardMarkup([[InlineKeyboardButton("Pay", callback_data="pay")]])
    await query.edit_message_text("Apples in your cart ✅", reply_markup=pay_button)
    if query.data == "buy:apples":
        chat_id = query.message.chat.id
        await context.bot.send_photo(chat_id, photo=PHOTO, caption="Fresh apples")


async def pay(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer()
    await context.bot.send_invoice(
        chat_id=query.message.chat.id,
        title="Apples",
        description="2 kg of apples",
        payload="ptb-order-1",
        provider_token=PROVIDER_TOKEN,
        currency="USD",
        prices=[LabeledPrice("Apples", 450)],
    )


async def precheckout(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.pre_checkout_query
    assert query is not None
    if query.invoice_payload != "ptb-order-1":
        await query.answer(ok=False, error_message="Unknown order")
    else:
        await query.answer(ok=True)


async def paid(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.successful_payment is not None
    amount = message.successful_payment.total_amount
    await message.reply_text(f"Paid {amount / 100:.2f} {message.successful_payment.currency}, thank you!")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    await message.reply_text(message.text)


async def photo_in(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Download what the shopper sent (getFile + the file URL) and send it back as a document."""
    message = update.effective_message
    assert message is not None and message.photo
    file = await message.photo[-1].get_file()
    data = await file.download_as_bytearray()
    await message.reply_document(document=bytes(data), filename="your-photo.png", caption=f"got {len(data)} bytes")


def build(token: str, base_url: str) -> Application:  # type: ignore[type-arg]
    """The bot pointed at a Bot API server at `base_url` (the sandbox emulator in tests)."""
    application = (
        Application.builder()
        .token(token)
        .base_url(f"{base_url}/bot")
        .base_file_url(f"{base_url}/file/bot")
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(pay, pattern="^pay$"))
    application.add_handler(CallbackQueryHandler(tapped))
    application.add_handler(PreCheckoutQueryHandler(precheckout))
    application.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, paid))
    application.add_handler(MessageHandler(filters.PHOTO, photo_in))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return application
