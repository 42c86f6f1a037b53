"""Catalog handlers (being built)."""

from aiogram import Router

router = Router(name="catalog")
