"""FAQ answers per intent (dialogues/responses/<lang>.yml); keys listed in dialogues/RESPONSES_KEYS.md."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import yaml

DEFAULT_RESPONSES_DIR = Path(__file__).resolve().parent.parent / "responses"

FALLBACK_KEYS = ("fallback_rephrase", "fallback_human")
PLACEHOLDERS = frozenset(
    {
        "delivery_fee",
        "free_delivery_over",
        "delivery_days",
        "return_days",
        "hours",
        "pickup_points",
        "pickup_point_details",
        "payment_methods",
        "shop_name",
        "support_hint",
        "contact_details",
    }
)


def load_responses(lang: str, responses_dir: Path | None = None) -> dict[str, str]:
    path = (responses_dir or DEFAULT_RESPONSES_DIR) / f"{lang}.yml"
    doc: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or not all(isinstance(v, str) for v in doc.values()):
        raise ValueError(f"{path}: expected a flat mapping of key: text")
    return {str(k): v.strip() for k, v in doc.items()}


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def render(template: str, values: dict[str, str]) -> str:
    """Fill a response; placeholders absent from `values` stay visible instead of raising."""
    return template.format_map(_KeepMissing(values))


class _KeepMissing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
