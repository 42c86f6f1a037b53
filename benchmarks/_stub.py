"""Shared benchmark helpers: a Bot API stub (no network at all), update builders, a product generator with bulk
insert, and latency statistics.

`StubSession` answers every outgoing Bot API call in memory with a plausible result (a Message for sends and
edits, True for answers), so `dp.feed_update(bot, update)` measures our handlers and aiogram, not HTTP.
"""

from __future__ import annotations

import itertools
import json
import random
import statistics
import time
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, Chat, Message, Update, User
from sqlalchemy import insert

from store.db import Database
from store.models import Category, Product

BOT_ID = 123456
BOT_USERNAME = "groupcart_bot"
TOKEN = f"{BOT_ID}:BENCHMARK-TOKEN"

# Methods whose result is a Message (by their Bot API names); everything else returns True.
_MESSAGE_METHODS = {
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendInvoice",
    "editMessageText",
    "editMessageCaption",
    "editMessageMedia",
    "editMessageReplyMarkup",
    "forwardMessage",
}


def bot_user() -> User:
    return User(id=BOT_ID, is_bot=True, first_name="groupcart", username=BOT_USERNAME)


_BOT_USER_JSON = {"id": BOT_ID, "is_bot": True, "first_name": "groupcart", "username": BOT_USERNAME}


class StubSession(BaseSession):
    """Answers Bot API calls in memory, counting them by method name. The reply still goes through aiogram's
    response parsing (`check_response` on JSON text), so the bot pays the serialisation it pays against
    Telegram. `on_answer(query_id, text)` sees every answerCallbackQuery (time-to-answer measurements)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()
        self.on_answer: Callable[[str, str | None], None] | None = None
        # Sees every call (method name, the method) before it is answered: who got what, for a benchmark that
        # checks the answers and not only the time.
        self.on_call: Callable[[str, TelegramMethod[Any]], None] | None = None
        self._message_ids = itertools.count(1_000_000)

    async def close(self) -> None:
        return None

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:  # pragma: no cover - benchmarks download nothing
        yield b""

    def _result(self, name: str, method: TelegramMethod[Any]) -> Any:
        if name == "getMe":
            return _BOT_USER_JSON
        if name == "copyMessage":
            return {"message_id": next(self._message_ids)}
        if name in _MESSAGE_METHODS:
            chat_id = getattr(method, "chat_id", None)
            if chat_id is None and name.startswith("edit"):
                return True  # an inline message
            chat = int(chat_id) if isinstance(chat_id, int) else 0
            return {
                "message_id": getattr(method, "message_id", None) or next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private" if chat > 0 else "group", "title": "bench"},
                "from": _BOT_USER_JSON,
                "text": str(getattr(method, "text", None) or getattr(method, "caption", None) or "ok"),
            }
        return True

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None) -> Any:
        name = method.__api_method__
        self.calls[name] += 1
        if self.on_call is not None:
            self.on_call(name, method)
        if name == "answerCallbackQuery" and self.on_answer is not None:
            self.on_answer(getattr(method, "callback_query_id", ""), getattr(method, "text", None))
        content = json.dumps({"ok": True, "result": self._result(name, method)})
        return self.check_response(bot, method, 200, content).result


def stub_bot(session: StubSession | None = None) -> tuple[Bot, StubSession]:
    from aiogram.client.default import DefaultBotProperties
    from aiogram.enums import ParseMode

    session = session or StubSession()
    return Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)), session


# ---------------------------------------------------------------------------------------------- updates


def wire(update: Update) -> dict[str, Any]:
    """The update as Telegram sends it: JSON."""
    return update.model_dump(mode="json", exclude_none=True, by_alias=True)


def received(bot: Bot, raw: dict[str, Any]) -> Update:
    """An update parsed the way the transports parse Telegram's JSON (bot/runner.py's webhook, aiogram's polling):
    with the bot as context. An Update built without it makes `feed_update` re-mount it through a dump and a
    second parse (about 0.1 ms here) that no deployment pays."""
    return Update.model_validate(raw, context={"bot": bot})


class Updates:
    """Builds updates with fresh ids (the app drops repeated update ids)."""

    def __init__(self, start: int = 1) -> None:
        self._ids = itertools.count(start)
        self._message_ids = itertools.count(1)

    @staticmethod
    def user(user_id: int, lang: str = "en") -> User:
        return User(id=user_id, is_bot=False, first_name=f"Shopper{user_id}", language_code=lang)

    def message(self, user_id: int, text: str, lang: str = "en") -> Update:
        user = self.user(user_id, lang)
        return Update(
            update_id=next(self._ids),
            message=Message(
                message_id=next(self._message_ids),
                date=datetime.now(UTC),
                chat=Chat(id=user_id, type="private", first_name=user.first_name),
                from_user=user,
                text=text,
            ),
        )

    def callback(self, user_id: int, data: str, lang: str = "en", message_text: str = "…") -> Update:
        user = self.user(user_id, lang)
        return Update(
            update_id=next(self._ids),
            callback_query=CallbackQuery(
                id=str(next(self._ids)),
                from_user=user,
                chat_instance=str(user_id),
                data=data,
                message=Message(
                    message_id=next(self._message_ids),
                    date=datetime.now(UTC),
                    chat=Chat(id=user_id, type="private", first_name=user.first_name),
                    from_user=bot_user(),
                    text=message_text,
                ),
            ),
        )


# ---------------------------------------------------------------------------------------------- products

CATEGORIES = (
    (
        "fruit",
        "Fresh fruit",
        "新鲜水果",
        [
            ("apple", "苹果"),
            ("banana", "香蕉"),
            ("orange", "橙子"),
            ("grape", "葡萄"),
            ("mango", "芒果"),
            ("strawberry", "草莓"),
            ("peach", "桃子"),
            ("kiwi", "猕猴桃"),
        ],
    ),
    (
        "vegetables",
        "Vegetables",
        "时令蔬菜",
        [
            ("tomato", "番茄"),
            ("potato", "土豆"),
            ("cabbage", "白菜"),
            ("carrot", "胡萝卜"),
            ("spinach", "菠菜"),
            ("cucumber", "黄瓜"),
        ],
    ),
    (
        "snacks",
        "Snacks",
        "休闲零食",
        [
            ("chocolate", "巧克力"),
            ("cookies", "饼干"),
            ("chips", "薯片"),
            ("peanuts", "花生"),
            ("sunflower seeds", "瓜子"),
            ("jerky", "牛肉干"),
        ],
    ),
    (
        "drinks",
        "Drinks & tea",
        "茶饮酒水",
        [
            ("green tea", "绿茶"),
            ("oolong tea", "乌龙茶"),
            ("coffee", "咖啡"),
            ("soy milk", "豆浆"),
            ("orange juice", "橙汁"),
            ("mineral water", "矿泉水"),
        ],
    ),
    (
        "grains",
        "Rice & grains",
        "米面粮油",
        [
            ("rice", "大米"),
            ("noodles", "面条"),
            ("flour", "面粉"),
            ("millet", "小米"),
            ("peanut oil", "花生油"),
            ("oats", "燕麦"),
        ],
    ),
    (
        "dairy",
        "Dairy & eggs",
        "乳品蛋类",
        [("milk", "牛奶"), ("yogurt", "酸奶"), ("cheese", "奶酪"), ("eggs", "鸡蛋"), ("butter", "黄油")],
    ),
    (
        "household",
        "Household",
        "家居日用",
        [
            ("tissue", "纸巾"),
            ("detergent", "洗衣液"),
            ("dish soap", "洗洁精"),
            ("toothpaste", "牙膏"),
            ("shampoo", "洗发水"),
            ("towel", "毛巾"),
        ],
    ),
    (
        "meat",
        "Meat & fish",
        "肉禽水产",
        [
            ("pork belly", "五花肉"),
            ("chicken wings", "鸡翅"),
            ("beef", "牛肉"),
            ("shrimp", "虾仁"),
            ("salmon", "三文鱼"),
            ("lamb", "羊肉"),
        ],
    ),
)
ADJECTIVES = (
    ("organic", "有机"),
    ("fresh", "新鲜"),
    ("premium", "精选"),
    ("family pack", "家庭装"),
    ("imported", "进口"),
    ("local", "本地"),
    ("classic", "经典"),
    ("sweet", "香甜"),
    ("small batch", "小批量"),
    ("value", "实惠"),
    ("spicy", "香辣"),
    ("golden", "金牌"),
    ("mountain", "高山"),
    ("farm", "农家"),
    ("red", "红"),
    ("black", "黑"),
)
ORIGINS = (
    ("Yunnan", "云南"),
    ("Sichuan", "四川"),
    ("Hainan", "海南"),
    ("Shandong", "山东"),
    ("Fujian", "福建"),
    ("Xinjiang", "新疆"),
    ("Zhejiang", "浙江"),
    ("Guangdong", "广东"),
    ("Japan", "日本"),
    ("Thailand", "泰国"),
)
SIZES = ("250 g", "500 g", "1 kg", "2 kg", "5 kg", "6 pack", "12 pack", "1 L", "2 L")


@dataclass(frozen=True)
class Generated:
    categories: int
    products: int
    seconds: float


def product_rows(count: int, category_ids: list[int], seed: int = 7) -> Iterator[dict[str, Any]]:
    """Bilingual products: '<adjective> <origin> <noun>, <size>' / '<产地><形容词><名词> <规格>'."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    for i in range(count):
        cat = i % len(CATEGORIES)
        slug, _, _, nouns = CATEGORIES[cat]
        noun_en, noun_zh = nouns[rng.randrange(len(nouns))]
        adj_en, adj_zh = ADJECTIVES[rng.randrange(len(ADJECTIVES))]
        origin_en, origin_zh = ORIGINS[rng.randrange(len(ORIGINS))]
        size = SIZES[rng.randrange(len(SIZES))]
        created = now - timedelta(minutes=count - i)
        yield {
            "sku": f"G{i:07d}",
            "category_id": category_ids[cat],
            "title_en": f"{adj_en.title()} {origin_en} {noun_en}, {size}",
            "title_zh": f"{origin_zh}{adj_zh}{noun_zh} {size}",
            "description_en": f"{adj_en.capitalize()} {noun_en} from {origin_en}, packed the day it ships. "
            f"Batch {i % 97}.",
            "description_zh": f"来自{origin_zh}的{adj_zh}{noun_zh}，发货当天包装。批次{i % 97}。",
            "price": rng.randrange(199, 30000),
            "currency": "CNY",
            "is_digital": False,
            "stars_price": None,
            "stock": rng.randrange(0, 200),
            "photo": None,
            "photo_file_id": None,
            "tags": f"{slug} {noun_en} {noun_zh} {adj_zh}",
            "active": True,
            "version": 1,
            "created_at": created,
            "updated_at": created,
        }


async def generate_catalog(db: Database, count: int, *, chunk: int = 5000, seed: int = 7) -> Generated:
    """Categories + `count` products in bulk inserts (one transaction, executemany per chunk)."""
    started = time.perf_counter()
    async with db.tx() as session:
        category_ids = []
        for position, (slug, name_en, name_zh, _nouns) in enumerate(CATEGORIES, 1):
            result = await session.execute(
                insert(Category)
                .values(slug=slug, name_en=name_en, name_zh=name_zh, position=position)
                .returning(Category.id)
            )
            category_ids.append(int(result.scalar_one()))
        batch: list[dict[str, Any]] = []
        for row in product_rows(count, category_ids, seed):
            batch.append(row)
            if len(batch) >= chunk:
                await session.execute(insert(Product), batch)
                batch = []
        if batch:
            await session.execute(insert(Product), batch)
    return Generated(len(CATEGORIES), count, time.perf_counter() - started)


# ---------------------------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Stats:
    """Wall-clock latency, plus the process CPU time per sample (all threads: the event loop and the SQLite
    worker), which tells our cost apart from waiting for a busy machine's cores."""

    name: str
    count: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    cpu_p50_ms: float | None = None
    cpu_p95_ms: float | None = None

    def line(self) -> str:
        text = (
            f"{self.name:<40} n={self.count:<5} p50={self.p50_ms:7.2f} ms  p95={self.p95_ms:7.2f} ms  "
            f"max={self.max_ms:7.2f} ms"
        )
        if self.cpu_p50_ms is not None and self.cpu_p95_ms is not None:
            text += f"  | cpu p50={self.cpu_p50_ms:6.2f} p95={self.cpu_p95_ms:6.2f} ms"
        return text


def percentile(sorted_values: list[float], q: float) -> float:
    """The nearest-rank percentile of already sorted values."""
    return sorted_values[min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))]


def apology_texts() -> set[str]:
    """The error handler's apology (handlers/errors.py) in every language: an answer with it is a failed request."""
    from bot.i18n import LANGUAGES, t

    return {t(lang, "errors.internal") for lang in LANGUAGES}


def peak_rss_mb() -> float:
    """The process's peak resident set so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def rss_mb() -> float | None:
    """The process's resident set now (Linux only; None elsewhere)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def stats(name: str, samples_seconds: list[float], cpu_seconds: list[float] | None = None) -> Stats:
    ms = sorted(s * 1000 for s in samples_seconds)
    cpu = sorted(s * 1000 for s in cpu_seconds) if cpu_seconds else None
    return Stats(
        name,
        len(ms),
        statistics.median(ms),
        percentile(ms, 0.95),
        ms[-1],
        statistics.median(cpu) if cpu else None,
        percentile(cpu, 0.95) if cpu else None,
    )


async def measure(name: str, iterations: int, make: Callable[[int], Awaitable[None]], warmup: int = 5) -> Stats:
    """Time `await make(i)` for each i (after `warmup` untimed calls)."""
    for i in range(warmup):
        await make(-1 - i)
    samples: list[float] = []
    cpu: list[float] = []
    for i in range(iterations):
        cpu_started = time.process_time()
        started = time.perf_counter()
        await make(i)
        samples.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return stats(name, samples, cpu)
