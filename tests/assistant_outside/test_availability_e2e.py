"""An outside tester: "is durian in stock?" was answered with the FAQ text about stock in general. Now a question
that names a product gets that product's live facts from the catalog (the demo's durian: 5 boxes left; its mangoes:
sold out, with «Notify me»; its apples: plenty) and an «Open» button for its card, a few matches with their stock
when the words fit several products, and "we don't sell jackfruit" with the search button when the shop has none.
English and Chinese, a shopper the bot has never seen; real bot, emulator, the demo catalog."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.emulator.client import MessageView, UserHandle
from bot.i18n import t_plain
from bot.nlu_service import faq_answer
from store import stock_alerts
from store.models import Product
from tests.checkout_outside.helpers import labels, shopper

pytestmark = pytest.mark.seeded

WHO = {"en": "Noah", "zh": "赵敏"}
DURIAN = {"en": "Musang King durian pulp, 400 g", "zh": "猫山王榴莲果肉 400克"}
MANGO = {"en": "Hainan mangoes, 3 kg", "zh": "海南贵妃芒 3公斤"}
APPLE = {"en": "Fuji apples, 2 kg", "zh": "烟台红富士苹果 2公斤"}
ASK = {
    "en": {
        "durian": "is durian in stock?",
        "mango": "do you still have mangoes?",
        "apple": "are apples available?",
        "unknown": "is jackfruit in stock?",
        "tea": "do you have tea in stock?",
    },
    "zh": {
        "durian": "榴莲有货吗",
        "mango": "还有芒果吗",
        "apple": "还有苹果吗",
        "unknown": "菠萝蜜有货吗",
        "tea": "茶有货吗",
    },
}
UNKNOWN = {"en": "jackfruit", "zh": "菠萝蜜"}
TEA = {"en": "tea", "zh": "茶"}


async def _answer(user: UserHandle, text: str) -> MessageView:
    await user.send(text)
    message = await user.last_message()
    assert message is not None and message.from_bot, message
    return message


def _search_label(lang: str, text: str) -> str:
    return t_plain(lang, "support.button.search", text=text)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_named_product_in_stock_gets_its_stock_and_an_open_button(shop: Any, lang: str) -> None:
    user = await shopper(shop, WHO[lang], lang)
    durian = await _answer(user, ASK[lang]["durian"])
    assert (durian.text or "") == t_plain(lang, "support.stock.few_left", title=DURIAN[lang], count=5), durian.text
    assert faq_answer(shop.settings, "product_availability", lang) not in (durian.text or "")
    open_durian = labels(durian)[0]  # «Open <title>», the title cut short for a button
    assert open_durian.startswith(t_plain(lang, "support.stock.open", title="")), labels(durian)
    assert DURIAN[lang][:12] in open_durian, labels(durian)
    await user.tap(open_durian, message=durian)
    card = await user.last_message()
    assert card is not None and card.message_id != durian.message_id, "the card opens under the answer"
    assert DURIAN[lang] in (card.text or card.caption or "")

    apples = await _answer(user, ASK[lang]["apple"])
    assert (apples.text or "") == t_plain(lang, "support.stock.in_stock", title=APPLE[lang]), apples.text


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_sold_out_product_offers_notify_me(shop: Any, lang: str) -> None:
    user = await shopper(shop, WHO[lang], lang)
    mango = await _answer(user, ASK[lang]["mango"])
    text = mango.text or ""
    assert text.startswith(t_plain(lang, "support.stock.sold_out", title=MANGO[lang])), text
    assert t_plain(lang, "support.stock.notify_offer") in text
    notify = t_plain(lang, "ops.notify_me")
    assert labels(mango)[0] == notify, labels(mango)
    await user.tap(notify, message=mango)
    async with shop.db.read() as session:
        mango_id = (await session.execute(select(Product.id).where(Product.sku == "FRU-MANGO"))).scalar_one()
    assert await stock_alerts.is_watching(shop.db, user.id, mango_id)
    again = await _answer(user, ASK[lang]["mango"])
    assert labels(again)[0] == t_plain(lang, "notify_me.on_button"), "the answer shows they are on the list"


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_product_the_shop_does_not_sell_is_named_as_such(shop: Any, lang: str) -> None:
    user = await shopper(shop, WHO[lang], lang)
    ask = ASK[lang]["unknown"]
    answer = await _answer(user, ask)
    assert (answer.text or "") == t_plain(lang, "support.stock.unknown", name=UNKNOWN[lang]), answer.text
    assert labels(answer) == [_search_label(lang, ask)], labels(answer)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_words_that_fit_several_products_list_the_top_few_with_their_stock(shop: Any, lang: str) -> None:
    user = await shopper(shop, WHO[lang], lang)
    answer = await _answer(user, ASK[lang]["tea"])
    lines = (answer.text or "").splitlines()
    assert lines[0] == t_plain(lang, "support.stock.several", name=TEA[lang]), lines
    assert len(lines) == 4 and all(line.startswith("• ") for line in lines[1:]), lines
    opens = [label for label in labels(answer) if label.startswith(t_plain(lang, "support.stock.open", title=""))]
    assert len(opens) == len(lines) - 1, labels(answer)
