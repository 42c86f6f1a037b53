"""All tables. Importing this package registers every model on Base.metadata (Alembic reads it)."""

from store.models.base import Base, UTCDateTime, utcnow
from store.models.catalog import CartItem, Category, Product
from store.models.orders import Order, OrderEvent, OrderItem, Payment
from store.models.runtime import ConversationState, OutboxMessage, ScheduledJob
from store.models.users import Chat, Role, User

__all__ = [
    "Base",
    "CartItem",
    "Category",
    "Chat",
    "ConversationState",
    "Order",
    "OrderEvent",
    "OrderItem",
    "OutboxMessage",
    "Payment",
    "Product",
    "Role",
    "ScheduledJob",
    "UTCDateTime",
    "User",
    "utcnow",
]


def _import_feature_models() -> None:
    # Feature modules (group buys, loyalty, support, ...) add their tables by adding a module here;
    # importing them all keeps Alembic's metadata complete without a central list to edit.
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_import_feature_models()
