"""`groupcart catalog import|export` through the real CLI entry point, on a temporary SQLite database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from store import catalog, migrations
from store.db import Database

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(ROOT / "config.yaml")


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def _product(url: str, sku: str) -> catalog.ProductView | None:
    async def read() -> catalog.ProductView | None:
        db = Database(url)
        try:
            await migrations.upgrade(db)
            return await catalog.get_product_by_sku(db, sku)
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_import_then_export_both_formats(database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "sku,title_en,title_zh,category,category_en,category_zh,price,stock\n"
        "TEA-1,Green tea,绿茶,tea,Tea,茶叶,12.50,4\n"
        "TEA-2,Black tea,红茶,tea,,,8,2\n",
        encoding="utf-8",
    )
    assert main(["--config", CONFIG, "catalog", "import", str(source)]) == 0
    assert "2 new" in capsys.readouterr().out
    tea = _product(database_url, "TEA-1")
    assert tea is not None and tea.price == 1250 and tea.title_zh == "绿茶"

    assert main(["--config", CONFIG, "catalog", "export"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("sku,title_en,title_zh")
    assert "TEA-1,Green tea,绿茶,,,tea,Tea,茶叶,12.50,CNY,4,,,false,,true" in out

    target = tmp_path / "out" / "catalog.yaml"
    assert main(["--config", CONFIG, "catalog", "export", str(target)]) == 0
    exported = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert [p["sku"] for p in exported["products"]] == ["TEA-1", "TEA-2"]
    assert exported["products"][1]["price"] == "8.00"

    # The exported YAML imports back unchanged.
    capsys.readouterr()
    assert main(["--config", CONFIG, "catalog", "import", str(target)]) == 0
    assert "2 unchanged" in capsys.readouterr().out


def test_bad_file_lists_every_problem_and_imports_nothing(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(
        "sku,title_en,category,price,stock\nOK-1,Fine,tea,1.00,1\nBAD-1,,tea,1.00,1\nBAD-2,Price,tea,-3,1\n",
        encoding="utf-8",
    )
    assert main(["--config", CONFIG, "catalog", "import", str(source)]) == 1
    err = capsys.readouterr().err
    assert "nothing was imported" in err
    assert f"{source}:line 3: title_en is required" in err
    assert f"{source}:line 4: price" in err
    assert _product(database_url, "OK-1") is None

    assert main(["--config", CONFIG, "catalog", "import", str(tmp_path / "missing.csv")]) == 2


def test_dry_run_only_validates(database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "ok.yaml"
    source.write_text("- {sku: D-1, title_en: Dry, category: tea, price: '2.00'}\n", encoding="utf-8")
    assert main(["--config", CONFIG, "catalog", "import", "--dry-run", str(source)]) == 0
    assert "1 product(s) are valid" in capsys.readouterr().out
    assert _product(database_url, "D-1") is None


def test_large_import_shows_progress(database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "big.csv"
    rows = "".join(f"BIG-{i},Item {i},商品 {i},bulk,{i % 90 + 1}.{i % 100:02d},{i % 7}\n" for i in range(1500))
    source.write_text("sku,title_en,title_zh,category,price,stock\n" + rows, encoding="utf-8")
    assert main(["--config", CONFIG, "catalog", "import", str(source)]) == 0
    captured = capsys.readouterr()
    assert "1500 new" in captured.out
    assert "importing: 100%" in captured.err and "1500/1500" in captured.err
    last = _product(database_url, "BIG-1499")
    assert last is not None and last.price == 6099 and last.stock == 1499 % 7
