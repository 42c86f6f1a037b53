"""`make rasa-check`: the Rasa backend for real, in one command.

1. Split dialogues/data into the same train / held-out sets `python -m dialogues.evaluate` uses.
2. Train a Rasa 3.6 model per language on the train split (scripts/rasa-server --train-only) and time it.
3. Serve both models (scripts/rasa-server) and measure, on the held-out split: accuracy of Rasa and of the
   builtin classifier (trained on the same split) side by side, Rasa's latency per message over HTTP (p50/p95)
   and each server's memory.
4. Run the live-server tests: the integration test, and the bot answering through the live server and falling
   back to the builtin model within 1 s when the server hangs and when it is killed mid-conversation.

Exits non-zero when any step fails. It needs Python 3.10 for Rasa (found via PATH or pyenv) and a few minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from dialogues.evaluate import split_examples
from dialogues.nlu import BuiltinClassifier, load_training_data

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "scripts" / "rasa-server"
LANGS = ("en", "zh")


def write_rasa_yaml(examples: list[tuple[str, str, str]], folder: Path) -> None:
    for lang in LANGS:
        by_intent: dict[str, list[str]] = {}
        for text, intent, example_lang in examples:
            if example_lang == lang:
                by_intent.setdefault(intent, []).append(text)
        lines = ['version: "3.1"', "nlu:"]
        for intent in sorted(by_intent):
            lines += [f"- intent: {intent}", "  examples: |"]
            lines += [f"    - {text}" for text in by_intent[intent]]
        (folder / f"nlu_{lang}.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_until_serving(url: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        while time.monotonic() < deadline:
            try:
                async with http.post(f"{url}/model/parse", json={"text": "hello"}) as response:
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(1)
    raise SystemExit(f"rasa-check: no Rasa server answered at {url} within {timeout:.0f} s")


async def measure(urls: dict[str, str], held_out: list[tuple[str, str, str]],
                  builtin: BuiltinClassifier) -> dict[str, dict[str, float]]:
    figures: dict[str, dict[str, float]] = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        for lang in LANGS:
            rows = [row for row in held_out if row[2] == lang]
            rasa_right = builtin_right = 0
            latencies: list[float] = []
            for text, intent, _ in rows:
                started = time.perf_counter()
                async with http.post(f"{urls[lang]}/model/parse", json={"text": text}) as response:
                    payload = await response.json(content_type=None)
                latencies.append((time.perf_counter() - started) * 1000)
                rasa_right += (payload.get("intent") or {}).get("name") == intent
                builtin_right += builtin.classify(text).intent == intent
            figures[lang] = {
                "n": len(rows),
                "rasa": rasa_right / len(rows),
                "builtin": builtin_right / len(rows),
                "p50": percentile(latencies, 50),
                "p95": percentile(latencies, 95),
            }
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=5105, help="English on PORT, Chinese on PORT+1")
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()

    examples = load_training_data()
    train, held_out = split_examples(examples)
    work = Path(tempfile.mkdtemp(prefix="rasa-check-"))
    data = work / "data"
    data.mkdir()
    write_rasa_yaml(train, data)
    env = {
        **os.environ,
        "RASA_DATA_DIR": str(data),
        "RASA_PROJECT_DIR": str(ROOT / ".nlu-cache" / "rasa-check"),
        "RASA_PORT": str(args.port),
        "RASA_EPOCHS": str(args.epochs),
    }
    print(f"rasa-check: {len(train)} training and {len(held_out)} held-out examples; {os.cpu_count()} cores")
    started = time.monotonic()
    trained = subprocess.run([str(SERVER), "--train-only"], env=env, text=True, capture_output=True)
    print(trained.stdout, end="")
    if trained.returncode != 0:
        print(trained.stderr, file=sys.stderr)
        return 1
    print(f"rasa-check: set-up and training took {time.monotonic() - started:.0f} s in all")

    builtin_started = time.monotonic()
    builtin = BuiltinClassifier.train(train)
    builtin_seconds = time.monotonic() - builtin_started
    server = subprocess.Popen([str(SERVER), "--serve-only"], env=env, start_new_session=True)
    urls = {"en": f"http://127.0.0.1:{args.port}", "zh": f"http://127.0.0.1:{args.port + 1}"}
    failed = False
    try:
        for url in urls.values():
            asyncio.run(wait_until_serving(url))
        figures = asyncio.run(measure(urls, held_out, builtin))
        project = Path(env["RASA_PROJECT_DIR"])
        pids = {lang: int((project / lang / "server.pid").read_text()) for lang in LANGS}
        print()
        print("| language | held-out | Rasa 3.6 DIET | builtin | Rasa p50 ms | Rasa p95 ms | Rasa server RSS MB |")
        print("|---|---|---|---|---|---|---|")
        for lang in LANGS:
            f = figures[lang]
            print(f"| {lang} | {f['n']:.0f} | {f['rasa']:.3f} | {f['builtin']:.3f} | {f['p50']:.1f} | {f['p95']:.1f} "
                  f"| {rss_mb(pids[lang]):.0f} |")
        own_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\nbuiltin: trained in {builtin_seconds:.1f} s; this process peaked at {own_rss:.0f} MB")
        print()
        tests = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
             "tests/nlu/test_nlu_rasa.py::test_real_rasa_server", "tests/nlu/test_rasa_live_bot.py"],
            cwd=ROOT,
            env={**os.environ, "RASA_URL": urls["en"], "RASA_URL_ZH": urls["zh"],
                 "RASA_PID_EN": str(pids["en"]), "RASA_PID_ZH": str(pids["zh"])},
        )
        failed = tests.returncode != 0
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print("rasa-check:", "FAILED" if failed else "passed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
