"""Plays fuzzed actions through the emulator against the real bot and sorts what went wrong into classes.

Each action goes in as a user would (the control API, which waits until the bot handled the update), on a frozen
emulator clock that the driver advances by the action's pause, so flood windows count exactly what the bot sent
for one action. After each action the driver looks at what is new: error answers, an unanswered callback or
pre-checkout query, an exception the bot logged, the apology. Each finding is filed under a class (what failed,
where) with the smallest action that showed it.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.emulator.client import ChatHandle, EmulatorError, SettleError, UserHandle
from bot.emulator.engine import Emulator
from bot.sandbox import Stack
from store import users as store_users
from tests import strict
from tests.conftest import ADMIN_ID
from tests.fuzz.actions import (
    GROUP_ADMIN,
    GROUP_PLAIN,
    GROUP_UNKNOWN,
    PRIVATE,
    SUPPORT,
    Act,
    Payment,
    PressKey,
    SendOther,
    SendPhoto,
    SendText,
    TapButton,
    TapData,
    describe,
    size,
)
from tests.fuzz.strategies import CONFIG_ADMIN, callback_shapes

ROOT = Path(__file__).resolve().parents[2]
PROJECT_DIRS = ("handlers", "store", "bot", "dialogues")


@dataclass
class Finding:
    kind: str  # error response | unanswered callback | unanswered pre-checkout | exception | apology | stall
    detail: str
    where: str  # the handler / module the finding points at
    count: int = 0
    smallest: Act | None = None
    example_detail: str = ""

    def add(self, act: Act, detail: str) -> None:
        self.count += 1
        if self.smallest is None or size(act) < size(self.smallest):
            self.smallest = act
            self.example_detail = detail


@dataclass
class Findings:
    classes: dict[tuple[str, str, str], Finding] = field(default_factory=dict)
    actions: int = 0
    updates: int = 0
    skipped: int = 0
    notes: dict[str, str] = field(default_factory=dict)  # errors the bot logged on purpose -> an action
    seconds: dict[str, float] = field(default_factory=dict)  # real time per kind of action, to keep runs short

    def file(self, kind: str, detail: str, where: str, act: Act, example: str = "") -> None:
        key = (kind, normalise(detail), where)
        finding = self.classes.setdefault(key, Finding(kind, normalise(detail), where))
        finding.add(act, example or detail)

    def report(self) -> str:
        timing = ", ".join(f"{k} {v:.1f}s" for k, v in sorted(self.seconds.items(), key=lambda kv: -kv[1]))
        lines = [f"{len(self.classes)} failure classes over {self.actions} actions ({self.updates} updates, "
                 f"{self.skipped} not possible); time: {timing}"]
        for finding in sorted(self.classes.values(), key=lambda f: (f.where, f.kind, -f.count)):
            lines.append(f"- [{finding.where}] {finding.kind}: {finding.detail}  (x{finding.count})")
            if finding.smallest is not None:
                lines.append(f"    smallest: {describe(finding.smallest)}")
                lines.append(f"    saw: {finding.example_detail[:300]}")
        if self.notes:
            lines.append("errors the bot logged on purpose (not counted as failures):")
            lines += [f"- {note}  e.g. {example}" for note, example in sorted(self.notes.items())]
        return "\n".join(lines)


def normalise(detail: str) -> str:
    """Fold numbers and ids so that one fault is one class."""
    detail = re.sub(r"\d+", "N", detail)
    return detail[:200]


class LogCatcher(logging.Handler):
    """Errors the bot logs: the error handler's 'update failed' with its exception, crashes of background jobs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def catching_logs() -> Iterator[LogCatcher]:
    catcher = LogCatcher()
    root = logging.getLogger()
    root.addHandler(catcher)
    try:
        yield catcher
    finally:
        root.removeHandler(catcher)


def exception_site(record: logging.LogRecord) -> tuple[str, str]:
    """(exception type and message, deepest project frame) of a logged error."""
    if not record.exc_info or record.exc_info[1] is None:
        return record.getMessage(), record.name
    exc = record.exc_info[1]
    where = record.name
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        try:
            relative = path.resolve().relative_to(ROOT)
        except ValueError:
            continue
        if relative.parts and relative.parts[0] in PROJECT_DIRS:
            where = f"{relative}:{frame.lineno} {frame.name}"
    return f"{type(exc).__name__}: {exc}", where


class World:
    """The users and chats the fuzzed actions name by role."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.emu: Emulator = stack.emulator.emulator
        self.users: dict[str, UserHandle] = {}
        self.chats: dict[str, ChatHandle] = {}

    async def build(self) -> None:
        client, people = self.stack.client, self.stack.people
        for role, name in (("alice", "Alice"), ("lilei", "李雷"), ("lena", "Lena"), ("sam", "Sam"), ("ada", "Ada")):
            self.users[role] = people[name]
            await people[name].send("/start")
        root = self.users[CONFIG_ADMIN] = await client.user("Root", id=ADMIN_ID)
        await root.send("/start")
        await self.stack.chats["support"].add(root)
        for role, lang in (("new_en", "en"), ("new_zh", "zh-hans"), ("new_ar", "ar"), ("new_none", None)):
            self.users[role] = await client.user(f"Fuzzy {role}", lang=lang)
        await store_users.grant_role(self.stack.db, people["Ada"].id, "admin")
        self.chats[GROUP_ADMIN] = self.stack.chats["group"]
        self.chats[SUPPORT] = self.stack.chats["support"]
        self.chats[GROUP_PLAIN] = await client.group("Plain street", members=[self.users[r] for r in
                                                                              ("alice", "lilei", "lena")])
        self.chats[GROUP_UNKNOWN] = await client.adopt_group("Lost group", [self.users[r] for r in
                                                                           ("alice", "new_en", "new_zh", "new_ar")])

    def chat_id(self, act: Act) -> int:
        return self.users[act.user].id if act.chat == PRIVATE else self.chats[act.chat].id


class Driver:
    def __init__(self, world: World, findings: Findings, logs: LogCatcher) -> None:
        self.world = world
        self.emu = world.emu
        self.findings = findings
        self.logs = logs
        self.apologies = strict.apologies()
        self.toast_apologies = {text[: strict.CALLBACK_ANSWER_LIMIT] for text in self.apologies}
        self.checked_ids: dict[int, int] = {}  # chat id -> newest message id already looked at
        self.checked_toasts: dict[int, int] = {}
        self.hint: str | None = None

    def _new_apologies(self) -> list[str]:
        """Apologies since the last look (messages and toasts), without rescanning old messages."""
        found = []
        for chat in self.emu.chats.values():
            last = self.checked_ids.get(chat.id, 0)
            for message_id in range(last + 1, chat.next_message_id):
                stored = chat.messages.get(message_id)
                if stored is not None and stored.from_bot and stored.data.get("text") in self.apologies:
                    found.append(f"message {message_id} in chat {chat.id}")
            self.checked_ids[chat.id] = chat.next_message_id - 1
        for user in self.emu.users.values():
            seen = self.checked_toasts.get(user.id, 0)
            found += [f"toast to {user.id}" for toast in user.toasts[seen:]
                      if toast.get("text") in self.toast_apologies]
            self.checked_toasts[user.id] = len(user.toasts)
        return found

    async def play(self, act: Act) -> None:
        emu = self.emu
        emu.clock.advance(act.pause)
        call_seq, update_id = emu.call_seq, emu.queue.next_update_id
        callbacks, pre_checkouts = set(emu.callbacks), set(emu.pre_checkouts)
        logged = len(self.logs.records)
        self.findings.actions += 1
        self.hint = None
        started = time.perf_counter()
        try:
            await self._do(act)
        except SettleError as exc:
            self.findings.file("stall", "the bot did not finish the update in time", "dispatcher", act, str(exc))
        except EmulatorError:
            self.findings.skipped += 1  # not something this user can do here (no button to tap ...)
        kind = type(act).__name__
        self.findings.seconds[kind] = self.findings.seconds.get(kind, 0.0) + time.perf_counter() - started
        self.findings.updates += emu.queue.next_update_id - update_id
        self._inspect(act, call_seq, callbacks, pre_checkouts, logged)

    def _inspect(self, act: Act, call_seq: int, callbacks: set[str], pre_checkouts: set[str], logged: int) -> None:
        emu, where = self.emu, self.hint or route(act)
        for error in emu.error_responses(call_seq):
            detail = f"{error['method']} -> {error['error_code']} {error['description']}"
            self.findings.file("error response", detail, where, act, f"{detail} {error['params']}")
        for record_id in set(emu.callbacks) - callbacks:
            record = emu.callbacks[record_id]
            if not record.answered:
                self.findings.file("unanswered callback", "callback query never answered", where, act,
                                   str(record.summary()))
        for record_id in set(emu.pre_checkouts) - pre_checkouts:
            record = emu.pre_checkouts[record_id]
            if not record.answer.done():
                self.findings.file("unanswered pre-checkout", "pre-checkout query never answered", where, act,
                                   str(record.summary()))
        for record in self.logs.records[logged:]:
            detail, site = exception_site(record)
            if record.exc_info or record.name == "handlers.errors":
                self.findings.file("exception", detail, site, act, f"{record.getMessage()}: {detail}")
            else:
                # an error the bot chose to log (e.g. a charge for an order it cannot find): worth reading, but
                # the bot handled it
                self.findings.notes[normalise(f"{record.name}: {record.getMessage()}")] = describe(act)
        for place in self._new_apologies():
            self.findings.file("apology", "the error handler apologised", where, act, place)

    async def _do(self, act: Act) -> None:
        world = self.world
        user = world.users[act.user]
        chat = None if act.chat == PRIVATE else world.chats[act.chat]
        if isinstance(act, SendText):
            await user.send(act.text, chat)
        elif isinstance(act, SendPhoto):
            content: dict[str, object] = {"photo": True}
            if act.caption and act.caption.strip():
                content["caption"] = act.caption
            await user.post(content, chat)
        elif isinstance(act, SendOther):
            await user.post(other_content(act, user), chat)
        elif isinstance(act, TapButton):
            await self._tap(act, user, chat)
        elif isinstance(act, TapData):
            await user.tap_data(act.data, chat)
        elif isinstance(act, PressKey):
            keyboard = self.emu.chats.get(user.id)
            shown = keyboard.reply_keyboard if keyboard is not None else None
            if not shown:
                raise EmulatorError("no reply keyboard")
            labels = [b["text"] for row in shown["keyboard"] for b in row]
            await user.press(labels[act.index % len(labels)])
        elif isinstance(act, Payment):
            if act.stage == "pre_checkout":
                await user.pre_checkout(act.currency, act.amount, act.payload)
            else:
                await user.successful_payment(act.currency, act.amount, act.payload)

    async def _tap(self, act: TapButton, user: UserHandle, chat: ChatHandle | None) -> None:
        chat_id = self.world.chat_id(act)
        stored = next((m for m in sorted(self.emu.chats[chat_id].messages.values(), key=lambda m: -m.message_id)
                       if m.from_bot and not m.deleted and (m.data.get("reply_markup") or {}).get("inline_keyboard")),
                      None) if chat_id in self.emu.chats else None
        if stored is None:
            raise EmulatorError("no buttons")
        buttons = [b for row in stored.data["reply_markup"]["inline_keyboard"] for b in row if "callback_data" in b]
        if not buttons:
            raise EmulatorError("no callback buttons")
        real = buttons[act.index % len(buttons)]["callback_data"]
        data = mutate(real, act.mutation, act.noise)
        self.hint = f"callback {real.split(':')[0]!r} ({act.mutation or 'as sent'}, {act.chat})"
        await user.tap_data(data, chat, message=stored.message_id)


def other_content(act: SendOther, user: UserHandle) -> dict[str, object]:
    digits = re.sub(r"\D", "", act.value)[:15] or "0"
    if act.kind == "sticker":
        return {"sticker": {"file_id": "CAACAgIAAx0", "file_unique_id": "AgAD", "type": "regular", "width": 512,
                            "height": 512, "is_animated": False, "is_video": False, "emoji": "🍎"}}
    if act.kind in ("contact", "contact_other"):
        contact: dict[str, object] = {"phone_number": f"+{digits}", "first_name": act.value[:64] or "X"}
        if act.kind == "contact":
            contact["user_id"] = user.id
        return {"contact": contact}
    lat, lon = (int(digits[:6] or 0) % 180) - 90.0, (int(digits[-6:] or 0) % 360) - 180.0
    if act.kind == "location":
        return {"location": {"latitude": lat, "longitude": lon}}
    if act.kind == "venue":
        return {"venue": {"location": {"latitude": lat, "longitude": lon}, "title": act.value[:64] or "V",
                          "address": act.value[:128] or "A"}}
    if act.kind == "dice":
        return {"dice": {"emoji": "🎲", "value": int(digits[:1]) % 6 + 1}}
    return {"document": act.value or "empty"}


def mutate(data: str, mutation: str | None, noise: str) -> str:
    """A real button's data, altered as an old message or a modified client would alter it."""
    parts = data.split(":")
    numeric = [i for i, part in enumerate(parts) if part.lstrip("-").isdigit()]
    if mutation in ("stale_id", "huge_id", "negative_id") and numeric:
        value = {"stale_id": "987654", "huge_id": str(2**63), "negative_id": "-1"}[mutation]
        parts[numeric[-1]] = value
    elif mutation == "truncate":
        parts = parts[: max(1, len(parts) - 1)]
    elif mutation == "append":
        parts.append(noise or "x")
    elif mutation == "other_user_chat" and numeric:
        parts[numeric[0]] = str(int(parts[numeric[0]]) + 1)
    out = ":".join(parts).encode("utf-8")[:64].decode("utf-8", "ignore")
    return out or "x"


def route(act: Act) -> str:
    """The handler an action is aimed at: the command, the callback prefix, or the kind of content."""
    if isinstance(act, SendText):
        if act.text.startswith("/"):
            return f"command /{act.text[1:].split(maxsplit=1)[0].split('@')[0]} ({act.chat})"
        return f"text ({act.chat})"
    if isinstance(act, TapData):
        prefix = act.data.split(":")[0]
        known = prefix if prefix in {p for p, _ in callback_shapes()} else "unknown prefix"
        return f"callback {known!r} (forged, {act.chat})"
    if isinstance(act, TapButton):
        return f"callback tap{' ' + act.mutation if act.mutation else ''} ({act.chat})"
    if isinstance(act, SendOther):
        return f"{act.kind} ({act.chat})"
    if isinstance(act, SendPhoto):
        return f"photo ({act.chat})"
    if isinstance(act, Payment):
        return f"payment {act.stage}"
    return f"{type(act).__name__} ({act.chat})"
