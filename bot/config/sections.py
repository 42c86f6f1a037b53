"""Configuration sections shared by the whole bot. Feature sections live beside this module."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Section(BaseModel):
    """Every section refuses unknown keys, so a typo in config.yaml stops start-up naming the key."""

    model_config = ConfigDict(extra="forbid")


class LocalizedName(Section):
    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class PickupPoint(Section):
    id: str = Field(pattern=r"^[a-z0-9_-]{1,32}$")
    name: LocalizedName
    address: LocalizedName
    hours: str = "09:00-21:00"


class ShopSettings(Section):
    name: str = "groupcart"
    timezone: str = "Asia/Shanghai"
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    default_language: str = Field(default="en", pattern=r"^(en|zh)$")
    delivery_fee: int = Field(default=800, ge=0, description="minor units")
    free_delivery_over: int = Field(default=9900, ge=0, description="minor units; 0 disables")
    delivery_days: str = "1-3"
    return_days: int = Field(default=7, ge=0)
    hours: str = "09:00-21:00"
    # Where a phone number typed without its country code is from (ISO 3166 alpha-2): "138 0013 8000" is +86...
    phone_region: str = Field(default="CN", pattern=r"^[A-Z]{2}$")
    phone: str | None = None  # the shop's phone number for shoppers, quoted by the "contact" FAQ answer
    email: str | None = None  # the shop's email address for shoppers, likewise
    pickup_points: list[PickupPoint] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @field_validator("phone_region")
    @classmethod
    def _known_phone_region(cls, value: str) -> str:
        import phonenumbers

        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown phone region {value!r} (ISO 3166 alpha-2, e.g. CN, GB, US)")
        return value


class WebhookSettings(Section):
    host: str = "0.0.0.0"
    port: int = Field(default=8443, ge=1, le=65535)
    path: str = "/telegram/webhook"
    public_url: str | None = None


class PacingSettings(Section):
    """Telegram's flood limits as the bot keeps them (a little under the real ones, so jitter stays inside)."""

    per_chat_per_second: float = Field(default=0.9, gt=0, le=30)
    per_chat_burst: int = Field(default=3, ge=1, le=30)
    per_group_per_minute: int = Field(default=19, ge=1, le=60)
    global_per_second: float = Field(default=28, gt=0, le=1000)
    repeat_window_seconds: float = Field(default=0.0, ge=0, le=60)


class TelegramSettings(Section):
    api_base: str | None = None
    bot_username: str | None = None
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    polling_timeout: int = Field(default=30, ge=0, le=50)
    standby_lock: str | None = Field(
        default=None,
        description="`run --standby`: the file whose lock marks the polling process; default: one per bot in /tmp",
    )
    pacing: PacingSettings = Field(default_factory=PacingSettings)


class DatabaseSettings(Section):
    url: str = "sqlite+aiosqlite:///var/groupcart.db"
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _supported(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB")
        return value


class RedisSettings(Section):
    url: str | None = None
    update_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="how long an update stays claimed by a worker that has not finished it; after that a "
        "redelivery is handled by another (the claimant is taken for dead): longer than any handler takes",
    )


class CatalogSettings(Section):
    page_size: int = Field(default=6, ge=1, le=20)
    search_page_size: int = Field(default=6, ge=1, le=20)
    search_refresh_seconds: float = Field(
        default=2.0, ge=0, description="how often a search checks the database for changed products"
    )


class OrderSettings(Section):
    reservation_minutes: int = Field(default=30, ge=1, le=24 * 60)
    pickup_hold_minutes: int = Field(default=48 * 60, ge=0, description="pay-on-pickup hold; 0 = until cancelled")
    max_quantity_per_line: int = Field(default=99, ge=1)


class PaymentSettings(Section):
    card_enabled: bool = True
    stars_enabled: bool = True
    pickup_payment_enabled: bool = True
    inbox_path: str | None = Field(
        default=None, description="local spool of payments not yet recorded; default: beside the SQLite database"
    )
    inbox_retry_seconds: float = Field(default=1.0, gt=0, description="first retry of an unrecorded payment")
    inbox_retry_max_seconds: float = Field(default=60.0, gt=0, description="retries back off up to this")


class SandboxSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    data_dir: str = "var/sandbox"
    allow_remote: bool = False  # a non-loopback host needs this (or --allow-remote); a token then guards it


class SchedulerSettings(Section):
    grace_seconds: int = Field(default=300, ge=0)
    sweep_seconds: float = Field(default=5.0, gt=0)


class OutboxSettings(Section):
    per_second: float = Field(default=20.0, gt=0, description="paced below Telegram's ~30 msgs/s")
    poll_seconds: float = Field(default=0.5, gt=0)
    max_attempts: int = Field(default=5, ge=1)


class DidYouMean(Section):
    """Below the threshold, offer the best intents as buttons when they are plausible together."""

    top1: float = Field(default=0.25, ge=0, le=1, description="the best intent reaches this")
    top3: float = Field(default=0.5, ge=0, le=1, description="and the best three together reach this")


class NluSettings(Section):
    backend: str = Field(default="builtin", pattern=r"^(builtin|rasa)$")
    rasa_url: str | None = None
    rasa_url_zh: str | None = None
    rasa_timeout: float = Field(default=0.8, gt=0, le=30)
    threshold: float = Field(default=0.6, ge=0, le=1)
    did_you_mean: DidYouMean = Field(default_factory=DidYouMean)
    cache_dir: str = ".nlu-cache"
