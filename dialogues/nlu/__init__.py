"""Intent classification for the customer-service chat (issue 6)."""

from .builtin import BuiltinClassifier
from .data import INTENTS, load_training_data
from .factory import build_classifier
from .features import detect_language
from .rasa import RasaClassifier
from .responses import load_responses, render
from .types import FALLBACK_INTENT, IntentClassifier, IntentResult

__all__ = [
    "FALLBACK_INTENT",
    "INTENTS",
    "BuiltinClassifier",
    "IntentClassifier",
    "IntentResult",
    "RasaClassifier",
    "build_classifier",
    "detect_language",
    "load_responses",
    "load_training_data",
    "render",
]
