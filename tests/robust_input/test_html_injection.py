"""HTML injection (issue 9, item 11): messages are sent with parse_mode HTML, so every value put into a template
is escaped by the translator. Every template that takes parameters renders hostile values into text Telegram
accepts, showing them literally; a product titled like markup goes through the group-buy wizard, the
published message and the admin's leaders section intact."""

from __future__ import annotations

import itertools
import string

import pytest
from sqlalchemy import update

from bot.emulator.client import UserHandle
from bot.emulator.entities import parse_html
from bot.i18n import LANGUAGES, Html, catalogue, escape, placeholders, t, t_plain
from bot.sandbox import Stack
from store import users
from store.models import Product
from tests.conftest import ADMIN_ID
from tests.groupbuy.helpers import make_product

HOSTILE = ("<b>", "&", '<a href="javascript:x">', "*_[", "Tom & Jerry </b>", "<i>x</i> &lt &#", "a > b < c")
TITLE = '<b>Tom & Jerry</b> <a href="javascript:x">'


def templated_keys(lang: str) -> list[str]:
    return sorted(key for key, template in catalogue(lang).items() if placeholders(template))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_template_renders_hostile_values_as_text(lang: str) -> None:
    keys = templated_keys(lang)
    assert len(keys) > 100  # the whole catalogue, not a sample
    values = itertools.cycle(HOSTILE)
    for key in keys:
        template = catalogue(lang)[key]
        # A plural field is a count by contract ({n:plural:...}): it gets a number, the rest hostile text.
        counts = {f for _, f, spec, _ in string.Formatter().parse(template) if f and (spec or "").startswith("plural:")}
        params: dict[str, object] = {name: 7 if name in counts else next(values) for name in placeholders(template)}
        text = t(lang, key, **params)
        plain, _entities = parse_html(text)  # raises "can't parse entities" like Telegram
        for value in params.values():
            assert str(value) in plain, (key, value, text)


def test_escaping_keeps_entities_and_fragments() -> None:
    assert escape("Tom & Jerry <b>") == "Tom &amp; Jerry &lt;b&gt;"
    assert escape("Tom &amp; Jerry") == "Tom &amp; Jerry"  # a caller's own escaping is not doubled
    assert escape(Html("<b>bold</b>")) == "<b>bold</b>"
    nested = t("en", "groupbuy.progress", joined=1, target=2, cap="", left=t("en", "groupbuy.left.minutes", m="<5>"))
    assert parse_html(nested)[0] == "📊 1 joined · 2 needed, <5>m left"
    assert t_plain("en", "search.open", n=1, title="Tom & Jerry", price="¥1") == "1. Tom & Jerry · ¥1"


async def started(shop: Stack, name: str, lang: str = "en", id: int | None = None) -> UserHandle:
    user = await shop.client.user(name, lang=lang, id=id)
    await user.send("/start")
    return user


async def last_text(user: UserHandle) -> str:
    message = await user.last_message()
    return (message.text or message.caption or "") if message is not None else ""


async def test_a_product_titled_like_markup_survives_the_group_buy_flow(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    product_id = await make_product(shop.db, stock=40, price=10000, sku="GB-TOM")
    async with shop.db.tx() as session:
        await session.execute(update(Product).where(Product.id == product_id).values(title_en=TITLE))
    lena = await started(shop, "Lena")
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group("Neighbours", members=[lena], bot_admin=True)

    await lena.send("/groupbuy", chat=group)
    picker = await lena.last_message()
    assert picker is not None and any(TITLE in b.text for row in picker.buttons for b in row)
    await lena.send("GB-TOM")
    assert f"«{TITLE}» costs ¥100.00" in await last_text(lena)  # the wizard prompt
    for answer in ("3+ 10%", "2 10 1", "24h"):
        await lena.send(answer)
    await lena.tap("No pickup point")
    assert f"Product: {TITLE} (regular ¥100.00)" in await last_text(lena)  # the summary
    await lena.tap("Publish")
    published = await last_text(lena)
    assert f"«{TITLE}» is live in the group" in published, published
    card = [m for m in await shop.client.messages(group.id) if m.from_bot][-1]
    assert TITLE in (card.text or card.caption or "")

    ada = await started(shop, "Ada", id=ADMIN_ID)
    await ada.send("/admin")
    await ada.tap("👥 Leaders & group buys")
    section = await last_text(ada)
    assert f"{TITLE} · 0 joined · 2 needed · up to 10 people" in section, section
    assert "Leaders: Lena" in section
