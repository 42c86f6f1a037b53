"""Traditional Chinese characters folded to simplified (OpenCC t2s), so 蘋果 meets 苹果.

One conversion for every part that compares Chinese text: search (index terms and query words, store.search.text)
and the intent classifier's features (dialogues.nlu.features). OpenCC loads lazily on the first text that needs
it, once per process even when two threads ask at the same time (a load takes ~0.1 s).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

_lock = threading.Lock()
_convert: Callable[[str], str] | None = None


def load() -> Callable[[str], str]:
    """The t2s converter, loaded now if it is not yet (warm-ups call this ahead of the first message)."""
    global _convert
    if _convert is None:
        with _lock:
            if _convert is None:
                import opencc

                _convert = opencc.OpenCC("t2s").convert
    return _convert


def to_simplified(text: str) -> str:
    return load()(text)
