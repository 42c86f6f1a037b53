from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from tests.conftest import ROOT


def test_shipped_config_is_valid() -> None:
    settings = load_settings(ROOT / "config.yaml")
    assert settings.shop.currency == "CNY"
    assert settings.catalog.page_size == 6
    assert {p.id for p in settings.shop.pickup_points} == {"central", "north"}


def test_environment_overrides_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROUPCART_CATALOG__PAGE_SIZE", "9")
    monkeypatch.setenv("GROUPCART_SHOP__NAME", "Corner Shop")
    settings = load_settings(ROOT / "config.yaml")
    assert settings.catalog.page_size == 9
    assert settings.shop.name == "Corner Shop"


def test_invalid_value_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROUPCART_CATALOG__PAGE_SIZE", "0")
    with pytest.raises(ConfigError, match=r"catalog\.page_size"):
        load_settings(ROOT / "config.yaml")


def test_unknown_key_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("shop:\n  curency: EUR\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"shop\.curency"):
        load_settings(path)


def test_bad_timezone_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("shop:\n  timezone: Mars/Olympus\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"shop\.timezone"):
        load_settings(path)


def test_secrets_come_only_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("secrets:\n  bot_token: '1:abc'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="secrets"):
        load_settings(path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "42:from-env")
    settings = load_settings(ROOT / "config.yaml")
    assert settings.secrets.bot_token == "42:from-env"
    assert not settings.sandbox_mode
    assert "from-env" not in settings.model_dump_json()


def test_no_token_means_sandbox() -> None:
    assert load_settings(ROOT / "config.yaml").sandbox_mode


def test_database_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1/test")
    assert load_settings(ROOT / "config.yaml").database.url.startswith("postgresql+asyncpg://")


def test_unsupported_database_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/shop")
    with pytest.raises(ConfigError, match=r"database\.url"):
        load_settings(ROOT / "config.yaml")
