"""Conversation states of checkout and of the admin's typed inputs. The state and its data live in the
database storage (bot/fsm_storage.py), so a checkout in progress survives a restart."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class CheckoutSG(StatesGroup):
    delivery = State()  # delivery or which pickup point
    contact_choice = State()  # re-use the saved contact or enter a new one
    name = State()
    phone = State()
    address = State()
    summary = State()  # coupon / points / payment method
    coupon = State()  # typing a coupon code


class AdminSG(StatesGroup):
    stock = State()  # typing "SKU +5"


# FSM data keys of a checkout (one place, so handlers and tests agree).
TOKEN = "ck_token"
DELIVERY = "ck_delivery"
POINT = "ck_point"
NAME = "ck_name"
PHONE = "ck_phone"
ADDRESS = "ck_address"
COUPON = "ck_coupon"
POINTS = "ck_points"
POINTS_TAKEN = "ck_points_taken"  # the last summary showed points taking something off (its button reads "on")
EXPECTED_TOTAL = "ck_total"
EXPECTED_CURRENCY = "ck_currency"
ORDER_ID = "ck_order"
ASKED = "ck_asked"  # the last typed text answered as a question (sent again, it is taken as the answer)
