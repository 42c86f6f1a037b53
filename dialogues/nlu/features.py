"""Text normalisation and the feature analyzer shared by training and inference.

One analyzer serves both languages: Chinese has no spaces, so CJK runs give character 1-2 grams
(no segmenter needed); Latin text gives char 1-4 grams inside padded words (robust to typos) plus
word uni/bigrams. Feature names carry a prefix so the two kinds never collide.
"""

from __future__ import annotations

import re
import unicodedata

# Bump when the analyzer changes: it is part of the model cache key.
FEATURES_VERSION = "f1"

CJK_CHAR_NGRAMS = (1, 2)
LATIN_CHAR_NGRAMS = (1, 4)
WORD_NGRAMS = 2

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD_RE = re.compile(r"[a-z0-9]+")
# Order numbers and amounts carry no intent; folding them keeps "order 4412" close to "order 77".
_LONG_NUMBER_RE = re.compile(r"\d{3,}")


def detect_language(text: str) -> str:
    """'zh' when the text contains any CJK ideograph, else 'en'."""
    return "zh" if _CJK_RE.search(text) else "en"


def normalize(text: str) -> str:
    # NFKC folds full-width Latin letters and digits that Chinese keyboards often produce.
    folded = unicodedata.normalize("NFKC", text).lower().replace("'", "").replace("’", "")
    return _LONG_NUMBER_RE.sub("000", folded)


def analyze(text: str) -> list[str]:
    """Feature tokens for one message (module-level so a fitted vectorizer stays picklable)."""
    norm = normalize(text)
    feats: list[str] = []
    lo, hi = CJK_CHAR_NGRAMS
    for run in _CJK_RUN_RE.findall(norm):
        for n in range(lo, hi + 1):
            feats.extend("z" + run[i : i + n] for i in range(len(run) - n + 1))
    words = _WORD_RE.findall(_CJK_RUN_RE.sub(" ", norm))
    lo, hi = LATIN_CHAR_NGRAMS
    for word in words:
        padded = f" {word} "
        for n in range(lo, hi + 1):
            feats.extend("c" + padded[i : i + n] for i in range(len(padded) - n + 1))
    for n in range(1, WORD_NGRAMS + 1):
        feats.extend("w" + " ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return feats
