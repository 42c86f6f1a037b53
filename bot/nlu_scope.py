"""What the intent classifier should not be asked about: small talk, and Latin-script text in a language it
was never trained on ("bonjour, ça va").

The classifier spreads every message over the 28 shop intents, so "how are you" reads as opening hours and
French as a complaint. Small talk is a short list of whole phrases (answered kindly, never as a shop
question). Text whose words the model has (nearly) never seen gets no guess at all: it is told the bot reads
English and Chinese when it carries another Latin language's letters, else asked to rephrase.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import cache

from dialogues.nlu import IntentClassifier
from dialogues.nlu.builtin import BuiltinClassifier
from dialogues.nlu.rasa import RasaClassifier

SMALL_TALK = frozenset(
    {
        "how are you", "how are you doing", "how are u", "how r u", "hows it going", "how is it going",
        "whats up", "what is up", "sup", "wassup", "lol", "lmao", "haha", "hahaha", "hehe", "xd",
        "are you a bot", "are you a robot", "who are you", "what are you", "whats your name", "nice", "cool",
        "你好吗", "你好嘛", "最近怎么样", "最近好吗", "哈哈", "哈哈哈", "呵呵", "嘿嘿", "嘻嘻", "你是谁",
        "你是机器人吗", "你叫什么名字", "在干嘛", "在干什么",
    }
)  # fmt: skip
FAMILIAR_SHARE = 1 / 3
TYPO_CUTOFF = 0.85
TYPO_MIN_LENGTH = 5  # shorter words are one letter away from too many others ("va" ~ "via")
_WORD = re.compile(r"[a-z]{2,}")


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).lower().replace("'", "").replace("’", "")
    kept = "".join(c if c.isalnum() or c.isspace() else " " for c in folded)
    return " ".join(kept.split())


def is_small_talk(text: str) -> bool:
    return _normalise(text) in SMALL_TALK


def _builtin(classifier: IntentClassifier) -> BuiltinClassifier | None:
    if isinstance(classifier, BuiltinClassifier):
        return classifier
    if isinstance(classifier, RasaClassifier):
        return classifier.fallback
    return None


@cache
def _known_words(builtin: BuiltinClassifier) -> tuple[frozenset[str], tuple[str, ...]]:
    words = frozenset(f[1:] for f in builtin.model.vocabulary if f.startswith("w") and " " not in f)
    return words, tuple(sorted(words))


def _is_known(word: str, known: frozenset[str], ordered: tuple[str, ...]) -> bool:
    # A typo ("delivry") is still a word the model knows.
    if word in known:
        return True
    return len(word) >= TYPO_MIN_LENGTH and bool(difflib.get_close_matches(word, ordered, n=1, cutoff=TYPO_CUTOFF))


def familiar(classifier: IntentClassifier, text: str) -> bool:
    """False when most Latin words of `text` are unknown to the model even allowing a typo: gibberish or
    another language, on which any guess of an intent would be noise. Chinese text is always familiar."""
    builtin = _builtin(classifier)
    if builtin is None:
        return True
    words = _WORD.findall(_normalise(text))
    if not words:
        return True
    known, ordered = _known_words(builtin)
    hits = sum(1 for word in words if _is_known(word, known, ordered))
    return hits >= len(words) * FAMILIAR_SHARE


def foreign_latin(text: str) -> bool:
    """Letters such as ç, é, ñ, ü, ß: a Latin-script language other than English."""
    return any(c.isalpha() and not c.isascii() and unicodedata.name(c, "").startswith("LATIN") for c in text)


def ranking(classifier: IntentClassifier, text: str, top: int) -> list[tuple[str, float]]:
    """The `top` best intents with probabilities (the builtin model's, also behind Rasa)."""
    builtin = _builtin(classifier)
    return builtin.ranking(text, top) if builtin is not None else []
