"""Issue 13: training data like real traffic, confidence that means something, bounded input, an outside check."""

from __future__ import annotations

import importlib.util
import os
import re
from collections import Counter
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from dialogues import evaluate as ev
from dialogues.nlu import FALLBACK_INTENT, BuiltinClassifier, load_training_data
from dialogues.nlu import builtin as builtin_module
from dialogues.nlu.builtin import HIGH_CONFIDENCE, HIGH_CONFIDENCE_PRECISION, MAX_INPUT_CHARS, _fit_temperature
from dialogues.nlu.data import DEFAULT_DATA_DIR, INTENTS, load_file

ROOT = Path(__file__).resolve().parents[2]
EXTERNAL = DEFAULT_DATA_DIR / "external" / "bitext_customer_support_en.csv"
# Bitext's corpus, published beside its licence (dialogues/data/README.md). A checkout without it (someone
# dropped it to ship a smaller package) skips, naming how to rebuild it; CI has it, so CI scores it.
needs_external = pytest.mark.skipif(
    not EXTERNAL.is_file() and os.environ.get("CI") != "true",
    reason=f"the outside corpus is missing; build {EXTERNAL.relative_to(ROOT)} with scripts/map_bitext.py",
)
# The bot's default nlu.threshold (config.yaml); at or above it an intent is answered.
BOT_THRESHOLD = 0.6
# Measured with the default split (seed 13): en 0.97. The issue's target is 0.85; the floor leaves room for
# data edits without letting a real regression through.
EN_ACCURACY_FLOOR = 0.90
# Measured on the external corpus's `test` half (never trained on, never used to pick training examples):
# accuracy 0.936, macro-F1 0.924. Before issue 13 the model scored 0.730 / 0.689 there.
EXTERNAL_ACCURACY_FLOOR = 0.88
EXTERNAL_MACRO_F1_FLOOR = 0.85
# Real messages the old model got wrong (issue 13); deliberately absent from the training data.
ISSUE_CHECKS = [
    ("help checking ur money back policy", "return_policy"),
    ("customer support mail", "contact"),  # asks for an address: the shop's details (was human_agent)
    ("acn i order from Canada", "delivery_options"),
    ("i dont know what to do to report an trouble with payments", "payment_problem"),
    ("information about forgotten pass", "account_question"),
]


def _normalized(text: str) -> str:
    return re.sub(r"[^\w\u4e00-\u9fff]+", " ", text.lower()).strip()


@pytest.fixture(scope="module")
def report() -> ev.EvaluationReport:
    return ev.evaluate()


@pytest.fixture(scope="module")
def classifier() -> BuiltinClassifier:
    return BuiltinClassifier.train(load_training_data())


# --- training data ---------------------------------------------------------------------------------------


def test_every_english_intent_has_150_examples() -> None:
    counts = Counter(intent for _, intent, _ in load_file(DEFAULT_DATA_DIR / "nlu_en.yml"))
    assert set(counts) == set(INTENTS)
    thin = {intent: n for intent, n in counts.items() if n < 150}
    assert not thin


def test_english_data_is_what_the_build_script_makes() -> None:
    """nlu_en.yml is generated from the hand-written sources; an edit made only to the output would be lost."""
    spec = importlib.util.spec_from_file_location("build_nlu_en", ROOT / "scripts" / "build_nlu_en.py")
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build() == (DEFAULT_DATA_DIR / "nlu_en.yml").read_text(encoding="utf-8")


@needs_external
def test_evaluation_texts_never_reach_english_training_data() -> None:
    trained = {_normalized(text) for text, _, _ in load_file(DEFAULT_DATA_DIR / "nlu_en.yml")}
    external = ev.load_external(EXTERNAL)
    assert len(external) > 4000
    leaked = [text for text, _ in external if _normalized(text) in trained]
    assert not leaked


def test_the_issues_messages_never_reach_training_data() -> None:
    everything = {_normalized(text) for text, _, _ in load_training_data()}
    assert not [text for text, _ in ISSUE_CHECKS if _normalized(text) in everything]


# --- accuracy ---------------------------------------------------------------------------------------------


def test_english_held_out_accuracy(report: ev.EvaluationReport) -> None:
    assert report.accuracy_by_lang["en"] >= EN_ACCURACY_FLOOR, ev.format_report(report)


@pytest.mark.parametrize(("text", "intent"), ISSUE_CHECKS)
def test_messages_from_the_issue_are_understood(classifier: BuiltinClassifier, text: str, intent: str) -> None:
    result = classifier.classify(text)
    assert result.intent == intent
    assert result.confidence >= BOT_THRESHOLD


@needs_external
def test_external_corpus_scores(classifier: BuiltinClassifier) -> None:
    report = ev.evaluate_external(ev.load_external(EXTERNAL, split="test"), classifier.classify)
    text = ev.format_external(report)
    assert report.accuracy >= EXTERNAL_ACCURACY_FLOOR, text
    assert report.macro_f1 >= EXTERNAL_MACRO_F1_FLOOR, text
    assert 0.0 <= report.rephrase_rate <= 0.15, text
    assert report.n_out_of_scope > 0 and 0.0 <= report.oos_rejected <= 1.0


# --- calibration ------------------------------------------------------------------------------------------


def test_confident_predictions_are_right_95_percent_on_held_out(report: ev.EvaluationReport) -> None:
    confident = [row for row in report.reliability if row.low >= HIGH_CONFIDENCE]
    n = sum(row.count for row in confident)
    right = sum(row.count * row.accuracy for row in confident)
    assert n >= 0.5 * report.n_test, "most held-out messages should be answered confidently"
    assert right / n >= 0.95, ev.format_report(report)


def test_reliability_table_covers_every_prediction(report: ev.EvaluationReport) -> None:
    assert sum(row.count for row in report.reliability) == report.n_test
    text = ev.format_report(report)
    assert "reliability" in text and "[0.90, 1.00]" in text


def test_temperature_is_lowered_until_confident_predictions_are_right() -> None:
    """Overconfident decisions: the log-loss optimum alone would leave too many wrong answers above 0.9."""
    rng = np.random.default_rng(0)
    n, classes = 2000, 5
    labels = rng.integers(0, classes, n)
    decisions = rng.normal(0, 1, (n, classes))
    decisions[np.arange(n), labels] += 3.0
    # One in six is confidently wrong: a large margin for a wrong class.
    wrong = rng.random(n) < 1 / 6
    decisions[wrong, (labels[wrong] + 1) % classes] += 6.0
    scale = _fit_temperature(decisions, labels)
    z = decisions * scale
    probs = np.exp(z - z.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    confident = probs.max(axis=1) >= HIGH_CONFIDENCE
    if confident.any():
        precision = float(np.mean(probs.argmax(axis=1)[confident] == labels[confident]))
        assert precision >= HIGH_CONFIDENCE_PRECISION


# --- bounded input ----------------------------------------------------------------------------------------


def test_megabyte_message_is_truncated_before_featurising(
    classifier: BuiltinClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    real_analyze = builtin_module.analyze

    def recording(text: str) -> list[str]:
        seen.append(len(text))
        return real_analyze(text)

    monkeypatch.setattr(builtin_module, "analyze", recording)
    huge = "where is my order??? " * 50_000
    assert len(huge) > 1_000_000
    result = classifier.classify(huge)
    assert result.intent == "track_order"
    assert seen and max(seen) <= MAX_INPUT_CHARS
    seen.clear()
    classifier.ranking(huge)
    assert seen and max(seen) <= MAX_INPUT_CHARS


@pytest.mark.parametrize("text", ["a", "k", "A", " a ", "?", "1", "42", "...", "a?", "!!!", "x."])
async def test_near_empty_input_is_not_answered(classifier: BuiltinClassifier, text: str) -> None:
    result = await classifier.parse(text)
    assert result.intent == FALLBACK_INTENT and result.confidence == 0.0


@pytest.mark.parametrize("text", ["blah blah", "lalala", "qwerty", "asdf asdf", "jkjkjk", "xyzzy plugh"])
def test_gibberish_is_below_the_bot_threshold(classifier: BuiltinClassifier, text: str) -> None:
    assert classifier.classify(text).confidence < BOT_THRESHOLD


def test_unseen_words_flatten_the_distribution(classifier: BuiltinClassifier) -> None:
    """Words the model never saw dilute the evidence instead of being ignored, as sklearn would."""
    model = classifier.model
    clear = model.probabilities("where is my order")
    padded = model.probabilities("where is my order zxqv wpfk qzzj vvkx jjqw")
    assert int(np.argmax(padded)) == int(np.argmax(clear))
    # Ignoring the unseen words (sklearn's way) leaves the confidence above 0.99.
    assert float(padded.max()) < float(clear.max()) - 0.05


@pytest.mark.parametrize(("text", "intent"), [("hi", "greet"), ("ty", "thanks"), ("gn", "goodbye"), ("嗨", "greet")])
def test_short_real_messages_still_understood(classifier: BuiltinClassifier, text: str, intent: str) -> None:
    assert classifier.classify(text).intent == intent


# --- the evaluate CLI ---------------------------------------------------------------------------------------


@needs_external
def test_evaluate_external_cli(capsys: pytest.CaptureFixture[str]) -> None:
    ev.main(["--external", str(EXTERNAL), "--split", "test"])
    out = capsys.readouterr().out
    assert re.search(r"accuracy: 0\.\d{3}\s+macro-F1: 0\.\d{3}", out), out
    assert "rephrase rate" in out and "reliability" in out


def test_external_file_may_be_rasa_yaml(tmp_path: Path, classifier: BuiltinClassifier) -> None:
    path = tmp_path / "outside.yml"
    path.write_text(
        'version: "3.1"\nnlu:\n- intent: track_order\n  examples: |\n    - wheres my parcel gone\n'
        "- intent: out_of_scope\n  examples: |\n    - who painted the mona lisa\n",
        encoding="utf-8",
    )
    rows = ev.load_external(path)
    assert rows == [("wheres my parcel gone", "track_order"), ("who painted the mona lisa", "out_of_scope")]
    report = ev.evaluate_external(rows, classifier.classify)
    assert report.n_in_scope == 1 and report.n_out_of_scope == 1


def test_external_csv_needs_text_and_intent(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("message,label\nhello,greet\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'text' and 'intent'"):
        ev.load_external(path)
