"""Built-in intent classifier: TF-IDF features + linear SVM with a calibrated softmax.

Training uses scikit-learn; inference is a few numpy gathers over the learned arrays, so a
message classifies in well under a millisecond and a cached model loads without sklearn.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .data import data_hash, load_training_data
from .features import FEATURES_VERSION, analyze, detect_language
from .types import FALLBACK_INTENT, IntentResult

log = logging.getLogger(__name__)

BACKEND = "builtin"
MODEL_VERSION = f"svc-softmax-2/{FEATURES_VERSION}"
DEFAULT_CACHE_DIR = Path(".nlu-cache")
SVM_C = 1.0
CALIBRATION_FOLDS = 5
# A customer-service question fits in a few sentences; featurising a megabyte of pasted text took 3.9 s and
# 269 MB. The first characters carry the question, so the rest is dropped before the analyzer sees it.
MAX_INPUT_CHARS = 1000
# What "confident" promises: among out-of-fold predictions at or above HIGH_CONFIDENCE, at least
# HIGH_CONFIDENCE_PRECISION are right. The softmax scale is lowered until that holds (see _fit_temperature).
HIGH_CONFIDENCE = 0.9
HIGH_CONFIDENCE_PRECISION = 0.96

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class LinearModel:
    """Everything inference needs; plain arrays so it saves with np.savez (no pickle)."""

    vocabulary: dict[str, int]
    idf: FloatArray  # (n_features,)
    weights: FloatArray  # (n_features, n_classes): rows gathered per message feature
    intercept: FloatArray  # (n_classes,)
    classes: tuple[str, ...]
    temperature: float  # softmax(temperature * decision) is calibrated on held-out folds

    def scores(self, text: str) -> FloatArray:
        """The linear SVM's decision values, exactly as sklearn computes them (unknown features ignored)."""
        return self._scores(text)[0]

    def probabilities(self, text: str) -> FloatArray:
        """Calibrated intent probabilities, flattened by the share of the message the model has never seen.

        sklearn drops unknown features and L2-normalises what is left, so "blah blah" (a few known letter
        n-grams) scores as firmly as a real question. Here unknown features keep their weight in the norm,
        valued at the highest idf (seen in no training text), and contribute nothing to any intent: the
        decision values shrink by `coverage` = |known| / |all|, and an unfamiliar message gets a flatter,
        less confident distribution. Known words with a typo keep most of their letter n-grams, so they
        lose little.
        """
        decision, coverage = self._scores(text)
        return softmax((decision - self.intercept) * coverage * self.temperature + self.intercept * self.temperature)

    def _scores(self, text: str) -> tuple[FloatArray, float]:
        counts = Counter(analyze(text))
        known = {f: n for f, n in counts.items() if f in self.vocabulary}
        if not known:
            return self.intercept.copy(), 0.0
        idx = np.fromiter((self.vocabulary[f] for f in known), dtype=np.int64, count=len(known))
        tf = np.fromiter(known.values(), dtype=np.float32, count=len(known))
        # Same transform as TfidfVectorizer(sublinear_tf=True, norm="l2").
        values = (1.0 + np.log(tf)) * self.idf[idx]
        known_norm = float(np.linalg.norm(values))
        unknown_tf = np.fromiter((n for f, n in counts.items() if f not in known), dtype=np.float32)
        unknown_sq = float(np.sum(((1.0 + np.log(unknown_tf)) * self.max_idf) ** 2))
        coverage = known_norm / math.sqrt(known_norm**2 + unknown_sq)
        values = values / known_norm
        result: FloatArray = (values @ self.weights[idx] + self.intercept).astype(np.float32, copy=False)
        return result, coverage

    @cached_property
    def max_idf(self) -> float:
        return float(self.idf.max()) if len(self.idf) else 1.0

    def save(self, path: Path) -> None:
        features = np.empty(len(self.vocabulary), dtype=object)
        for feature, index in self.vocabulary.items():
            features[index] = feature
        # Written under a temporary name and renamed so a concurrent reader never sees half a file.
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(
                    fh,
                    features=features.astype(str),
                    idf=self.idf,
                    weights=self.weights,
                    intercept=self.intercept,
                    classes=np.array(self.classes, dtype=str),
                    temperature=np.array([self.temperature]),
                    version=np.array([MODEL_VERSION]),
                )
            os.chmod(tmp, 0o644)  # mkstemp creates 0600; the cache is not secret
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        with np.load(path, allow_pickle=False) as npz:
            if str(npz["version"][0]) != MODEL_VERSION:
                raise ValueError(f"{path.name}: model version {npz['version'][0]} != {MODEL_VERSION}")
            features = npz["features"].tolist()
            return cls(
                vocabulary={f: i for i, f in enumerate(features)},
                idf=npz["idf"].astype(np.float32),
                weights=npz["weights"].astype(np.float32),
                intercept=npz["intercept"].astype(np.float32),
                classes=tuple(npz["classes"].tolist()),
                temperature=float(npz["temperature"][0]),
            )


def softmax(z: FloatArray) -> FloatArray:
    shifted = np.exp(z - z.max())
    result: FloatArray = shifted / shifted.sum()
    return result


def _fit_temperature(decisions: npt.NDArray[np.float64], labels: npt.NDArray[np.int64]) -> float:
    """Softmax scale fitted on out-of-fold predictions: minimal log-loss, then lowered if needed so that
    predictions at >= HIGH_CONFIDENCE are right at least HIGH_CONFIDENCE_PRECISION of the time.

    Log-loss alone balances all confidence levels; the bot acts on the high ones, so that region is the
    one whose promise is enforced. Lowering the scale only flattens probabilities, never reorders them.
    """

    def nll(scale: float) -> float:
        z = decisions * scale
        z -= z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        return float(np.mean(log_norm - z[np.arange(len(labels)), labels]))

    # Log-loss is unimodal in the scale: a coarse log grid then a golden-section refinement suffices.
    grid = np.geomspace(0.1, 100.0, 31)
    best = int(np.argmin([nll(float(s)) for s in grid]))
    lo, hi = math.log(grid[max(best - 1, 0)]), math.log(grid[min(best + 1, len(grid) - 1)])
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(30):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if nll(math.exp(a)) < nll(math.exp(b)):
            hi = b
        else:
            lo = a
    scale = math.exp((lo + hi) / 2)
    while scale > grid[0] and _high_confidence_precision(decisions, labels, scale) < HIGH_CONFIDENCE_PRECISION:
        scale *= 0.95
    return scale


def _high_confidence_precision(
    decisions: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], scale: float
) -> float:
    z = decisions * scale
    z -= z.max(axis=1, keepdims=True)
    probs = np.exp(z)
    probs /= probs.sum(axis=1, keepdims=True)
    confident = probs.max(axis=1) >= HIGH_CONFIDENCE
    if not confident.any():
        return 1.0
    return float(np.mean(probs.argmax(axis=1)[confident] == labels[confident]))


def train_model(texts: Sequence[str], intents: Sequence[str], *, svm_c: float = SVM_C) -> LinearModel:
    # sklearn is imported here only: serving from a cached model never pays its import time.
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.svm import LinearSVC

    vectorizer = TfidfVectorizer(analyzer=analyze, sublinear_tf=True, dtype=np.float32)
    x = vectorizer.fit_transform(texts)
    svm = LinearSVC(C=svm_c, random_state=0)
    svm.fit(x, intents)
    classes = tuple(str(c) for c in svm.classes_)
    label_index = {c: i for i, c in enumerate(classes)}
    labels = np.array([label_index[i] for i in intents], dtype=np.int64)
    folds = min(CALIBRATION_FOLDS, int(np.bincount(labels).min()))
    if folds >= 2:
        # The vectorizer saw every text, which leaks only idf statistics into the folds; refitting it
        # per fold would double training time for a negligible change in the fitted temperature.
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        decisions = cross_val_predict(LinearSVC(C=svm_c, random_state=0), x, labels, cv=cv, method="decision_function")
        temperature = _fit_temperature(np.asarray(decisions, dtype=np.float64), labels)
    else:
        temperature = 5.0
    return LinearModel(
        vocabulary={str(k): int(v) for k, v in vectorizer.vocabulary_.items()},
        idf=vectorizer.idf_.astype(np.float32),
        weights=np.ascontiguousarray(svm.coef_.T, dtype=np.float32),
        intercept=svm.intercept_.astype(np.float32),
        classes=classes,
        temperature=temperature,
    )


def has_enough_signal(text: str) -> bool:
    """False for input no intent can be read from: blank, one Latin letter ("a", "k"), digits or symbols.

    Such input still lands on some intent's side of the linear model (for "a", human_agent at 0.65), so it
    is answered with the fallback instead. One Chinese character can be a whole message ("嗨"), so any CJK
    ideograph counts.
    """
    if detect_language(text) == "zh":
        return True
    return sum(ch.isalpha() for ch in text) >= 2


class BuiltinClassifier:
    """One model over both languages (scored as well as per-language models, see evaluate.py)."""

    backend = BACKEND

    def __init__(self, model: LinearModel, *, data_key: str = "", train_seconds: float | None = None):
        self.model = model
        self.data_key = data_key
        # None when the model came from the cache.
        self.train_seconds = train_seconds

    @classmethod
    def train(cls, examples: Sequence[tuple[str, str, str]], *, data_key: str = "") -> BuiltinClassifier:
        started = time.perf_counter()
        model = train_model([e[0] for e in examples], [e[1] for e in examples])
        return cls(model, data_key=data_key, train_seconds=time.perf_counter() - started)

    @classmethod
    def load_or_train(cls, data_dir: Path | None = None, cache_dir: Path | None = None) -> BuiltinClassifier:
        """Load the model cached for the current data files, else train and cache it.

        The cache is an optimisation only: an unreadable or unwritable cache dir never stops the bot.
        """
        key = data_hash(data_dir, extra=MODEL_VERSION)
        path = (cache_dir or DEFAULT_CACHE_DIR) / f"builtin-{key}.npz"
        if path.exists():
            try:
                return cls(LinearModel.load(path), data_key=key)
            except (OSError, ValueError, KeyError) as exc:
                log.warning("ignoring unreadable NLU cache %s: %s", path, exc)
        classifier = cls.train(load_training_data(data_dir), data_key=key)
        try:
            classifier.model.save(path)
            for stale in path.parent.glob("builtin-*.npz"):
                if stale != path:
                    stale.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not write NLU cache %s: %s", path, exc)
        return classifier

    def classify(self, text: str) -> IntentResult:
        text = text[:MAX_INPUT_CHARS]
        if not has_enough_signal(text):
            return IntentResult(FALLBACK_INTENT, 0.0, BACKEND)
        probs = self.model.probabilities(text)
        best = int(np.argmax(probs))
        return IntentResult(self.model.classes[best], float(probs[best]), BACKEND)

    def ranking(self, text: str, top: int = 3) -> list[tuple[str, float]]:
        """Best `top` intents with probabilities, for debugging and evaluation."""
        probs = self.model.probabilities(text[:MAX_INPUT_CHARS])
        order = np.argsort(-probs)[:top]
        return [(self.model.classes[i], float(probs[i])) for i in order]

    async def parse(self, text: str, lang: str | None = None) -> IntentResult:
        # `lang` is unused: the single model covers both languages. Classification takes well under a
        # millisecond, so it runs inline rather than in a thread.
        return self.classify(text)
