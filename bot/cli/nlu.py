"""`groupcart nlu review [--out PATH] [--lang LANG]`: the examples shoppers labelled by tapping a "did you
mean" button, as Rasa 3.x NLU training data (one `nlu_<lang>.yml` document per language, grouped by intent).

An admin reads them, keeps the good ones and adds them to dialogues/data/nlu_<lang>.yml to retrain.
`--out DIR` writes DIR/nlu_<lang>.yml (dialogues.nlu.data.load_training_data(DIR) reads them back);
`--out FILE` writes one language (named by --lang, or by a FILE called nlu_<lang>.yml); without --out the
documents go to stdout, separated by `---`.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.cli._db import open_db
from bot.config import Settings
from store import nlu_review

RASA_VERSION = "3.1"
_FILE = re.compile(r"^nlu_([a-z]{2})\.ya?ml$")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("nlu", help="the assistant's language understanding")
    actions = parser.add_subparsers(dest="action", required=True)
    review = actions.add_parser(
        "review",
        help="export what shoppers picked under 'did you mean' as Rasa training data",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    review.add_argument("--out", type=Path, help="a directory (nlu_<lang>.yml per language) or one file")
    review.add_argument("--lang", help="only this language (e.g. en, zh)")
    review.set_defaults(func=_review)


def _one_line(text: str) -> str:
    """An example is one line of a literal block: no line breaks, no control characters."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def rasa_yaml(examples: Iterable[tuple[str, str]]) -> str:
    """Rasa NLU YAML for `(text, intent)` pairs: one block per intent (sorted), examples deduplicated."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in examples:
        line = _one_line(text)
        if line and line not in by_intent[intent]:
            by_intent[intent].append(line)
    lines = [f'version: "{RASA_VERSION}"', "nlu:"]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in by_intent[intent]]
    if not by_intent:
        lines[-1] = "nlu: []"
    return "\n".join(lines) + "\n"


def by_language(examples: Iterable[nlu_review.LabelledExample]) -> dict[str, str]:
    grouped: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for example in examples:
        grouped[example.lang].append((example.text, example.intent))
    return {lang: rasa_yaml(pairs) for lang, pairs in sorted(grouped.items())}


async def _review(args: argparse.Namespace, settings: Settings) -> int:
    async with open_db(settings) as db:
        examples = await nlu_review.labelled_examples(db)
    documents = by_language(examples)
    out: Path | None = args.out
    lang: str | None = args.lang
    if out is not None and not out.is_dir() and lang is None:
        named = _FILE.match(out.name)
        lang = named.group(1) if named else None
        if lang is None and out.suffix == "":
            out.mkdir(parents=True, exist_ok=True)
    if lang is not None:
        documents = {lang: documents.get(lang, rasa_yaml([]))}
    count = sum(1 for e in examples if lang is None or e.lang == lang)
    if out is None:
        sys.stdout.write("---\n".join(f"# nlu_{code}.yml\n{doc}" for code, doc in documents.items()))
    elif out.is_dir():
        for code, doc in documents.items():
            (out / f"nlu_{code}.yml").write_text(doc, encoding="utf-8")
    elif len(documents) == 1:
        out.write_text(next(iter(documents.values())), encoding="utf-8")
    else:
        print("groupcart: several languages: pass --lang, or a directory as --out", file=sys.stderr)
        return 2
    print(f"{count} labelled example(s) in {', '.join(documents) or 'no language'}", file=sys.stderr)
    return 0
