"""Personal data: export (/mydata) and erasure (/forgetme).

Erasure clears the contact details (name, phone, address) on the user row and on every order, and stamps
users.erased_at; the orders themselves stay, anonymised, because the shop must keep its accounting records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from store.db import Database
from store.errors import DomainError
from store.models import Order, OrderItem, Payment, User, utcnow


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def export_user_data(db: Database, user_id: int) -> dict[str, Any]:
    """Everything the shop core stores about the user, as JSON-ready data."""
    async with db.read() as session:
        user = await session.get(User, user_id)
        if user is None:
            raise DomainError("unknown_user")
        order_rows = (
            (await session.execute(select(Order).where(Order.user_id == user_id).order_by(Order.id))).scalars().all()
        )
        ids = [o.id for o in order_rows]
        items = (
            (await session.execute(select(OrderItem).where(OrderItem.order_id.in_(ids)).order_by(OrderItem.id)))
            .scalars()
            .all()
            if ids
            else []
        )
        paid = (
            (await session.execute(select(Payment).where(Payment.order_id.in_(ids)).order_by(Payment.id)))
            .scalars()
            .all()
            if ids
            else []
        )
    return {
        "user": {
            "id": user.id,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "username": user.username,
            "language": user.language,
            "created_at": _iso(user.created_at),
            "contact_name": user.contact_name,
            "phone": user.phone,
            "address": user.address,
            "erased_at": _iso(user.erased_at),
        },
        "orders": [
            {
                "id": o.id,
                "status": o.status,
                "created_at": _iso(o.created_at),
                "currency": o.currency,
                "total": o.total,
                "payment_method": o.payment_method,
                "delivery_method": o.delivery_method,
                "pickup_point": o.pickup_point,
                "contact_name": o.contact_name,
                "phone": o.phone,
                "address": o.address,
                "items": [
                    {"sku": i.sku, "title": i.title_en, "quantity": i.quantity, "unit_price": i.unit_price}
                    for i in items
                    if i.order_id == o.id
                ],
                "payments": [
                    {"method": p.method, "amount": p.amount, "currency": p.currency, "status": p.status}
                    for p in paid
                    if p.order_id == o.id
                ],
            }
            for o in order_rows
        ],
    }


@dataclass(frozen=True)
class Erasure:
    orders_anonymised: int


async def forget_user(db: Database, user_id: int) -> Erasure:
    async with db.tx() as session:
        user = await session.get(User, user_id)
        if user is None:
            raise DomainError("unknown_user")
        user.contact_name = None
        user.phone = None
        user.address = None
        user.erased_at = utcnow()
        result = await session.execute(
            update(Order)
            .where(Order.user_id == user_id)
            .values(contact_name=None, phone=None, address=None)
            .execution_options(synchronize_session=False)
        )
        return Erasure(int(getattr(result, "rowcount", 0) or 0))
