"""Classify utterances read one per line from stdin; prints `intent<TAB>confidence` per line.

echo "where is my order" | python -m dialogues.classify [--backend builtin|rasa] [--rasa-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from dialogues.nlu.factory import BACKENDS, build_classifier
from dialogues.nlu.rasa import RasaClassifier


async def _run(backend: str, rasa_url: str | None, cache_dir: Path | None) -> None:
    classifier = build_classifier(backend, rasa_url=rasa_url, cache_dir=cache_dir)
    try:
        for line in sys.stdin:
            result = await classifier.parse(line.rstrip("\n"))
            print(f"{result.intent}\t{result.confidence:.3f}", flush=True)
    finally:
        if isinstance(classifier, RasaClassifier):
            await classifier.aclose()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dialogues.classify", description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=BACKENDS, default="builtin")
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005", help="used with --backend rasa")
    parser.add_argument("--cache-dir", type=Path, default=None, help="model cache (default .nlu-cache/)")
    args = parser.parse_args(argv)
    asyncio.run(_run(args.backend, args.rasa_url, args.cache_dir))


if __name__ == "__main__":
    main()
