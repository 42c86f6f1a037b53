"""Build dialogues/nlu/jieba_dict.txt: the part of jieba's dictionary the classifier needs.

    python scripts/build_jieba_dict.py [--check]

jieba's full dictionary (349k words) costs ~1 s of CPU and ~100 MB to load, once per process. The
classifier only ever uses words that occur in its Chinese training data (any other word feature has no
weight), so the trimmed dictionary keeps every jieba word found in dialogues/data/nlu_zh.yml plus the
COMMON_WORDS most frequent words, which keep the segmentation of unseen text around them sensible. It
loads in well under 0.1 s and ~10 MB. Lines keep jieba's format and order ("word freq tag"); the words
and frequencies are jieba's own (MIT licence).

Re-run after changing nlu_zh.yml so new domain words segment as words (the classifier still works
without that: character n-grams and pinyin cover any text). `--check` exits 1 if the file is stale.
"""

from __future__ import annotations

import argparse
import heapq
import sys
from pathlib import Path

import jieba

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dialogues.nlu.data import DEFAULT_DATA_DIR, load_file  # noqa: E402
from dialogues.nlu.features import JIEBA_DICT, normalize  # noqa: E402

COMMON_WORDS = 20000
MAX_WORD = 8


def build() -> str:
    lines = (Path(jieba.__file__).parent / "dict.txt").read_text(encoding="utf-8").splitlines()
    texts = [normalize(text) for text, _, _ in load_file(DEFAULT_DATA_DIR / "nlu_zh.yml")]
    substrings = {t[i : i + n] for t in texts for n in range(2, MAX_WORD + 1) for i in range(len(t) - n + 1)}
    common = set(heapq.nlargest(COMMON_WORDS, range(len(lines)), key=lambda i: int(lines[i].split(" ")[1])))
    kept = [line for i, line in enumerate(lines) if i in common or line.split(" ", 1)[0] in substrings]
    return "\n".join(kept) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file differs")
    args = parser.parse_args()
    text = build()
    if args.check:
        current = JIEBA_DICT.read_text(encoding="utf-8") if JIEBA_DICT.exists() else ""
        if current != text:
            print(f"{JIEBA_DICT.relative_to(ROOT)} is stale: run python scripts/build_jieba_dict.py")
            sys.exit(1)
        return
    JIEBA_DICT.write_text(text, encoding="utf-8")
    print(f"wrote {JIEBA_DICT.relative_to(ROOT)}: {text.count(chr(10))} words")


if __name__ == "__main__":
    main()
