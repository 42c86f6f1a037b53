"""A shopper who used /forgetme and comes back is a fresh customer, not half a ghost: their next update in the
private chat (other than /mydata or /forgetme themselves) clears the erasure mark and stores their current
Telegram name and language, so /subscribe really brings flash-sale alerts, and /mydata shows the new profile
only. End to end through the emulator; the store part on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from bot.emulator.client import MessageView, UserHandle
from bot.middlewares import PRIVACY_LINKS
from bot.sandbox import Stack
from bot.views.orders import PERSONAL_PREFIX
from store import broadcasts, flashsale, privacy, users
from store.db import Database
from store.flashsale import buyers
from store.flashsale.lifecycle import _subscribers
from store.models import User
from store.models.growth import PointsAccount
from tests.conftest import ADMIN_ID
from tests.delivery.helpers import shopper, text_of
from tests.flashsale.helpers import make_product
from tests.flashsale.test_flash_e2e import _card, _job_id


async def _mydata(user: UserHandle) -> dict[str, Any]:
    await user.send("/mydata")
    export = await user.last_message()
    assert export is not None and export.document is not None
    data: dict[str, Any] = json.loads(export.document.data)
    return data


async def _forget(user: UserHandle) -> None:
    await user.send("/forgetme")
    await user.tap("Yes, erase my data")
    assert "erased" in text_of(await user.last_message()).lower()  # type: ignore[arg-type]


async def test_returning_shopper_gets_flash_alerts_and_a_fresh_profile(shop: Stack) -> None:
    await make_product(shop.db, "RICE-1", stock=10)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    alice = await shopper(shop, "Alice Smith")
    await shop.client.group("Neighbours", members=[alice], bot_admin=True)
    await alice.send("/subscribe")
    await _forget(alice)

    # Checking that the erasure worked does not undo it.
    data = await _mydata(alice)
    assert data["user"]["first_name"] == "" and data["user"]["erased_at"], data["user"]

    # Later she comes back, under another Telegram name.
    person = shop.emulator.emulator.users[alice.id]
    person.first_name, person.last_name, person.username = "Beatrix", None, "bea"
    await alice.send("/start")
    await alice.send("/subscribe")
    assert "announcements" in text_of(await alice.last_message())  # type: ignore[arg-type]

    await ada.send("/flash_create sku=RICE-1 price=19.90 stock=2 start=+1h end=+2h limit=1 groups=all")
    sale = (await flashsale.list_sales(shop.db))[0]
    # The start, then the public start (tiers with early access hear first; she has no tier).
    for key in (flashsale.start_key(sale.id), flashsale.public_key(sale.id)):
        assert await shop.app.scheduler.fire(await _job_id(shop.db, key))  # type: ignore[union-attr]
    alert: MessageView = await _card(alice, None, shop)
    assert "¥19.90" in (alert.text or "") and alert.buttons

    data = await _mydata(alice)
    profile = data["user"]
    assert (profile["first_name"], profile["last_name"], profile["username"]) == ("Beatrix", None, "bea")
    assert profile["erased_at"] is None and profile["contact_name"] is None and profile["phone"] is None
    assert "Alice" not in json.dumps(data) and "Smith" not in json.dumps(data), "nothing erased comes back"
    assert data["flash_sale_alerts"] == {"subscribed": True}


async def test_privacy_links_follow_the_group_deep_links() -> None:
    assert (f"{PERSONAL_PREFIX}_mydata", f"{PERSONAL_PREFIX}_forgetme") == PRIVACY_LINKS


async def test_store_return_after_erasure(any_db: Database) -> None:
    alice = await users.ensure_user(any_db, 42, "Alice", "Smith", "alice", "en")
    assert alice.is_new
    async with any_db.tx() as session:
        session.add(PointsAccount(user_id=42, balance=120))
    created = (await users.get_user(any_db, 42)).created_at  # type: ignore[union-attr]
    await buyers.set_subscribed(any_db, 42, True)
    await privacy.forget_user(any_db, 42)

    # An update that does not prove she is back (a group tap, /mydata) leaves her erased and nameless.
    seen = await users.ensure_user(any_db, 42, "Alice", "Smith", "alice", "en", reachable=False, returning=False)
    assert seen.erased and seen.first_name == ""
    assert not await users.back_in_private(any_db, users.NewUser(42, "Alice", None, None, "en"), returning=False)

    await buyers.set_subscribed(any_db, 42, True)
    async with any_db.read() as session:
        assert 42 not in await _subscribers(session), "still erased: no alerts"
    assert await broadcasts.audience_size(any_db, "flash") == 0

    back = await users.ensure_user(any_db, 42, "Bea", None, "bea", "zh", returning=True)
    assert not back.erased and not back.is_new and back.language == "zh" and back.first_name == "Bea"
    row = await users.get_user(any_db, 42)
    assert (
        row is not None
        and row.erased_at is None
        and (row.first_name, row.last_name, row.username)
        == (
            "Bea",
            None,
            "bea",
        )
    )
    assert row.created_at == created, "a return is not a new user (referral rewards look at created_at)"
    async with any_db.read() as session:
        assert 42 in await _subscribers(session)
        assert (await session.get(PointsAccount, 42)).balance == 120  # type: ignore[union-attr]
    assert await broadcasts.audience_size(any_db, "flash") == 1


async def test_store_return_seen_by_another_process(any_db: Database) -> None:
    """/start in a process that remembers the shopper from before the erasure: one read finds the mark."""
    await users.ensure_user(any_db, 7, "Carol", None, None, "en")
    await privacy.forget_user(any_db, 7)
    assert await users.back_in_private(any_db, users.NewUser(7, "Cleo", None, "cleo", "en"), returning=True)
    row = await users.get_user(any_db, 7)
    assert row is not None and row.erased_at is None and row.first_name == "Cleo" and row.username == "cleo"
    assert not await users.back_in_private(any_db, users.NewUser(7, "Cleo", None, "cleo", "en"), returning=True)


async def test_erased_user_row_has_no_name(any_db: Database) -> None:
    await users.ensure_user(any_db, 9, "Dan", None, None, "en")
    await privacy.forget_user(any_db, 9)
    async with any_db.read() as session:
        row = await session.get(User, 9)
        assert row is not None and row.first_name == "" and row.erased_at is not None
