"""/mydata covers every feature's data about the user; /forgetme erases the personal parts everywhere."""

from __future__ import annotations

from store import groupbuy, privacy, support
from store.db import Database
from store.growth import checkin
from tests.groupbuy.helpers import make_product, make_users, publish


async def test_export_and_erasure_reach_group_buys_support_and_the_assistant(db: Database) -> None:
    await make_users(db, [1, 42])
    product_id = await make_product(db, stock=5)
    view = await publish(db, product_id, pickup=None)
    await groupbuy.join(db, view.id, 42)
    await groupbuy.set_delivery(
        db, view.id, 42, "delivery", groupbuy.parse_contact("Ann Lee, +8613800000000, 9 Elm St", "CN")
    )
    await checkin.check_in(db, 42)
    await support.record_turn(db, 42, "shopper", "my address is 9 Elm St, where is my parcel?")
    ticket = (await support.open_ticket(db, 42, support_chat_id=-1001, take_sla_minutes=10)).ticket
    await support.record_shopper_message(
        db, ticket.id, 42, kind="text", text="call me on +8613800000000", reply_sla_minutes=15
    )

    exported = await privacy.export_user_data(db, 42)
    assert exported["loyalty"]["points"] == 10 and exported["loyalty"]["check_ins"] == 1
    assert exported["group_buys"][0]["address"] == "9 Elm St"
    assert exported["support_tickets"][0]["id"] == ticket.id
    assert "9 Elm St" in exported["messages_to_assistant"][0]["text"]

    await privacy.forget_user(db, 42)
    kept = await privacy.export_user_data(db, 42)
    # The buy is still open: a successful one makes her order from these details (store.privacy).
    assert kept["group_buys"][0]["address"] == "9 Elm St"
    await groupbuy.cancel(db, view.id, 1, is_admin=False)
    erased = await privacy.export_user_data(db, 42)
    assert erased["group_buys"][0]["address"] is None and erased["group_buys"][0]["phone"] is None
    assert erased["messages_to_assistant"] == []
    assert all("+8613800000000" not in line.text for line in await support.transcript(db, ticket.id))
    assert erased["loyalty"]["points"] == 10, "points are not personal data and stay"
