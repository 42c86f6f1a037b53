"""Training data and FAQ responses: both languages complete and consistent."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from dialogues.nlu.data import DEFAULT_DATA_DIR, INTENTS, load_file, load_training_data
from dialogues.nlu.responses import FALLBACK_KEYS, PLACEHOLDERS, load_responses, placeholders, render

LANGS = ("en", "zh")
MIN_EXAMPLES = 25
SAMPLE_VALUES = {
    "delivery_fee": "¥8.00",
    "free_delivery_over": "¥99.00",
    "delivery_days": "1-3",
    "return_days": "7",
    "hours": "Mon-Sat 9:00-21:00",
    "pickup_points": "North Gate; Building 3 lobby",
    "pickup_point_details": "North Gate, 1 Market Street: 09:00-21:00 UTC+8",
    "payment_methods": "card, WeChat Pay",
    "shop_name": "GroupCart Demo",
    "support_hint": "send /support",
    "contact_details": "Phone: +86 400 800 1234",
}


@pytest.mark.parametrize("lang", LANGS)
def test_data_file_is_rasa_3_yaml(lang: str) -> None:
    path = DEFAULT_DATA_DIR / f"nlu_{lang}.yml"
    assert path.exists(), f"{path.name} is missing"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert str(doc["version"]) == "3.1"
    for item in doc["nlu"]:
        assert set(item) == {"intent", "examples"}, item
        assert isinstance(item["examples"], str), item["intent"]
        lines = [line for line in item["examples"].splitlines() if line.strip()]
        assert all(line.startswith("- ") for line in lines), item["intent"]


@pytest.mark.parametrize("lang", LANGS)
def test_every_intent_has_enough_examples(lang: str) -> None:
    rows = load_file(DEFAULT_DATA_DIR / f"nlu_{lang}.yml")
    counts = Counter(intent for _, intent, _ in rows)
    assert set(counts) == set(INTENTS), {"missing": set(INTENTS) - set(counts), "extra": set(counts) - set(INTENTS)}
    thin = {intent: n for intent, n in counts.items() if n < MIN_EXAMPLES}
    assert not thin, f"fewer than {MIN_EXAMPLES} {lang} examples: {thin}"


def test_no_example_is_labelled_with_two_intents() -> None:
    labels: dict[str, set[str]] = {}
    for text, intent, _ in load_training_data():
        labels.setdefault(text.strip().lower(), set()).add(intent)
    clashes = {text: intents for text, intents in labels.items() if len(intents) > 1}
    assert not clashes


def test_loader_strips_entity_annotations(tmp_path: Path) -> None:
    (tmp_path / "nlu_en.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: track_order\n  examples: |\n'
        "    - where is order [4412](order_id)\n    - track it\n"
        "- synonym: parcel\n  examples: |\n    - package\n",
        encoding="utf-8",
    )
    assert load_training_data(tmp_path) == [
        ("where is order 4412", "track_order", "en"),
        ("track it", "track_order", "en"),
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_responses_cover_every_intent_and_fallback(lang: str) -> None:
    responses = load_responses(lang)
    expected = set(INTENTS) | set(FALLBACK_KEYS)
    assert set(responses) == expected, {"missing": expected - set(responses), "extra": set(responses) - expected}
    for key, text in responses.items():
        assert text, key
        assert placeholders(text) <= PLACEHOLDERS, (key, placeholders(text) - PLACEHOLDERS)
        rendered = render(text, SAMPLE_VALUES)
        assert "{" not in rendered, (key, rendered)


def test_response_placeholders_match_between_languages() -> None:
    en, zh = load_responses("en"), load_responses("zh")
    mismatched = {
        key: (placeholders(en[key]), placeholders(zh[key]))
        for key in en.keys() & zh.keys()
        if placeholders(en[key]) != placeholders(zh[key])
    }
    assert not mismatched


def test_render_fills_shop_values_and_keeps_unknown_placeholders() -> None:
    text = load_responses("en")["delivery_cost"]
    rendered = render(text, SAMPLE_VALUES)
    assert "¥8.00" in rendered and "¥99.00" in rendered
    assert render("open {hours}", {}) == "open {hours}"
