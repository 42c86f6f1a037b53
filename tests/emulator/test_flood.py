"""Flood control: per-chat burst, 20 per minute per group (edits included), 30 per second overall."""

from __future__ import annotations

import pytest

from bot.emulator.errors import ApiError
from bot.emulator.rules import Clock, FloodLimiter, Limits
from tests.emulator.conftest import Harness


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def limiter(**limits: float) -> tuple[FloodLimiter, FakeClock]:
    fake = FakeClock()
    return FloodLimiter(Limits(**limits), Clock(1.0, now=fake)), fake  # type: ignore[arg-type]


def test_per_chat_bucket_refills_one_per_second() -> None:
    flood, clock = limiter(per_chat_burst=3)
    for _ in range(3):
        flood.check_send(1, is_group=False)
    with pytest.raises(ApiError) as refused:
        flood.check_send(1, is_group=False)
    assert refused.value.code == 429
    assert refused.value.parameters == {"retry_after": 1}
    assert refused.value.description == "Too Many Requests: retry after 1"
    flood.check_send(2, is_group=False)  # another chat is not affected
    clock.t += 1.0
    flood.check_send(1, is_group=False)


def test_group_limit_counts_edits_and_reports_wait() -> None:
    flood, clock = limiter(per_chat_burst=100, per_chat_rate=100.0)
    for _ in range(10):
        flood.check_send(-5, is_group=True)
        clock.t += 0.5
    for _ in range(10):
        flood.check_edit(-5, is_group=True)
    with pytest.raises(ApiError) as refused:
        flood.check_send(-5, is_group=True)
    assert refused.value.parameters == {"retry_after": 55}  # the first send leaves the window at t0 + 60
    flood.check_edit(-5, is_group=False)  # private-chat edits are not limited
    clock.t += 55.0
    flood.check_send(-5, is_group=True)


def test_global_limit() -> None:
    flood, clock = limiter(global_per_second=30)
    for chat in range(30):
        flood.check_send(chat, is_group=False)
    with pytest.raises(ApiError):
        flood.check_send(99, is_group=False)
    clock.t += 1.0
    flood.check_send(99, is_group=False)


def test_time_scale_shrinks_windows() -> None:
    fake = FakeClock()
    flood = FloodLimiter(Limits(per_chat_burst=1), Clock(0.01, now=fake))
    flood.check_send(1, is_group=False)
    with pytest.raises(ApiError):
        flood.check_send(1, is_group=False)
    fake.t += 0.01  # one emulated second
    flood.check_send(1, is_group=False)


@pytest.mark.parametrize("base", [100.0, 3000.12, 123456.789])
def test_a_window_that_has_passed_is_not_refused_for_rounding(base: float) -> None:
    """A frozen, scaled clock advanced by exactly one emulated second: the refill and the group window read the
    difference of two large floats (3000.12 + 0.02 - 3000.12 < 0.02), which must still count as a whole second."""
    fake = FakeClock()
    fake.t = base
    clock = Clock(0.02, now=fake, frozen=True)
    flood = FloodLimiter(Limits(per_chat_burst=1, per_group_per_minute=1), clock)
    flood.check_send(1, is_group=False)
    flood.check_send(-5, is_group=True)
    with pytest.raises(ApiError):
        flood.check_send(1, is_group=False)
    clock.advance(1.0)
    flood.check_send(1, is_group=False)
    clock.advance(59.0)
    flood.check_send(-5, is_group=True)


async def test_burst_in_private_chat_gets_429_with_retry_after(h: Harness) -> None:
    alice = await h.user()
    results = [await h.call("sendMessage", chat_id=alice["id"], text=f"m{i}") for i in range(4)]
    assert [status for status, _ in results] == [200, 200, 200, 429]
    body = results[-1][1]
    assert body["description"] == "Too Many Requests: retry after 1"
    assert body["parameters"] == {"retry_after": 1}
    h.emu.clock.advance(1.0)  # one Telegram second later a message is allowed again
    assert (await h.call("sendMessage", chat_id=alice["id"], text="later"))[0] == 200


async def test_group_twenty_per_minute_with_edits(h: Harness) -> None:
    alice = await h.user()
    group = await h.group([alice])
    h.emu.limits.per_chat_burst = 100
    h.emu.limiter.limits.per_chat_burst = 100
    sent = await h.ok("sendMessage", chat_id=group["id"], text="card 0")
    for i in range(1, 19):
        await h.ok("editMessageText", chat_id=group["id"], message_id=sent["message_id"], text=f"card {i}")
    await h.ok("sendMessage", chat_id=group["id"], text="card 19")
    body = await h.error("editMessageText", chat_id=group["id"], message_id=sent["message_id"], text="too many")
    assert body["error_code"] == 429 and body["parameters"]["retry_after"] >= 1
    body = await h.error("sendMessage", chat_id=group["id"], text="too many")
    assert body["error_code"] == 429


async def test_flood_limits_can_be_switched_off(h: Harness) -> None:
    alice = await h.user()
    await h.control("config", {"flood_limits": False})
    for i in range(10):
        await h.ok("sendMessage", chat_id=alice["id"], text=f"m{i}")
    state = await h.get("state")
    assert state["config"]["flood_limits"] is False
