"""The /admin menu is shared by features: each declares a section (a button) and handles its own callback
data; the composition root lists the sections (bot/app.py) and handlers/admin.py renders them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AdminSection:
    key: str  # short id used in callback data
    label_key: str  # locale key of the button label
    role: str = "admin"  # who sees it (admin sees everything)
    order: int = 100
