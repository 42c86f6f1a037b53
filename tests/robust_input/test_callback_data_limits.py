"""Every callback-data factory in bot/callbacks/ packs its widest possible value within Telegram's 64 bytes, so
no keyboard builder can raise "Resulted callback data is too long!" (issue 9, item 4).

The widest values come from where each field's value is made: database ids are 32-bit integers (INTEGER
primary keys), user and chat ids 64-bit, pickup point ids `[a-z0-9_-]{1,32}` (config), coupon codes 32 ASCII
characters (store.growth.coupons.validate_spec), checkout tokens 8 hex digits. A new factory must be added
to WIDEST (the last test finds factories missing from it).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from aiogram.filters.callback_data import CallbackData

import bot.callbacks
from bot.app import standard_wiring
from bot.callbacks.admin import AdminListCB, AdminMenuCB, AdminOrderCB, AdminRefundCB
from bot.callbacks.admin_flash import FlashWizardCB
from bot.callbacks.cart import CartCB
from bot.callbacks.catalog import CategoryCB, ProductCB
from bot.callbacks.checkout import CheckoutCB
from bot.callbacks.common import LangCB, MenuCB
from bot.callbacks.flashsale import FlashAdminCB, FlashBuyCB, FlashPayCB, FlashReceiptCB
from bot.callbacks.groupbuy import GroupBuyCB, LeaderCB, PriceEditCB, WizardCB
from bot.callbacks.growth import GrowthCB
from bot.callbacks.nlu import HUMAN_BUTTON, DidYouMeanCB
from bot.callbacks.ops import (
    AnalyticsCB,
    AuditCB,
    BroadcastCB,
    DraftCB,
    OldRestockCB,
    RestockCB,
    StockCB,
    ThresholdCB,
    WatchCB,
)
from bot.callbacks.orders import OrderCB, PrivacyCB
from bot.callbacks.search import SearchCB
from bot.callbacks.social import DigestCB, ForYouCB, ReviewCB, WishCB
from bot.callbacks.support import SupCB, SupStatsCB
from bot.emulator.rules import CALLBACK_DATA_LIMIT
from store.cart import COUNT_MODULUS
from store.errors import DomainError
from store.groupbuy import MAX_PARTICIPANTS
from store.growth.coupons import CouponSpec, validate_spec

ID = 2_147_483_647  # INTEGER primary keys
BIG = -(2**53)  # user and chat ids: Telegram promises at most 52 significant bits; callback ids allow 2**53
POINT_ID = "p" * 32
COUPON = "C" * 32


def _widest_section() -> str:
    return max((section.key for section in standard_wiring().sections()), key=len)


WIDEST: dict[type[CallbackData], list[CallbackData]] = {
    AdminMenuCB: [AdminMenuCB(section="home")],
    AdminListCB: [AdminListCB(kind="refunds")],
    AdminOrderCB: [AdminOrderCB(action="refund_yes", order_id=ID, q="shipped")],
    AdminRefundCB: [AdminRefundCB(action="retry", payment_id=ID)],
    CartCB: [CartCB(a="clear", p=ID, v=ID, q=ID)],
    CategoryCB: [CategoryCB(c=ID, s=ID, n=ID, b=True)],
    ProductCB: [ProductCB(a="open", p=ID, v=ID, q=9999, s=ID, n=99_999, o="x", c=COUNT_MODULUS)],
    CheckoutCB: [CheckoutCB(action="nocoupon", token="f" * 8, value=POINT_ID)],
    MenuCB: [MenuCB(action="language")],
    LangCB: [LangCB(code="en")],
    FlashBuyCB: [FlashBuyCB(sale_id=ID)],
    FlashPayCB: [FlashPayCB(order_id=ID)],
    FlashReceiptCB: [FlashReceiptCB(order_id=ID, r=POINT_ID)],
    FlashAdminCB: [FlashAdminCB(action="cancel", sale_id=ID)],
    FlashWizardCB: [FlashWizardCB(a="price", v=str(ID)), FlashWizardCB(a="start", v="now")],
    GroupBuyCB: [GroupBuyCB(a="q", g=ID, v=ID)],
    WizardCB: [WizardCB(a="pick", v=POINT_ID), WizardCB(a="prod", v=str(ID))],
    LeaderCB: [LeaderCB(a="cancel_yes", g=ID, v=ID)],
    # The tier editor's widest value: the last tier's people at the most a tier may need.
    PriceEditCB: [PriceEditCB(a="save", g=ID), PriceEditCB(a="tn", g=ID, v=f"4.{MAX_PARTICIPANTS + 1}")],
    GrowthCB: [GrowthCB(action="buy", value=COUPON), GrowthCB(action="remind", value="off")],
    DidYouMeanCB: [DidYouMeanCB(q=ID, n=HUMAN_BUTTON)],
    OrderCB: [OrderCB(action="cancel_yes", order_id=ID)],
    PrivacyCB: [PrivacyCB(action="forget")],
    SearchCB: [SearchCB(s="A" * 16, i=99)],
    SupCB: [SupCB(a="asgto", t=ID, v=BIG)],
    SupStatsCB: [SupStatsCB(days=99_999)],
    WishCB: [WishCB(a="list", p=ID, n=ID)],
    RestockCB: [RestockCB(a="custom", p=ID, n=ID, c=ID)],
    OldRestockCB: [OldRestockCB(a="custom", p=ID, n=ID)],
    StockCB: [StockCB(a="card", p=ID, v=ID), StockCB(a="dflt", p=ID, v=ID)],
    ThresholdCB: [ThresholdCB(a="save", p=ID, v=ID, o=ID), ThresholdCB(a="dflt", p=ID, v=-ID, o=-ID)],
    WatchCB: [WatchCB(p=ID)],
    AuditCB: [AuditCB(b=ID)],
    BroadcastCB: [
        BroadcastCB(a="optout", v="flash", d=ID),
        BroadcastCB(a="cancel", v="all", d=ID),
        BroadcastCB(a="resume", d=ID),
    ],
    DraftCB: [DraftCB(a="noprod", v=str(ID), d=ID, r=ID), DraftCB(a="pp", v=str(ID), d=ID, r=ID)],
    AnalyticsCB: [AnalyticsCB(days=ID), AnalyticsCB(k="lm")],
    ForYouCB: [ForYouCB(a="show")],
    ReviewCB: [ReviewCB(a="list", p=ID, n=ID, l=ID, s=5, r=ID)],
    DigestCB: [DigestCB(a="off")],
}


@pytest.mark.parametrize("factory", list(WIDEST), ids=lambda f: f.__name__)
def test_widest_value_fits(factory: type[CallbackData]) -> None:
    for instance in WIDEST[factory]:
        assert len(instance.pack().encode()) <= CALLBACK_DATA_LIMIT, instance.pack()


def test_admin_sections_fit() -> None:
    assert len(AdminMenuCB(section=_widest_section()).pack().encode()) <= CALLBACK_DATA_LIMIT


def test_coupon_codes_are_ascii_so_a_points_shop_button_fits() -> None:
    """A 32-character Chinese code was 96 bytes: the points shop's Buy button could not be built."""
    with pytest.raises(DomainError):
        validate_spec(CouponSpec(code="优" * 32, kind="percent", value=10))
    validate_spec(CouponSpec(code=COUPON, kind="percent", value=10))


def test_every_factory_is_audited() -> None:
    found = set()
    for module_info in pkgutil.iter_modules(bot.callbacks.__path__):
        module = importlib.import_module(f"bot.callbacks.{module_info.name}")
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, CallbackData) and value is not CallbackData and value.__module__ == module.__name__:
                found.add(value)
    assert found == set(WIDEST)
