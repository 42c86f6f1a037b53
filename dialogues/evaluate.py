"""Held-out evaluation of the builtin intent classifier.

    python -m dialogues.evaluate [--seed N] [--test-fraction F] [--per-language]
    python -m dialogues.evaluate --external FILE [--split dev|test] [--threshold T]

Holds out a fixed, seeded share of every (intent, language) group, trains on the rest only, and
prints accuracy, per-intent precision/recall/F1, the most frequent confusions, per-message latency,
a reliability table (confidence bins: count, accuracy) and how a confidence threshold would split
answered / fallback messages.

With --external, the model trained on all our data classifies messages written by others (a CSV with
`text,intent` columns, or a Rasa YAML file) that never enter training: accuracy, macro-F1 and the
rephrase rate (share of in-scope messages below the threshold). Rows labelled `out_of_scope` count
only towards the share of them sent to the fallback.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dialogues.nlu.builtin import BuiltinClassifier
from dialogues.nlu.data import load_training_data, parse_examples
from dialogues.nlu.features import detect_language
from dialogues.nlu.types import IntentResult

Example = tuple[str, str, str]

# Messages no intent covers, to see whether a threshold turns them into the rephrase fallback.
OUT_OF_SCOPE: tuple[tuple[str, str], ...] = (
    ("what's the weather like tomorrow", "en"),
    ("tell me a joke", "en"),
    ("who won the football game", "en"),
    ("what is the capital of france", "en"),
    ("can you help me with my homework", "en"),
    ("i like turtles", "en"),
    ("how old are you", "en"),
    ("play some music", "en"),
    ("what's 2 plus 2", "en"),
    ("recommend a good movie", "en"),
    ("my cat is sleeping", "en"),
    ("translate this into german", "en"),
    ("asdfgh", "en"),
    ("is it going to rain", "en"),
    ("write me a poem", "en"),
    ("明天天气怎么样", "zh"),
    ("给我讲个笑话", "zh"),
    ("昨晚的球赛谁赢了", "zh"),
    ("法国的首都是哪里", "zh"),
    ("帮我写作业", "zh"),
    ("你几岁了", "zh"),
    ("放首歌听听", "zh"),
    ("推荐一部电影", "zh"),
    ("我的猫在睡觉", "zh"),
    ("一加一等于几", "zh"),
    ("帮我翻译成英文", "zh"),
    ("今天星期几", "zh"),
    ("写一首诗", "zh"),
    ("会下雨吗", "zh"),
    ("你喜欢什么颜色", "zh"),
)

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
# Bin edges of the reliability table; the last bin is the "confident" region the bot relies on.
RELIABILITY_EDGES = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
HIGH_CONFIDENCE = 0.9
# The bot's default nlu.threshold (config.yaml): below it the shopper is asked to rephrase.
DEFAULT_THRESHOLD = 0.6
OUT_OF_SCOPE_LABEL = "out_of_scope"


@dataclass(frozen=True)
class IntentScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class ThresholdRow:
    threshold: float
    answered_correct: float  # share of held-out in-scope messages answered with the right intent
    answered_wrong: float  # share answered with a wrong intent
    oos_rejected: float  # share of out-of-scope messages sent to the fallback


@dataclass(frozen=True)
class ReliabilityRow:
    low: float
    high: float
    count: int
    accuracy: float  # share right among predictions with low <= confidence < high (1.0 included in the last)
    mean_confidence: float


@dataclass
class EvaluationReport:
    accuracy: float
    accuracy_by_lang: dict[str, float]
    per_intent: dict[str, IntentScore]
    confusions: list[tuple[str, str, int]]  # (true, predicted, count), most frequent first
    latency_median_ms: float
    latency_p95_ms: float
    # CPU time of the classifying thread: what a message costs, without waits for a core on a busy machine.
    cpu_median_ms: float
    cpu_p95_ms: float
    train_seconds: float
    n_train: int
    n_test: int
    thresholds: list[ThresholdRow] = field(default_factory=list)
    errors: list[tuple[str, str, str, float]] = field(default_factory=list)  # text, true, predicted, conf
    reliability: list[ReliabilityRow] = field(default_factory=list)


@dataclass
class ExternalReport:
    n_in_scope: int
    accuracy: float
    macro_f1: float  # over the intents present in the external labels
    rephrase_rate: float  # in-scope messages below the threshold (the bot would ask to rephrase)
    answered_accuracy: float  # accuracy among in-scope messages at or above the threshold
    threshold: float
    per_intent: dict[str, IntentScore]
    confusions: list[tuple[str, str, int]]
    reliability: list[ReliabilityRow]
    n_out_of_scope: int
    oos_rejected: float  # share of out-of-scope rows below the threshold
    errors: list[tuple[str, str, str, float]] = field(default_factory=list)


def reliability_table(outcomes: Sequence[tuple[float, bool]]) -> list[ReliabilityRow]:
    """Confidence bins with how often predictions in each bin were right: (confidence, correct) pairs in."""
    rows = []
    edges = RELIABILITY_EDGES
    for i, (low, high) in enumerate(itertools.pairwise(edges)):
        last = i == len(edges) - 2
        inside = [(c, ok) for c, ok in outcomes if low <= c < high or (last and c == high)]
        rows.append(
            ReliabilityRow(
                low,
                high,
                len(inside),
                sum(ok for _, ok in inside) / len(inside) if inside else 0.0,
                sum(c for c, _ in inside) / len(inside) if inside else 0.0,
            )
        )
    return rows


def high_confidence_accuracy(outcomes: Sequence[tuple[float, bool]], at: float = HIGH_CONFIDENCE) -> tuple[int, float]:
    """(count, accuracy) of the predictions with confidence >= `at`."""
    kept = [ok for c, ok in outcomes if c >= at]
    return len(kept), (sum(kept) / len(kept) if kept else 1.0)


def _scores(pairs: Sequence[tuple[str, str]]) -> tuple[dict[str, IntentScore], list[tuple[str, str, int]]]:
    """Per-intent precision/recall/F1 and confusions from (true, predicted) pairs."""
    true_pos: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    actual: Counter[str] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    for intent, guess in pairs:
        actual[intent] += 1
        predicted[guess] += 1
        if guess == intent:
            true_pos[intent] += 1
        else:
            confusions[(intent, guess)] += 1
    per_intent = {}
    for intent in sorted(actual):
        precision = true_pos[intent] / predicted[intent] if predicted[intent] else 0.0
        recall = true_pos[intent] / actual[intent]
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[intent] = IntentScore(precision, recall, f1, actual[intent])
    return per_intent, [(a, b, n) for (a, b), n in confusions.most_common()]


def split_examples(
    examples: Sequence[Example], test_fraction: float = 0.2, seed: int = 13
) -> tuple[list[Example], list[Example]]:
    """Per (intent, language) group, hold out round(n * test_fraction) examples (at least one)."""
    groups: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for example in examples:
        groups[(example[1], example[2])].append(example)
    rng = random.Random(seed)
    train: list[Example] = []
    test: list[Example] = []
    for key in sorted(groups):
        group = sorted(groups[key])
        rng.shuffle(group)
        held = max(1, round(len(group) * test_fraction)) if len(group) > 1 else 0
        test.extend(group[:held])
        train.extend(group[held:])
    return train, test


class _PerLanguage:
    """One model per language routed by script; evaluated only to compare with the single model."""

    def __init__(self, train: Sequence[Example]):
        self.models = {
            lang: BuiltinClassifier.train([e for e in train if e[2] == lang]) for lang in sorted({e[2] for e in train})
        }

    def classify(self, text: str) -> IntentResult:
        return self.models[detect_language(text)].classify(text)


def _percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def evaluate(
    data_dir: Path | None = None,
    *,
    test_fraction: float = 0.2,
    seed: int = 13,
    per_language: bool = False,
    examples: Sequence[Example] | None = None,
) -> EvaluationReport:
    data = list(examples) if examples is not None else load_training_data(data_dir)
    train, test = split_examples(data, test_fraction, seed)
    started = time.perf_counter()
    classify: Callable[[str], IntentResult] = (
        _PerLanguage(train).classify if per_language else BuiltinClassifier.train(train).classify
    )
    train_seconds = time.perf_counter() - started

    predictions: list[IntentResult] = []
    latencies: list[float] = []
    cpu_times: list[float] = []
    for text, _, _ in test:
        t0, c0 = time.perf_counter(), time.thread_time()
        predictions.append(classify(text))
        latencies.append((time.perf_counter() - t0) * 1000)
        cpu_times.append((time.thread_time() - c0) * 1000)

    correct_by_lang: Counter[str] = Counter()
    total_by_lang: Counter[str] = Counter()
    errors = []
    for (text, intent, lang), result in zip(test, predictions, strict=True):
        total_by_lang[lang] += 1
        if result.intent == intent:
            correct_by_lang[lang] += 1
        else:
            errors.append((text, intent, result.intent, result.confidence))
    per_intent, confusions = _scores([(e[1], r.intent) for e, r in zip(test, predictions, strict=True)])

    oos_confidences = [classify(text).confidence for text, _ in OUT_OF_SCOPE]
    thresholds = []
    for threshold in THRESHOLDS:
        answered = [(r.intent == e[1]) for e, r in zip(test, predictions, strict=True) if r.confidence >= threshold]
        thresholds.append(
            ThresholdRow(
                threshold,
                answered_correct=sum(answered) / len(test),
                answered_wrong=(len(answered) - sum(answered)) / len(test),
                oos_rejected=sum(c < threshold for c in oos_confidences) / len(oos_confidences),
            )
        )

    return EvaluationReport(
        accuracy=sum(correct_by_lang.values()) / len(test),
        accuracy_by_lang={lang: correct_by_lang[lang] / total_by_lang[lang] for lang in sorted(total_by_lang)},
        per_intent=per_intent,
        confusions=confusions,
        latency_median_ms=statistics.median(latencies),
        latency_p95_ms=_percentile(latencies, 95),
        cpu_median_ms=statistics.median(cpu_times),
        cpu_p95_ms=_percentile(cpu_times, 95),
        train_seconds=train_seconds,
        n_train=len(train),
        n_test=len(test),
        thresholds=thresholds,
        errors=errors,
        reliability=reliability_table(
            [(r.confidence, r.intent == e[1]) for e, r in zip(test, predictions, strict=True)]
        ),
    )


def load_external(path: Path, split: str | None = None) -> list[tuple[str, str]]:
    """(text, intent) rows from a CSV with `text` and `intent` columns (an optional `split` column is
    filtered on when `split` is given) or from a Rasa 3.x YAML file."""
    if path.suffix.lower() in (".yml", ".yaml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        items = doc.get("nlu") if isinstance(doc, dict) else None
        if not isinstance(items, list):
            raise ValueError(f"{path.name}: missing top-level 'nlu:' list")
        return [
            (text, str(item["intent"]))
            for item in items
            if isinstance(item, dict) and "intent" in item and isinstance(item.get("examples"), str)
            for text in parse_examples(item["examples"])
        ]
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"text", "intent"} <= set(reader.fieldnames):
            raise ValueError(f"{path.name}: expected a CSV header with 'text' and 'intent' columns")
        return [
            (row["text"].strip(), row["intent"].strip())
            for row in reader
            if row["text"].strip() and (split is None or row.get("split") == split)
        ]


def evaluate_external(
    rows: Sequence[tuple[str, str]],
    classify: Callable[[str], IntentResult] | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> ExternalReport:
    if classify is None:
        classify = BuiltinClassifier.train(load_training_data()).classify
    in_scope = [(text, intent) for text, intent in rows if intent != OUT_OF_SCOPE_LABEL]
    out_of_scope = [text for text, intent in rows if intent == OUT_OF_SCOPE_LABEL]
    if not in_scope:
        raise ValueError("the external set has no in-scope rows")
    results = [classify(text) for text, _ in in_scope]
    per_intent, confusions = _scores([(intent, r.intent) for (_, intent), r in zip(in_scope, results, strict=True)])
    outcomes = [(r.confidence, r.intent == intent) for (_, intent), r in zip(in_scope, results, strict=True)]
    answered = [ok for c, ok in outcomes if c >= threshold]
    oos_confidences = [classify(text).confidence for text in out_of_scope]
    return ExternalReport(
        n_in_scope=len(in_scope),
        accuracy=sum(ok for _, ok in outcomes) / len(outcomes),
        macro_f1=sum(s.f1 for s in per_intent.values()) / len(per_intent),
        rephrase_rate=sum(c < threshold for c, _ in outcomes) / len(outcomes),
        answered_accuracy=sum(answered) / len(answered) if answered else 0.0,
        threshold=threshold,
        per_intent=per_intent,
        confusions=confusions,
        reliability=reliability_table(outcomes),
        n_out_of_scope=len(out_of_scope),
        oos_rejected=sum(c < threshold for c in oos_confidences) / len(oos_confidences) if oos_confidences else 0.0,
        errors=[
            (text, intent, r.intent, r.confidence)
            for (text, intent), r in zip(in_scope, results, strict=True)
            if r.intent != intent
        ],
    )


def _format_reliability(rows: Sequence[ReliabilityRow]) -> list[str]:
    lines = ["reliability (confidence bin: count, accuracy, mean confidence):"]
    for row in rows:
        closing = "]" if row.high == RELIABILITY_EDGES[-1] else ")"
        accuracy = f"{row.accuracy:>7.1%}" if row.count else f"{'-':>7}"
        bin_ = f"[{row.low:.2f}, {row.high:.2f}{closing}"
        lines.append(f"  {bin_}  {row.count:>5}  {accuracy}  {row.mean_confidence:>6.3f}")
    return lines


def format_report(report: EvaluationReport, *, show_errors: bool = False) -> str:
    lines = [
        f"train {report.n_train} / held out {report.n_test} examples; trained in {report.train_seconds:.2f} s",
        f"accuracy: {report.accuracy:.3f} overall, "
        + ", ".join(f"{lang} {acc:.3f}" for lang, acc in report.accuracy_by_lang.items()),
        f"latency per message: median {report.latency_median_ms:.3f} ms, p95 {report.latency_p95_ms:.3f} ms"
        f" (CPU time: median {report.cpu_median_ms:.3f} ms, p95 {report.cpu_p95_ms:.3f} ms)",
        "",
        f"{'intent':<26}{'prec':>7}{'recall':>8}{'f1':>7}{'n':>5}",
    ]
    for intent, score in report.per_intent.items():
        lines.append(f"{intent:<26}{score.precision:>7.2f}{score.recall:>8.2f}{score.f1:>7.2f}{score.support:>5}")
    lines += ["", "top confusions (true -> predicted):"]
    lines += [f"  {n:>3}  {a} -> {b}" for a, b, n in report.confusions[:12]]
    lines += ["", *_format_reliability(report.reliability)]
    n_high = sum(r.count for r in report.reliability if r.low >= HIGH_CONFIDENCE)
    right_high = sum(r.count * r.accuracy for r in report.reliability if r.low >= HIGH_CONFIDENCE)
    if n_high:
        lines.append(f"  confidence >= {HIGH_CONFIDENCE}: {n_high} predictions, {right_high / n_high:.1%} right")
    lines += ["", "threshold   answered-correct  answered-wrong  out-of-scope-rejected"]
    lines += [
        f"  {row.threshold:.2f}      {row.answered_correct:>8.1%}       {row.answered_wrong:>8.1%}"
        f"        {row.oos_rejected:>8.1%}"
        for row in report.thresholds
    ]
    if show_errors:
        lines += ["", "errors (text | true -> predicted @ confidence):"]
        lines += [f"  {t} | {a} -> {b} @ {c:.2f}" for t, a, b, c in report.errors]
    return "\n".join(lines)


def format_external(report: ExternalReport, *, show_errors: bool = False) -> str:
    lines = [
        f"external set: {report.n_in_scope} in-scope messages, {report.n_out_of_scope} out-of-scope",
        f"accuracy: {report.accuracy:.3f}   macro-F1: {report.macro_f1:.3f}",
        f"threshold {report.threshold:.2f}: rephrase rate {report.rephrase_rate:.1%}, "
        f"accuracy of the answered {report.answered_accuracy:.1%}",
    ]
    if report.n_out_of_scope:
        lines.append(f"out-of-scope rows sent to the fallback: {report.oos_rejected:.1%}")
    lines += ["", f"{'intent':<26}{'prec':>7}{'recall':>8}{'f1':>7}{'n':>5}"]
    for intent, score in report.per_intent.items():
        lines.append(f"{intent:<26}{score.precision:>7.2f}{score.recall:>8.2f}{score.f1:>7.2f}{score.support:>5}")
    lines += ["", "top confusions (true -> predicted):"]
    lines += [f"  {n:>3}  {a} -> {b}" for a, b, n in report.confusions[:15]]
    lines += ["", *_format_reliability(report.reliability)]
    if show_errors:
        lines += ["", "errors (text | true -> predicted @ confidence):"]
        lines += [f"  {t} | {a} -> {b} @ {c:.2f}" for t, a, b, c in report.errors]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dialogues.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--per-language", action="store_true", help="one model per language instead of the shared one")
    parser.add_argument("--errors", action="store_true", help="list every misclassified message")
    parser.add_argument("--external", type=Path, default=None, help="CSV (text,intent) or Rasa YAML never trained on")
    parser.add_argument("--split", default=None, help="with --external: keep only rows whose split column is this")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="with --external: rephrase below")
    args = parser.parse_args(argv)
    if args.external is not None:
        external = evaluate_external(load_external(args.external, args.split), threshold=args.threshold)
        print(format_external(external, show_errors=args.errors))
        return
    report = evaluate(args.data_dir, test_fraction=args.test_fraction, seed=args.seed, per_language=args.per_language)
    print(format_report(report, show_errors=args.errors))


if __name__ == "__main__":
    main()
