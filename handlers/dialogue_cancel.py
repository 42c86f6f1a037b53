"""/cancel for the set-ups that end with a button instead (the group-buy and flash-sale wizards): their prompts
and refusals name /cancel, so typing it stops them as their "Stop set-up" button does, instead of being an
unknown command while the set-up carries on. Dialogues with a /cancel of their own (checkout, broadcasts, stock)
answer it first; this router comes after them and before free text. Outside any dialogue it says there is
nothing to stop."""

from __future__ import annotations

import contextlib

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.i18n import t
from bot.routes import Routes

routes = Routes("dialogue_cancel")

# The state group's name -> what the set-up's own Stop button says.
_STOPPED = {"GroupBuyWizard": "groupbuy.wizard.stopped", "FlashWizard": "admin_flash.stopped"}


@routes.message(Command("cancel"), F.chat.type == "private")
async def cancel_dialogue(message: Message, bot: Bot, lang: str, state: FSMContext) -> None:
    current = await state.get_state()
    if current is None:
        await message.answer(t(lang, "dialogue.nothing_to_cancel"))
        return
    data = await state.get_data()
    await state.clear()
    prompt = data.get("prompt_id")
    if prompt:
        # The set-up's last question keeps no buttons that would look as if it still went on.
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(chat_id=message.chat.id, message_id=int(prompt), reply_markup=None)
    group = current.split(":", 1)[0]
    key = _STOPPED.get(group, "dialogue.cancelled")
    if group == "FlashWizard" and "edit" in data:
        await message.answer(t(lang, "admin_flash.edit_stopped", sale_id=data["edit"]))
        return
    await message.answer(t(lang, key))


def setup() -> Router:
    return routes.build()
