"""A shopper with an invoice in hand, outages timed to the moment Telegram delivers the payment, and the checks
every scenario ends with (one paid order, the buyer told "paid" and never "nothing was charged", stock right)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from bot.emulator.client import EmulatorClient, MessageView, UserHandle
from bot.emulator.server import RunningEmulator
from store.db import Database
from store.models import Order, Payment
from tests.orders.helpers import fill_cart, make_product, stock_of

STOCK = 5
BOUGHT = 2
PAID_NOTE = "Payment received"
RECORDING_NOTE = "We are recording it"
APOLOGIES = ("Nothing was charged", "something went wrong")


async def invoice_in_hand(client: EmulatorClient, db: Database, name: str = "Alice") -> tuple[UserHandle, int]:
    """A never-seen shopper checks out 2 of a ¥25.00 tea (5 in stock) for pickup by card: the invoice is open."""
    tea = await make_product(db, "TEA-1", price=2500, stock=STOCK)
    await client.set_flood_limits(False)
    alice = await client.user(name, lang="en")
    await alice.send("/start")
    await fill_cart(db, alice.id, {tea: BOUGHT})
    await alice.send("/checkout")
    await alice.tap("Pick up: Central Store")
    await alice.tap("by card")
    invoice = await alice.last_message()
    assert invoice is not None and invoice.invoice is not None, "checkout did not end with an invoice"
    assert await stock_of(db, tea) == STOCK - BOUGHT
    return alice, tea


def at_payment_delivery(emulator: RunningEmulator, action: Callable[[], Awaitable[None]]) -> None:
    """Run `action` (stop a server ...) after Telegram charged the buyer, just before it delivers the
    successful_payment update to the bot."""
    queue = emulator.emulator.queue
    original = queue.push

    async def push(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        if kind == "message" and "successful_payment" in payload:
            queue.push = original  # type: ignore[method-assign]
            await action()
        return await original(kind, payload)

    queue.push = push  # type: ignore[method-assign]


async def bot_texts(user: UserHandle) -> list[str]:
    return [m.text or m.caption or "" for m in await user.messages() if m.from_bot]


async def wait_bot_says(client: EmulatorClient, user: UserHandle, needle: str, timeout: float = 20.0) -> MessageView:
    async def find() -> MessageView | None:
        for message in reversed(await user.messages()):
            if message.from_bot and needle in (message.text or message.caption or ""):
                return message
        return None

    found: MessageView = await client.wait_for(find, timeout=timeout)
    return found


async def assert_paid_once(client: EmulatorClient, db: Database, user: UserHandle, product_id: int) -> None:
    await wait_bot_says(client, user, PAID_NOTE)
    async with db.read() as session:
        rows = list((await session.execute(select(Payment))).scalars())
        orders = list((await session.execute(select(Order))).scalars())
    assert [(p.status, p.amount, p.currency) for p in rows] == [("paid", 5000, "CNY")]
    assert [(o.status, o.user_id) for o in orders] == [("paid", user.id)]
    assert await stock_of(db, product_id) == STOCK - BOUGHT
    texts = await bot_texts(user)
    assert sum(PAID_NOTE in text for text in texts) == 1, texts
    assert not any(apology.lower() in text.lower() for text in texts for apology in APOLOGIES), texts


class DatabaseOutage:
    """Every statement on `db` fails while `down` (both engines), as when the database cannot be reached."""

    def __init__(self, db: Database) -> None:
        self.down = False
        self.failures = 0
        for engine in db.engines:
            event.listen(engine.sync_engine, "before_cursor_execute", self._check)

    def _check(self, *_args: Any) -> None:
        if self.down:
            self.failures += 1
            raise OperationalError("(injected outage)", None, ConnectionRefusedError("database unreachable"))
