"""Emulator settings (re-exported from bot.emulator.server as the public name)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.emulator.rules import Limits


@dataclass
class EmulatorConfig:
    token: str = "123456:SANDBOX-TOKEN"
    username: str = "groupcart_bot"
    first_name: str = "groupcart"
    # flood control: ~1 msg/s per chat with a small burst, 20 msgs/min per group, 30 msgs/s in total
    per_chat_rate: float = 1.0
    per_chat_burst: int = 3
    per_group_per_minute: int = 20
    global_per_second: int = 30
    flood_limits: bool = True
    # every time-dependent rule (flood windows, retry_after, pre-checkout and callback windows, webhook
    # retry backoff) lasts `time_scale` times its Telegram duration
    time_scale: float = 1.0
    # emulated time stands still until the control API advances it (POST /control/clock): the flood windows
    # then see every burst a single user action causes, however fast or slow the machine is
    frozen_clock: bool = False
    # emulated seconds that pass before each user action (a person reads, then taps): with it, a 429 means the
    # bot sent a burst for one action, not that a test clicked faster than any person could
    user_pace_seconds: float = 0.0
    pre_checkout_timeout: float = 10.0
    callback_answer_window: float = 15.0
    inline_answer_window: float = 10.0
    settle_timeout: float = 10.0  # real seconds a user action waits for the bot before reporting a stall
    web_dir: Path | None = None
    control_token: str | None = None  # when set, /control/* needs it (X-Sandbox-Token header or ?token=)
    payment_test_provider_token: str = "TEST:sandbox-provider"
    # photos "sent by URL" are only downloaded from these hosts; any other URL yields a placeholder picture
    fetch_url_hosts: tuple[str, ...] = field(default=("127.0.0.1", "localhost"))
    supports_inline_queries: bool = True

    @property
    def bot_id(self) -> int:
        head = self.token.split(":", 1)[0]
        return int(head) if head.isdigit() else 123456

    def limits(self) -> Limits:
        return Limits(
            per_chat_rate=self.per_chat_rate,
            per_chat_burst=self.per_chat_burst,
            per_group_per_minute=self.per_group_per_minute,
            global_per_second=self.global_per_second,
            pre_checkout_timeout=self.pre_checkout_timeout,
            callback_answer_window=self.callback_answer_window,
            inline_answer_window=self.inline_answer_window,
        )
