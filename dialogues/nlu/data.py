"""Loading the Rasa 3.x YAML training data (one `nlu_<lang>.yml` file per language)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"

INTENTS: tuple[str, ...] = (
    "greet",
    "goodbye",
    "thanks",
    "track_order",
    "cancel_order",
    "change_order_or_address",
    "refund_request",
    "return_policy",
    "delivery_time",
    "delivery_cost",
    "delivery_options",
    "pickup_points",
    "payment_methods",
    "payment_problem",
    "payment_double_charge",
    "invoice_request",
    "coupon_question",
    "promotions",
    "product_availability",
    "group_buy_rules",
    "flash_sale_rules",
    "points_question",
    "checkin_question",
    "referral_question",
    "account_question",
    "complaint",
    "human_agent",
    "privacy_question",
    "contact_hours",
    "contact",
)

_FILE_RE = re.compile(r"^nlu_([a-z]{2})\.ya?ml$")
# Rasa annotates entities inline as [text](entity) or [text]{"entity": ...}; keep only the surface text.
_ENTITY_RE = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


class TrainingDataError(ValueError):
    pass


def data_files(data_dir: Path | None = None) -> list[Path]:
    """The per-language NLU files in `data_dir`, sorted so hashing and loading are deterministic."""
    directory = data_dir or DEFAULT_DATA_DIR
    return sorted(p for p in directory.iterdir() if p.is_file() and _FILE_RE.match(p.name))


def file_language(path: Path) -> str:
    match = _FILE_RE.match(path.name)
    if match is None:
        raise TrainingDataError(f"{path.name}: expected a name like nlu_en.yml")
    return match.group(1)


def data_hash(data_dir: Path | None = None, extra: str = "") -> str:
    """Content hash of all training files; a cached model is valid only for the same hash."""
    digest = hashlib.sha256(extra.encode())
    for path in data_files(data_dir):
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def parse_examples(block: str) -> list[str]:
    examples = []
    for line in block.splitlines():
        stripped = line.strip()
        if not stripped.startswith("- "):
            continue
        text = _ENTITY_RE.sub(r"\1", stripped[2:].strip())
        if text:
            examples.append(text)
    return examples


def load_file(path: Path) -> list[tuple[str, str, str]]:
    lang = file_language(path)
    doc: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or not isinstance(doc.get("nlu"), list):
        raise TrainingDataError(f"{path.name}: missing top-level 'nlu:' list")
    rows: list[tuple[str, str, str]] = []
    for item in doc["nlu"]:
        # Rasa allows synonym/regex/lookup entries in the same list; only intents train the classifier.
        if not isinstance(item, dict) or "intent" not in item:
            continue
        examples = item.get("examples")
        if not isinstance(examples, str):
            raise TrainingDataError(f"{path.name}: intent {item['intent']!r} has no 'examples: |' block")
        rows.extend((text, str(item["intent"]), lang) for text in parse_examples(examples))
    return rows


def load_training_data(data_dir: Path | None = None) -> list[tuple[str, str, str]]:
    """All `(text, intent, lang)` examples from the `nlu_<lang>.yml` files in `data_dir`."""
    files = data_files(data_dir)
    if not files:
        raise TrainingDataError(f"no nlu_<lang>.yml files in {data_dir or DEFAULT_DATA_DIR}")
    rows: list[tuple[str, str, str]] = []
    for path in files:
        rows.extend(load_file(path))
    return rows
