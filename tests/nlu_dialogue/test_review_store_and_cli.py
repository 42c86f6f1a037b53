"""The did-you-mean question store on SQLite and PostgreSQL (one tap settles a question, only its owner can,
only an offered intent), and `groupcart nlu review` exporting the picks as Rasa YAML that
dialogues.nlu.data loads back."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select, update

from bot.cli import main
from dialogues.nlu.data import load_file, load_training_data
from store import migrations, nlu_review, privacy, users
from store.db import Database
from store.models import utcnow
from store.models.nlu import NluQuestion

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(ROOT / "config.yaml")
SHOPPER, OTHER = 701, 702


async def _people(db: Database) -> None:
    for uid, name in ((SHOPPER, "Alice"), (OTHER, "Bob")):
        await users.ensure_user(db, uid, name, None, None, "en")


async def test_one_tap_settles_a_question_for_its_owner_only(any_db: Database) -> None:
    await _people(any_db)
    qid = await nlu_review.ask(any_db, SHOPPER, "delivery", "en", ["delivery_time", "delivery_cost"], turn_id=None)
    assert await nlu_review.choose(any_db, qid, OTHER, 0) is None  # someone else's question
    assert await nlu_review.choose(any_db, qid, SHOPPER, 5) is None  # not offered
    assert await nlu_review.choose(any_db, qid + 1000, SHOPPER, 0) is None  # unknown
    settled = await nlu_review.choose(any_db, qid, SHOPPER, 1)
    assert settled is not None and (settled.text, settled.lang, settled.choice) == ("delivery", "en", "delivery_cost")
    assert await nlu_review.choose(any_db, qid, SHOPPER, 0) is None  # double tap changes nothing
    examples = await nlu_review.labelled_examples(any_db)
    assert [(e.text, e.intent, e.lang, e.user_id) for e in examples] == [("delivery", "delivery_cost", "en", SHOPPER)]


async def test_person_choice_is_not_an_example_and_old_questions_expire(any_db: Database) -> None:
    await _people(any_db)
    human = await nlu_review.ask(any_db, SHOPPER, "钱 快递", "zh", ["delivery_options"])
    assert (await nlu_review.choose(any_db, human, SHOPPER, None)) is not None
    old = await nlu_review.ask(any_db, SHOPPER, "delivery", "en", ["delivery_time"])
    async with any_db.tx() as session:
        await session.execute(
            update(NluQuestion).where(NluQuestion.id == old).values(created_at=utcnow() - timedelta(days=15))
        )
    assert await nlu_review.choose(any_db, old, SHOPPER, 0) is None
    assert await nlu_review.labelled_examples(any_db) == []
    newer = await nlu_review.ask(any_db, SHOPPER, "x", "en", ["greet"])  # asking prunes expired questions
    async with any_db.read() as session:
        ids = set((await session.execute(select(NluQuestion.id))).scalars())
    assert old not in ids and human in ids and newer > old  # ids are not reused: old buttons stay dead
    assert await nlu_review.choose(any_db, old, SHOPPER, 0) is None


async def test_forget_me_erases_the_questions(any_db: Database) -> None:
    await _people(any_db)
    qid = await nlu_review.ask(any_db, SHOPPER, "my address is 1 Main St", "en", ["change_order_or_address"])
    await nlu_review.choose(any_db, qid, SHOPPER, 0)
    await privacy.forget_user(any_db, SHOPPER)
    assert await nlu_review.labelled_examples(any_db) == []


def _seed(url: str) -> None:
    async def run() -> None:
        db = Database(url)
        try:
            await migrations.upgrade(db)
            await _people(db)
            picks = [
                (SHOPPER, "delivery", "en", ["delivery_time", "delivery_cost"], 1),
                (OTHER, "delivery", "en", ["delivery_time", "delivery_cost"], 1),  # same pick: one example
                (OTHER, 'when "ships": my\nparcel # soon', "en", ["delivery_time"], 0),
                (SHOPPER, "钱 快递", "zh", ["delivery_options", "track_order"], 0),
                (SHOPPER, "人工", "zh", ["human_agent"], None),  # "Talk to a person": not exported
            ]
            for user_id, text, lang, offered, index in picks:
                qid = await nlu_review.ask(db, user_id, text, lang, offered)
                assert await nlu_review.choose(db, qid, user_id, index) is not None
        finally:
            await db.dispose()

    asyncio.run(run())


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def test_review_exports_rasa_yaml_per_language(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(database_url)
    out = tmp_path / "review"
    assert main(["--config", CONFIG, "nlu", "review", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["nlu_en.yml", "nlu_zh.yml"]
    rows = sorted(load_training_data(out))
    assert rows == sorted(
        [
            ("delivery", "delivery_cost", "en"),
            ('when "ships": my parcel # soon', "delivery_time", "en"),
            ("钱 快递", "delivery_options", "zh"),
        ]
    )
    english = yaml.safe_load((out / "nlu_en.yml").read_text(encoding="utf-8"))
    assert english["version"] == "3.1" and [b["intent"] for b in english["nlu"]] == ["delivery_cost", "delivery_time"]

    single = tmp_path / "nlu_zh.yml"
    assert main(["--config", CONFIG, "nlu", "review", "--out", str(single)]) == 0
    assert load_file(single) == [("钱 快递", "delivery_options", "zh")]

    capsys.readouterr()
    assert main(["--config", CONFIG, "nlu", "review"]) == 0
    documents = list(yaml.safe_load_all(capsys.readouterr().out))
    intents = [[block["intent"] for block in document["nlu"]] for document in documents]
    assert intents == [["delivery_cost", "delivery_time"], ["delivery_options"]]
