"""Telegram-strict end-to-end checks, in one place for every fixture that runs the real bot.

A test through the emulator passes only if, besides its own assertions, the bot
- got no error answer from the Bot API (4xx, 429, or an emulator crash) that the test did not provoke,
- answered every callback query and pre-checkout query (in time: a late answer is refused and counts),
- never sent the error handler's apology (`errors.internal`, en or zh) as a message, toast or checkout refusal.

Opting in to errors a test provokes on purpose (descriptions match case-insensitively as substrings):

    @pytest.mark.api_errors("bot was blocked by the user")      # allowed anywhere in the test
    async def test_blocked(shop, strict): ...

    with strict.expect("message is not modified"):               # allowed here, and must happen here
        await alice.tap("Refresh")

    @pytest.mark.unanswered_queries("the test lets the pre-checkout window pass")
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.emulator.engine import Emulator
from bot.i18n import t
from bot.sandbox import Stack

APOLOGY_KEY = "errors.internal"
LANGUAGES = ("en", "zh")
CALLBACK_ANSWER_LIMIT = 200  # handlers/errors.py cuts the apology to these lengths for toasts / checkout
PRE_CHECKOUT_ERROR_LIMIT = 255


def apologies() -> set[str]:
    return {t(lang, APOLOGY_KEY) for lang in LANGUAGES}


def _matches(description: str, expected: Iterable[str]) -> bool:
    lowered = description.lower()
    return any(item.lower() in lowered for item in expected)


@dataclass
class _Window:
    descriptions: tuple[str, ...]
    start: int
    end: int | None = None


@dataclass
class StrictTelegram:
    """What a test declared about errors, and the check that runs when its stack stops."""

    emulator: Emulator
    allowed: tuple[str, ...] = ()
    unanswered_ok: bool = False
    windows: list[_Window] = field(default_factory=list)

    @contextlib.contextmanager
    def expect(self, *descriptions: str) -> Iterator[None]:
        """Errors matching `descriptions` are allowed while the block runs; at least one must occur."""
        if not descriptions:
            raise ValueError("name the error descriptions the block provokes")
        window = _Window(descriptions, self.emulator.call_seq)
        self.windows.append(window)
        yield
        window.end = self.emulator.call_seq
        seen = [e for e in self.emulator.error_responses(window.start)
                if e["seq"] <= window.end and _matches(e["description"], descriptions)]
        assert seen, f"the block was declared to provoke {descriptions!r}, but no such error answer came"

    def _provoked(self, error: dict[str, Any]) -> bool:
        if _matches(error["description"], self.allowed):
            return True
        seq = error["seq"]
        return any(w.start < seq and (w.end is None or seq <= w.end) and _matches(error["description"], w.descriptions)
                   for w in self.windows)

    def violations(self) -> list[str]:
        emu = self.emulator
        found = [f"error response: {e['method']} -> {e['error_code']} {e['description']} {e['params']}"
                 for e in emu.error_responses() if not self._provoked(e)]
        if not self.unanswered_ok:
            found += [f"callback query never answered: {r.summary()}" for r in emu.unanswered_callbacks()]
            found += [f"pre-checkout query never answered: {r.summary()}" for r in emu.unanswered_pre_checkouts()]
        found += apology_violations(emu)
        return found


def apology_violations(emu: Emulator) -> list[str]:
    """Where the error handler apologised: a message, a callback toast or a refused checkout."""
    texts = apologies()
    cut = {text[:CALLBACK_ANSWER_LIMIT] for text in texts} | {text[:PRE_CHECKOUT_ERROR_LIMIT] for text in texts}
    found: list[str] = []
    for chat in emu.chats.values():
        for stored in chat.messages.values():
            if stored.from_bot and (stored.data.get("text") in texts or stored.data.get("caption") in texts):
                found.append(f"apology sent in chat {chat.id} (message {stored.message_id})")
    for user in emu.users.values():
        for toast in user.toasts:
            if toast.get("text") in cut:
                found.append(f"apology toast to user {user.id} for callback {toast.get('callback_query_id')}")
    for record in emu.pre_checkouts.values():
        if record.answer.done() and not record.answer.cancelled() and \
                (record.answer.result().get("error_message") or "") in cut:
            found.append(f"apology as pre-checkout refusal to user {record.user_id}")
    return found


def declared(request: pytest.FixtureRequest) -> tuple[tuple[str, ...], bool]:
    """The test's markers: error descriptions it provokes, and whether it leaves queries unanswered on purpose."""
    allowed: list[str] = []
    for marker in request.node.iter_markers("api_errors"):
        allowed.extend(str(arg) for arg in marker.args)
    return tuple(allowed), request.node.get_closest_marker("unanswered_queries") is not None


def for_stack(stack: Stack, request: pytest.FixtureRequest) -> StrictTelegram:
    allowed, unanswered_ok = declared(request)
    return StrictTelegram(stack.emulator.emulator, allowed, unanswered_ok)


async def verify(stack: Stack, strict: StrictTelegram) -> None:
    """Let the bot finish what it was given, then fail the test on any violation."""
    from bot.emulator.client import SettleError

    problems: list[str] = []
    try:
        await stack.client.settle()
    except SettleError as exc:
        problems.append(f"the bot did not finish its updates: {exc}")
    problems += strict.violations()
    if problems:
        shown = "\n  ".join(problems[:40])
        more = f"\n  ... and {len(problems) - 40} more" if len(problems) > 40 else ""
        pytest.fail(f"Telegram-strict check failed ({len(problems)}):\n  {shown}{more}", pytrace=False)


@contextlib.asynccontextmanager
async def checked(stack: Stack, request: pytest.FixtureRequest) -> AsyncIterator[StrictTelegram]:
    """For tests that start a stack themselves: check it, then stop it."""
    strict = for_stack(stack, request)
    try:
        yield strict
        await verify(stack, strict)
    finally:
        await stack.stop()
