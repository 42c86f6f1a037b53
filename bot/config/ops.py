"""Configuration of operations: stock alerts, broadcasts and analytics."""

from __future__ import annotations

from pydantic import Field

from bot.config.sections import Section


class OpsSettings(Section):
    low_stock_threshold: int = Field(
        default=5, ge=0, description="default low-stock threshold (a product may set its own); 0 turns alerts off"
    )
    stock_check_seconds: int = Field(
        default=60, ge=1, description="how often every product is checked (orders are checked at once)"
    )
    broadcast_per_second: float = Field(
        default=15.0, gt=0, le=30, description="broadcast pace, kept under the outbox's global pace"
    )
    broadcast_progress_seconds: float = Field(
        default=3.0, ge=0.5, description="the admin's broadcast progress message is edited at most this often"
    )
    analytics_flush_seconds: float = Field(default=10.0, gt=0, description="how often counted views are written")
    audit_page_size: int = Field(default=10, ge=1, le=30)
