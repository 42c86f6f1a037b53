"""`python -m dialogues.classify` as a subprocess."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared so only the first CLI run trains; the second loads the cached model."""
    return tmp_path_factory.mktemp("nlu-cache")


def _classify(stdin: str, *args: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "dialogues.classify", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    return proc.stdout.splitlines()


def test_classify_cli_prints_intent_and_confidence(cache_dir: Path) -> None:
    lines = _classify("where is my order\n\n我想要发票\n", "--cache-dir", str(cache_dir))
    assert len(lines) == 3
    assert all(re.fullmatch(r"[a-z_]+\t\d\.\d{3}", line) for line in lines), lines
    assert lines[0].split("\t")[0] == "track_order"
    assert lines[1] == "nlu_fallback\t0.000"
    assert lines[2].split("\t")[0] == "invoice_request"
    assert list(cache_dir.glob("builtin-*.npz")), "the CLI caches its model"


def test_classify_cli_rasa_backend_falls_back_when_server_is_down(cache_dir: Path) -> None:
    lines = _classify(
        "thank you\n", "--backend", "rasa", "--rasa-url", "http://127.0.0.1:9", "--cache-dir", str(cache_dir)
    )
    assert lines[0].startswith("thanks\t")
