"""`groupcart coupon ...` and `groupcart admin grant ...` through the real CLI entry point: created things are
listed, refused ones exit 2 with the rule's code on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import ROOT

CONFIG = str(ROOT / "config.yaml")


@pytest.fixture(autouse=True)
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def test_coupon_create_list_disable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", CONFIG, "coupon", "create", "SPRING", "10%", "min=50", "limit=100"]) == 0
    assert "created SPRING" in capsys.readouterr().out
    assert main(["--config", CONFIG, "coupon", "create", "SPRING", "5%"]) == 2
    assert "coupon_exists" in capsys.readouterr().err
    assert main(["--config", CONFIG, "coupon", "create", "HUGE", "150%"]) == 2
    assert "coupon_bad_value" in capsys.readouterr().err
    assert main(["--config", CONFIG, "coupon", "list"]) == 0
    assert "SPRING\tpercent\t10\tused 0/100" in capsys.readouterr().out
    assert main(["--config", CONFIG, "coupon", "disable", "spring"]) == 0
    assert main(["--config", CONFIG, "coupon", "disable", "nope"]) == 1


def test_admin_grant_and_revoke(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", CONFIG, "admin", "grant", "leader", "4242"]) == 0
    assert main(["--config", CONFIG, "admin", "grant", "leader", "4242"]) == 0
    out = capsys.readouterr().out
    assert "granted leader for 4242" in out and "already had leader for 4242" in out
    assert main(["--config", CONFIG, "admin", "revoke", "leader", "4242"]) == 0
    assert "revoked leader for 4242" in capsys.readouterr().out
