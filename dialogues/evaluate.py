"""Held-out evaluation of the builtin intent classifier.

    python -m dialogues.evaluate [--seed N] [--test-fraction F] [--per-language]

Holds out a fixed, seeded share of every (intent, language) group, trains on the rest only, and
prints accuracy, per-intent precision/recall/F1, the most frequent confusions, per-message latency
and how a confidence threshold would split answered / fallback messages.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dialogues.nlu.builtin import BuiltinClassifier
from dialogues.nlu.data import load_training_data
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


@dataclass
class EvaluationReport:
    accuracy: float
    accuracy_by_lang: dict[str, float]
    per_intent: dict[str, IntentScore]
    confusions: list[tuple[str, str, int]]  # (true, predicted, count), most frequent first
    latency_median_ms: float
    latency_p95_ms: float
    train_seconds: float
    n_train: int
    n_test: int
    thresholds: list[ThresholdRow] = field(default_factory=list)
    errors: list[tuple[str, str, str, float]] = field(default_factory=list)  # text, true, predicted, conf


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
    for text, _, _ in test:
        t0 = time.perf_counter()
        predictions.append(classify(text))
        latencies.append((time.perf_counter() - t0) * 1000)

    correct_by_lang: Counter[str] = Counter()
    total_by_lang: Counter[str] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    true_pos: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    actual: Counter[str] = Counter()
    errors = []
    for (text, intent, lang), result in zip(test, predictions, strict=True):
        total_by_lang[lang] += 1
        actual[intent] += 1
        predicted[result.intent] += 1
        if result.intent == intent:
            correct_by_lang[lang] += 1
            true_pos[intent] += 1
        else:
            confusions[(intent, result.intent)] += 1
            errors.append((text, intent, result.intent, result.confidence))

    per_intent = {}
    for intent in sorted(actual):
        precision = true_pos[intent] / predicted[intent] if predicted[intent] else 0.0
        recall = true_pos[intent] / actual[intent]
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[intent] = IntentScore(precision, recall, f1, actual[intent])

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
        confusions=[(a, b, n) for (a, b), n in confusions.most_common()],
        latency_median_ms=statistics.median(latencies),
        latency_p95_ms=_percentile(latencies, 95),
        train_seconds=train_seconds,
        n_train=len(train),
        n_test=len(test),
        thresholds=thresholds,
        errors=errors,
    )


def format_report(report: EvaluationReport, *, show_errors: bool = False) -> str:
    lines = [
        f"train {report.n_train} / held out {report.n_test} examples; trained in {report.train_seconds:.2f} s",
        f"accuracy: {report.accuracy:.3f} overall, "
        + ", ".join(f"{lang} {acc:.3f}" for lang, acc in report.accuracy_by_lang.items()),
        f"latency per message: median {report.latency_median_ms:.3f} ms, p95 {report.latency_p95_ms:.3f} ms",
        "",
        f"{'intent':<26}{'prec':>7}{'recall':>8}{'f1':>7}{'n':>5}",
    ]
    for intent, score in report.per_intent.items():
        lines.append(f"{intent:<26}{score.precision:>7.2f}{score.recall:>8.2f}{score.f1:>7.2f}{score.support:>5}")
    lines += ["", "top confusions (true -> predicted):"]
    lines += [f"  {n:>3}  {a} -> {b}" for a, b, n in report.confusions[:12]]
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


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dialogues.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--per-language", action="store_true", help="one model per language instead of the shared one")
    parser.add_argument("--errors", action="store_true", help="list every misclassified message")
    args = parser.parse_args(argv)
    report = evaluate(args.data_dir, test_fraction=args.test_fraction, seed=args.seed, per_language=args.per_language)
    print(format_report(report, show_errors=args.errors))


if __name__ == "__main__":
    main()
