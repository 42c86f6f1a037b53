"""Did-you-mean questions kept server-side, and the labelled examples they yield.

When the assistant is unsure it offers a few intents as buttons. The shopper's text and the offered intents
live in one row here; a button carries only the row id and the button's number (callback_data is 64 bytes and
never carries what the shopper typed). The first tap settles the row with a conditional update, so a double
tap or a forged button for another shopper's question changes nothing. Settled rows whose choice is an intent
are labelled training examples for an admin to review; unanswered rows are pruned after QUESTION_TTL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from store.db import Database
from store.models import utcnow
from store.models.nlu import NluQuestion

QUESTION_TTL = timedelta(days=14)
HUMAN = "@human"  # the choice recorded for "Talk to a person": not an intent, never exported
TEXT_MAX = 1000


@dataclass(frozen=True)
class Settled:
    """The question a tap settled: what was asked, in which language, and what the shopper picked."""

    question_id: int
    turn_id: int | None
    text: str
    lang: str
    choice: str


@dataclass(frozen=True)
class LabelledExample:
    text: str
    intent: str
    lang: str
    user_id: int
    answered_at: datetime


async def ask(
    db: Database, user_id: int, text: str, lang: str, candidates: Sequence[str], turn_id: int | None = None
) -> int:
    """Keep a question with the intents offered for it; returns the id its buttons carry."""
    now = utcnow()
    async with db.tx() as session:
        await session.execute(
            delete(NluQuestion).where(NluQuestion.choice.is_(None), NluQuestion.created_at < now - QUESTION_TTL)
        )
        row = NluQuestion(
            user_id=user_id,
            turn_id=turn_id,
            text=text[:TEXT_MAX],
            lang=lang,
            candidates=list(candidates),
            created_at=now,
        )
        session.add(row)
        await session.flush()
        return row.id


async def choose(db: Database, question_id: int, user_id: int, index: int | None) -> Settled | None:
    """Settle the shopper's own open question with offered intent number `index` (None: a person).

    None when the question is unknown, expired, someone else's, already settled, or `index` was not offered.
    """
    async with db.tx() as session:
        row = await session.get(NluQuestion, question_id)
        if row is None or row.user_id != user_id or row.choice is not None:
            return None
        if row.created_at < utcnow() - QUESTION_TTL:
            return None
        if index is None:
            choice = HUMAN
        elif 0 <= index < len(row.candidates) and isinstance(row.candidates[index], str):
            choice = row.candidates[index]
        else:
            return None
        result = await session.execute(
            update(NluQuestion)
            .where(NluQuestion.id == question_id, NluQuestion.choice.is_(None))
            .values(choice=choice, answered_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:  # a concurrent tap settled it first
            return None
        return Settled(row.id, row.turn_id, row.text, row.lang, choice)


async def goes_to_a_person(db: Database, question_id: int, user_id: int) -> bool:
    """Whether "Talk to a person" on the shopper's own question hands (or handed) them over: it was settled so, or
    it is still open (a tap being handled settles it). False for an unknown, expired or otherwise settled one."""
    async with db.read() as session:
        row = await session.get(NluQuestion, question_id)
    if row is None or row.user_id != user_id:
        return False
    if row.choice is None:
        return row.created_at >= utcnow() - QUESTION_TTL
    return row.choice == HUMAN


async def labelled_examples(db: Database, since: datetime | None = None) -> list[LabelledExample]:
    """Every question settled with an intent (oldest first), for review and retraining."""
    query = select(NluQuestion).where(NluQuestion.choice.is_not(None), NluQuestion.choice != HUMAN)
    if since is not None:
        query = query.where(NluQuestion.answered_at >= since)
    async with db.read() as session:
        rows = (await session.execute(query.order_by(NluQuestion.id))).scalars().all()
    return [LabelledExample(r.text, r.choice or "", r.lang, r.user_id, r.answered_at or r.created_at) for r in rows]
