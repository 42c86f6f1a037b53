"""Users, languages and roles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from store import audit, reachability
from store.db import Database, rowcount
from store.errors import DomainError
from store.models import Chat, Role, User, utcnow

ROLES = ("admin", "leader", "support")
LANGUAGES = ("en", "zh")
# How long a message in another language speaks for the shopper's menus (/cart, /help, buttons): long enough
# for the conversation it starts, short enough that one Chinese line does not switch an English shop for good.
CONVERSATION_WINDOW = timedelta(minutes=30)


@dataclass(frozen=True)
class UserInfo:
    id: int
    first_name: str
    username: str | None
    language: str
    is_new: bool = False
    # Until when `language` is a conversation language rather than the user's own (None: it is their own).
    language_until: datetime | None = None
    # Still erased (/forgetme) after this update: the update did not prove they are back (store.users.welcome_back).
    erased: bool = False


@dataclass(frozen=True)
class NewUser:
    """What the messenger tells about a user on first contact: enough to create their row."""

    id: int
    first_name: str
    last_name: str | None
    username: str | None
    language: str
    # False when first seen in a group: the bot may not write to them privately until they open its chat.
    reachable: bool = True


def _row(user: NewUser, now: datetime) -> dict[str, Any]:
    return {
        "id": user.id,
        "first_name": user.first_name[:128],
        "last_name": (user.last_name or None) and user.last_name[:128],
        "username": user.username,
        "language": user.language if user.language in LANGUAGES else "en",
        "language_chosen": False,
        "created_at": now,
        "last_seen_at": now,
        "unreachable": not user.reachable,
        "subscribed_flash": False,
        "checkin_reminder": False,
    }


async def create_users_in(session: AsyncSession, dialect: str, new_users: Sequence[NewUser]) -> set[int]:
    """`INSERT ... ON CONFLICT (id) DO NOTHING` for a batch (never get-then-insert, which two concurrent first
    contacts turn into a duplicate-key error); returns the ids that were created now."""
    if not new_users:
        return set()
    module: Any = sqlite if dialect == "sqlite" else postgresql
    now = utcnow()
    unique = list({u.id: u for u in new_users}.values())
    # Parameters as a list (executemany): SQLAlchemy's insertmanyvalues renders the batch from one compiled
    # statement; `.values([...])` compiled every row's parameters anew (450-650 ms for 2,000 rows on PostgreSQL
    # against 40-60 ms, time a flash storm's winners spent waiting).
    stmt = module.insert(User).on_conflict_do_nothing(index_elements=["id"]).returning(User.id)
    result = await session.execute(stmt, [_row(u, now) for u in unique])
    created: set[int] = {int(uid) for uid in result.scalars()}
    return created


async def create_users(db: Database, new_users: Sequence[NewUser]) -> set[int]:
    """Create the rows of users seen for the first time, in one transaction; existing rows are left alone."""
    async with db.tx() as session:
        return await create_users_in(session, db.dialect, new_users)


async def ensure_user(
    db: Database,
    user_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    language: str,
    *,
    reachable: bool = True,
    returning: bool = False,
) -> UserInfo:
    """Create the user on first contact and refresh their names.

    `reachable`: the update proves the bot can write to them (it came from their private chat), so an
    unreachable mark is cleared and the messages parked meanwhile go back to the queue. An update from a group
    proves nothing: a shopper who never opened the bot still taps buttons there.
    After /forgetme the Telegram names are not stored again (the shop does not need them), until an update
    proves the shopper is back (`returning`): then they become a fresh customer (welcome_back).
    A first contact is one upsert; a known user is read and refreshed.
    """
    async with db.tx() as session:
        new = NewUser(user_id, first_name, last_name, username, language, reachable)
        if await create_users_in(session, db.dialect, [new]):
            if not reachable:
                reachability.note_unreachable(user_id)  # their first private update clears it
            return UserInfo(user_id, first_name, username, language, is_new=True)
        user = await session.get(User, user_id, populate_existing=True)
        assert user is not None  # the upsert found it
        if user.erased_at is not None and returning:
            welcome_back(user, new)
        if user.erased_at is None:
            user.first_name = first_name[:128]
            user.last_name = (last_name or None) and last_name[:128]
            user.username = username
        user.last_seen_at = utcnow()
        if reachable and user.unreachable:
            await session.flush()
            await reachability.clear_in(session, user_id)
            user.unreachable = False  # the row already says so; keep the loaded object in step
        now = utcnow()
        lang = current_language(user, now)
        until = user.conversation_until if lang != user.language else None
        return UserInfo(
            user.id, user.first_name, user.username, lang, language_until=until, erased=user.erased_at is not None
        )


def welcome_back(user: User, seen: NewUser) -> None:
    """An erased shopper uses the bot again: from now on they are a customer like a new one. Their current Telegram
    name and language are stored as on a first contact, and the erasure mark goes, so flash alerts, broadcasts and
    wishlist notices reach them again once they opt in. Nothing erased comes back (it is gone); what erasure kept
    stays: orders (anonymised), the points ledger, check-ins, who referred them and `created_at` (so a return is
    not a "new user" for referral rewards), and a broadcast opt-out."""
    user.erased_at = None
    user.first_name = seen.first_name[:128]
    user.last_name = (seen.last_name or None) and seen.last_name[:128]
    user.username = seen.username
    user.language = seen.language if seen.language in LANGUAGES else "en"
    user.language_chosen = False
    user.conversation_language = None
    user.conversation_until = None


async def back_in_private(db: Database, seen: NewUser, *, returning: bool) -> bool:
    """/start from a known user: another process may have marked them unreachable or erased them, which this
    process's memory cannot know. One read; a write only for a marked or (when `returning`) erased user.
    True when the row changed (the caller's memory of the user is stale)."""
    async with db.read() as session:
        row = (await session.execute(select(User.unreachable, User.erased_at).where(User.id == seen.id))).one_or_none()
    if row is None or not (row.unreachable or (returning and row.erased_at is not None)):
        reachability.forget_mark(seen.id)
        return False
    async with db.tx() as session:
        user = await session.get(User, seen.id, populate_existing=True)
        if user is None:
            return False
        if user.unreachable:
            await reachability.clear_in(session, seen.id)
            user.unreachable = False
        if returning and user.erased_at is not None:
            welcome_back(user, seen)
        return True


def current_language(user: User, now: datetime) -> str:
    """The language menus and replies use now: an explicit /language choice, else the language the shopper
    wrote in within CONVERSATION_WINDOW, else their app's language."""
    if (
        not user.language_chosen
        and user.conversation_language is not None
        and user.conversation_until is not None
        and user.conversation_until > now
    ):
        return user.conversation_language
    return user.language


def support_language(user: User) -> str:
    """The language support speaks with the shopper: the one they last wrote in, however long the agent took
    (a ticket in Chinese gets its replies and rating request in Chinese), unless they chose one."""
    if not user.language_chosen and user.conversation_language is not None:
        return user.conversation_language
    return user.language


async def get_user(db: Database, user_id: int) -> User | None:
    async with db.read() as session:
        return await session.get(User, user_id)


async def set_language(db: Database, user_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise DomainError("unknown_language", language=language)
    async with db.tx() as session:
        user = await session.get(User, user_id)
        if user is None:
            raise DomainError("unknown_user")
        user.language = language
        user.language_chosen = True


@dataclass(frozen=True)
class ConversationLanguage:
    language: str  # the language the shopper's menus and replies use now
    until: datetime | None  # when it falls back to their own language (None: it is their own)


async def set_conversation_language(
    db: Database, user_id: int, language: str, *, now: datetime | None = None
) -> ConversationLanguage | None:
    """The shopper wrote in `language`: it becomes the conversation's language for CONVERSATION_WINDOW
    (writing their own language again ends it), unless they picked one with /language, which always wins.
    None for an unknown user or a language we do not speak."""
    if language not in LANGUAGES:
        return None
    now = now or utcnow()
    async with db.tx() as session:
        user = await session.get(User, user_id)
        if user is None:
            return None
        if user.language_chosen:
            return ConversationLanguage(user.language, None)
        if language == user.language:
            user.conversation_language = None
            user.conversation_until = None
            return ConversationLanguage(user.language, None)
        user.conversation_language = language
        user.conversation_until = now + CONVERSATION_WINDOW
        return ConversationLanguage(language, user.conversation_until)


async def chat_language(db: Database, chat_id: int) -> str | None:
    """The language of the bot's shared messages in a group; None when the group has none yet."""
    async with db.read() as session:
        chat = await session.get(Chat, chat_id)
        return chat.language if chat is not None else None


async def set_chat_language(db: Database, chat_id: int, language: str, *, only_if_unset: bool = False) -> bool:
    """Set a group's language (an admin's /language there); `only_if_unset` for the first one (whoever added
    the bot). False when nothing changed."""
    if language not in LANGUAGES:
        raise DomainError("unknown_language", language=language)
    async with db.tx() as session:
        chat = await session.get(Chat, chat_id)
        if chat is None:
            chat = Chat(id=chat_id, type="group", bot_status="member")
            session.add(chat)
        if chat.language == language or (only_if_unset and chat.language is not None):
            return False
        chat.language = language
        return True


async def mark_unreachable(db: Database, user_id: int) -> None:
    """Telegram will not deliver to this user (blocked, or never opened the chat); see store.reachability."""
    await reachability.mark_unreachable(db, user_id)


async def mark_reachable(db: Database, user_id: int) -> int:
    return await reachability.mark_reachable(db, user_id)


async def grant_role(db: Database, user_id: int, role: str, granted_by: int | None = None) -> bool:
    """Grant a role; False when the user already had it. The user need not have talked to the bot yet."""
    if role not in ROLES:
        raise DomainError("unknown_role", role=role)
    async with db.tx() as session:
        if await session.get(Role, (user_id, role)) is not None:
            return False
        session.add(Role(user_id=user_id, role=role, granted_by=granted_by))
        await audit.record_role(session, granted_by, user_id, role, granted=True)
        return True


async def revoke_role(db: Database, user_id: int, role: str, revoked_by: int | None = None) -> bool:
    async with db.tx() as session:
        result = await session.execute(delete(Role).where(Role.user_id == user_id, Role.role == role))
        if rowcount(result):
            await audit.record_role(session, revoked_by, user_id, role, granted=False)
        return bool(rowcount(result))


async def roles_of(db: Database, user_id: int) -> set[str]:
    async with db.read() as session:
        rows = await session.execute(select(Role.role).where(Role.user_id == user_id))
        return set(rows.scalars())


async def users_with_role(db: Database, role: str) -> list[int]:
    async with db.read() as session:
        rows = await session.execute(select(Role.user_id).where(Role.role == role))
        return list(rows.scalars())


async def record_chat(
    db: Database, chat_id: int, chat_type: str, title: str, bot_status: str, can_pin: bool, is_forum: bool
) -> None:
    """Remember a group the bot was added to, promoted in, or removed from (my_chat_member)."""
    async with db.tx() as session:
        chat = await session.get(Chat, chat_id)
        if chat is None:
            chat = Chat(id=chat_id, type=chat_type)
            session.add(chat)
        chat.type = chat_type
        chat.title = title[:256]
        chat.bot_status = bot_status
        chat.can_pin = can_pin
        chat.is_forum = is_forum


async def may_pin(db: Database, chat_id: int) -> bool:
    """Whether the bot may pin in this chat, as its last my_chat_member said (a group where it is a plain member
    answers a pin with 400 "not enough rights"; a chat never recorded is not assumed to allow it)."""
    async with db.read() as session:
        chat = await session.get(Chat, chat_id)
        return chat is not None and chat.can_pin and chat.bot_status in ("administrator", "creator")


async def migrate_chat(db: Database, old_id: int, new_id: int) -> None:
    """A group became a supergroup: its id changes and what we stored follows it."""
    async with db.tx() as session:
        old = await session.get(Chat, old_id)
        if old is None:
            return
        old.migrated_to = new_id
        old.bot_status = "migrated"
        if await session.get(Chat, new_id) is None:
            session.add(
                Chat(
                    id=new_id,
                    type="supergroup",
                    title=old.title,
                    bot_status="member",
                    can_pin=old.can_pin,
                    language=old.language,
                )
            )


async def active_groups(db: Database) -> list[Chat]:
    async with db.read() as session:
        rows = await session.execute(
            select(Chat).where(Chat.type.in_(("group", "supergroup")), Chat.bot_status.in_(("member", "administrator")))
        )
        return list(rows.scalars())
