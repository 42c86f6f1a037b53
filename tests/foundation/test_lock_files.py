"""Both README commands install from requirements/*.txt: every dependency pyproject.toml names must be pinned
there, so a dependency added without `make lock` fails here instead of on a fresh machine."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pinned(lock: Path) -> dict[str, str]:
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split("==", 1)
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


@pytest.mark.parametrize(("lock", "extras"), [("run.txt", []), ("test.txt", ["test"])])
def test_every_dependency_is_pinned(lock: str, extras: list[str]) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    pins = _pinned(ROOT / "requirements" / lock)
    missing = sorted({_name(req) for req in wanted} - pins.keys())
    assert not missing, f"not pinned in requirements/{lock} (run `make lock`): {missing}"
