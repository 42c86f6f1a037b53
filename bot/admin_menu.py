"""The /admin menu is shared by features: each registers a section (a button) and handles its own
callback data. handlers/admin.py renders the menu from this registry."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AdminSection:
    key: str  # short id used in callback data
    label_key: str  # locale key of the button label
    role: str = "admin"  # who sees it (admin sees everything)
    order: int = 100


_sections: dict[str, AdminSection] = {}


def register_section(section: AdminSection) -> None:
    _sections[section.key] = section


def sections() -> list[AdminSection]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))
