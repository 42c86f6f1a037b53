"""bot/lazy_models.py defers the build of aiogram's Telegram types to first use. Deferred or not, every type and
method must validate and serialise exactly as aiogram built them: compared here through their JSON schemas,
each way in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

_DUMP = """
import json, sys, warnings
warnings.simplefilter("ignore")
if sys.argv[1] == "lazy":
    import bot  # defers the builds (bot/lazy_models.py)
import aiogram, aiogram.methods, aiogram.types
deferred = not aiogram.types.Message.__pydantic_complete__ and not aiogram.methods.SendMessage.__pydantic_complete__
update = aiogram.types.Update.model_validate({
    "update_id": 1,
    "callback_query": {"id": "q", "chat_instance": "c", "data": "x",
                       "from": {"id": 7, "is_bot": False, "first_name": "Ann"},
                       "message": {"message_id": 3, "date": 0, "chat": {"id": 7, "type": "private"}, "text": "hi"}},
})
schemas = {}
# Methods first: a method is often used before the types it names (setMyCommands at start-up names
# BotCommandScopeChat, never built until then), which is where a deferred type's names must still resolve.
for module in (aiogram.methods, aiogram.types):
    for name in module.__all__:
        cls = getattr(module, name)
        if hasattr(cls, "model_json_schema"):
            try:
                schemas[f"{module.__name__}.{name}"] = cls.model_json_schema(mode="validation")
            except Exception as error:  # arbitrary types (InputFile...) have none, either way
                schemas[f"{module.__name__}.{name}"] = type(error).__name__
print(json.dumps({"deferred": deferred, "tap": update.callback_query.message.text, "schemas": schemas},
                 sort_keys=True, default=str))
"""


def _dump(mode: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _DUMP, mode], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_deferred_types_have_the_schemas_aiogram_builds() -> None:
    eager, lazy = _dump("eager"), _dump("lazy")
    assert not eager["deferred"], "plain `import aiogram` builds every type"
    assert lazy["deferred"], "importing bot first leaves the types and methods to be built on first use"
    assert eager["tap"] == lazy["tap"] == "hi"
    assert len(lazy["schemas"]) > 500
    differ = [name for name in eager["schemas"] if eager["schemas"][name] != lazy["schemas"].get(name)]
    assert differ == [] and lazy["schemas"].keys() == eager["schemas"].keys()


_WARM = """
import bot, time, warnings
warnings.simplefilter("ignore")
import aiogram.methods, aiogram.types
from bot import warmup
before = [aiogram.types.Update.__pydantic_complete__, aiogram.methods.AnswerCallbackQuery.__pydantic_complete__]
warmup.build_telegram_types()
after = [aiogram.types.Update.__pydantic_complete__,
         aiogram.methods.AnswerCallbackQuery.__pydantic_complete__, aiogram.methods.SendMessage.__pydantic_complete__,
         aiogram.methods.EditMessageText.__pydantic_complete__]
started = time.process_time()
aiogram.types.Update.model_validate({"update_id": 2, "callback_query": {"id": "q", "chat_instance": "c",
    "from": {"id": 7, "is_bot": False, "first_name": "Ann"}, "data": "x"}})
print(before, after, time.process_time() - started)
"""


def test_the_warm_up_builds_what_a_tap_needs_before_the_first_tap() -> None:
    """A start builds an Update's validator and the answering methods in the background (bot/warmup.py), so the
    first tap of a flash sale does not pay half a second of pydantic builds."""
    out = subprocess.run(
        [sys.executable, "-c", _WARM], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    before, after, first_tap = out[0] + out[1], " ".join(out[2:6]), float(out[6])
    assert before == "[False,False]", "deferred until the warm-up (else this test proves nothing)"
    assert after == "[True, True, True, True]", after
    assert first_tap < 0.05, f"the first tap still built types: {first_tap:.3f} s of CPU"
