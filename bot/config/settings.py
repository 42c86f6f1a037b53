"""Loading and validating settings."""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from bot.config.features import (
    DigestSettings,
    FlashSaleSettings,
    GroupBuySettings,
    LoyaltySettings,
    SupportSettings,
)
from bot.config.ops import OpsSettings
from bot.config.sections import (
    CatalogSettings,
    DatabaseSettings,
    NluSettings,
    OrderSettings,
    OutboxSettings,
    PaymentSettings,
    RedisSettings,
    SandboxSettings,
    SchedulerSettings,
    ShopSettings,
    TelegramSettings,
)

DEFAULT_CONFIG_PATH = Path("config.yaml")
_CONFIG_PATH: ContextVar[Path] = ContextVar("groupcart_config_path", default=DEFAULT_CONFIG_PATH)

# Secrets never live in config.yaml: a key found there stops start-up.
SECRET_ENV = {
    "bot_token": "TELEGRAM_BOT_TOKEN",
    "payment_provider_token": "PAYMENT_PROVIDER_TOKEN",
    "webhook_secret": "TELEGRAM_WEBHOOK_SECRET",
}


class ConfigError(Exception):
    """Invalid configuration; the message names the offending key."""


class Secrets(BaseModel):
    bot_token: str | None = None
    payment_provider_token: str | None = None
    webhook_secret: str | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GROUPCART_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    shop: ShopSettings = Field(default_factory=ShopSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    admins: list[int] = Field(default_factory=list)
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)
    orders: OrderSettings = Field(default_factory=OrderSettings)
    payments: PaymentSettings = Field(default_factory=PaymentSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    nlu: NluSettings = Field(default_factory=NluSettings)
    groupbuy: GroupBuySettings = Field(default_factory=GroupBuySettings)
    flashsale: FlashSaleSettings = Field(default_factory=FlashSaleSettings)
    loyalty: LoyaltySettings = Field(default_factory=LoyaltySettings)
    support: SupportSettings = Field(default_factory=SupportSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    ops: OpsSettings = Field(default_factory=OpsSettings)
    secrets: Secrets = Field(default_factory=Secrets, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Precedence: explicit overrides (tests, CLI flags) > GROUPCART_* environment > config.yaml.
        yaml_source = YamlConfigSettingsSource(settings_cls, yaml_file=_CONFIG_PATH.get())
        return (init_settings, env_settings, yaml_source)

    @property
    def sandbox_mode(self) -> bool:
        return not self.secrets.bot_token


def _check_yaml(path: Path) -> None:
    """Fail early, naming the file, for problems pydantic would report vaguely."""
    if not path.exists():
        return
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    if "secrets" in data:
        raise ConfigError(f"{path}: key 'secrets' is not allowed; set {', '.join(SECRET_ENV.values())} instead")


def _format_error(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"]) or "(root)"
        lines.append(f"config key '{key}': {err['msg']}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def load_settings(path: Path | str | None = None, **overrides: Any) -> Settings:
    """Read config.yaml (or $GROUPCART_CONFIG), apply GROUPCART_* variables and overrides, validate."""
    config_path = Path(path or os.environ.get("GROUPCART_CONFIG") or DEFAULT_CONFIG_PATH)
    _check_yaml(config_path)
    if os.environ.get("DATABASE_URL") and "database" not in overrides:
        overrides["database"] = {"url": os.environ["DATABASE_URL"]}
    token = _CONFIG_PATH.set(config_path)
    try:
        settings = Settings(**overrides)
        settings.secrets = Secrets(**{field: os.environ.get(name) or None for field, name in SECRET_ENV.items()})
    except ValidationError as exc:
        raise ConfigError(_format_error(exc)) from exc
    finally:
        _CONFIG_PATH.reset(token)
    return settings
