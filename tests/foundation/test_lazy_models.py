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
