"""Offline evaluation of the recommender against a popularity baseline, on a generated year of orders.

    .venv/bin/python -m benchmarks.recommend                 # 5,000 shoppers, 400 products, 15 groups
    .venv/bin/python -m benchmarks.recommend --users 2000 --seed 7

The generated shop is meant to have the structure a real one has, so that a recommender can only win by
using it: product categories; groups whose members share a taste (a category mix and a few group
favourites); shoppers with a favourite category of their own; seasonal products sold only around their
season; products that go together (a basket often holds a product's complements); and views of a few
products before each order. Nobody buys the same product twice.

Each shopper with two or more orders has their last order held out: the model is built from everything
else (store/recommend/model.py, the same code the bot runs) and asked for five products; a hit is the last
line of the held-out order among them (hit rate at 5). Coverage is the share of the catalog that appears in
anyone's five. The baseline, measured in the same run on the same split, recommends the shop's most popular
products (time-decayed, minus what the shopper already bought). Exits 1 unless the recommender's hit rate
beats the baseline's.
"""

from __future__ import annotations

import argparse
import bisect
import math
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/recommend.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from store.recommend import model
from store.recommend.model import BUY, VIEW, Event

END = datetime(2026, 12, 1, tzinfo=UTC)
YEAR_DAYS = 365


@dataclass(frozen=True)
class Item:
    id: int
    category: int
    appeal: float
    season_peak: int | None  # day of year, None: sold all year
    complements: tuple[int, ...]


@dataclass(frozen=True)
class World:
    items: list[Item]
    group_of: dict[int, int]  # user -> group
    orders: dict[int, list[tuple[datetime, list[int]]]]  # user -> orders in time order
    views: dict[int, list[tuple[datetime, int, int]]]  # user -> (at, product, index of the order it preceded)


def _season(item: Item, day: int) -> float:
    if item.season_peak is None:
        return 1.0
    distance = min(abs(day - item.season_peak), YEAR_DAYS - abs(day - item.season_peak))
    return 3.0 * math.exp(-((distance / 25.0) ** 2)) + 0.01


def generate(users: int, products: int, groups: int, categories: int, rng: random.Random) -> World:
    items = []
    for product in range(1, products + 1):
        seasonal = rng.random() < 0.3
        items.append(
            Item(
                id=product,
                category=rng.randrange(categories),
                appeal=rng.paretovariate(1.6),
                season_peak=rng.randrange(YEAR_DAYS) if seasonal else None,
                complements=(),
            )
        )
    by_category: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        by_category[item.category].append(item)
    # Complements: mostly from the same category (tea and more tea), sometimes across (tea and a teapot).
    with_complements = []
    for item in items:
        pool = by_category[item.category] if rng.random() < 0.6 else items
        chosen = tuple({rng.choice(pool).id for _ in range(3)} - {item.id})
        with_complements.append(Item(item.id, item.category, item.appeal, item.season_peak, chosen))
    items = with_complements
    index = {item.id: item for item in items}

    tastes = []
    favourites = []
    for _ in range(groups):
        raw = [rng.gammavariate(0.4, 1.0) + 1e-3 for _ in range(categories)]
        total = sum(raw)
        tastes.append([value / total for value in raw])
        favourites.append(set(rng.sample(range(1, products + 1), 12)))

    # One cumulative weight table per group and week: sampling is then a bisect, not a pass over the catalog.
    tables: dict[tuple[int, int], list[float]] = {}
    for group in range(groups):
        for week in range(53):
            day = week * 7 + 3
            cumulative, running = [], 0.0
            for item in items:
                boost = 6.0 if item.id in favourites[group] else 1.0
                running += tastes[group][item.category] * item.appeal * _season(item, day) * boost
                cumulative.append(running)
            tables[(group, week)] = cumulative

    def sample(group: int, day: int, favourite: int, exclude: set[int]) -> int | None:
        table = tables[(group, min(52, day // 7))]
        for _ in range(50):
            item = items[bisect.bisect_left(table, rng.random() * table[-1])]
            if item.id in exclude:
                continue
            if item.category != favourite and rng.random() > 0.4:
                continue  # the shopper's own favourite category is more likely
            return item.id
        return None

    start = END - timedelta(days=YEAR_DAYS)
    group_sizes = [1.0 / (rank + 1) ** 0.7 for rank in range(groups)]
    group_of: dict[int, int] = {}
    orders: dict[int, list[tuple[datetime, list[int]]]] = {}
    views: dict[int, list[tuple[datetime, int, int]]] = {}
    for user in range(1, users + 1):
        group = rng.choices(range(groups), weights=group_sizes)[0]
        group_of[user] = group
        favourite = rng.choices(range(categories), weights=tastes[group])[0]
        bought: set[int] = set()
        count = 1 + min(20, int(rng.expovariate(1 / 4.0)))
        moments = sorted(start + timedelta(seconds=rng.uniform(0, YEAR_DAYS * 86_400)) for _ in range(count))
        user_orders: list[tuple[datetime, list[int]]] = []
        user_views: list[tuple[datetime, int, int]] = []
        for number, at in enumerate(moments):
            day = (at - start).days
            basket: list[int] = []
            for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
                picked: int | None = None
                if basket and rng.random() < 0.55:
                    options = [
                        c
                        for b in basket
                        for c in index[b].complements
                        if c not in bought and c not in basket and _season(index[c], day) > 0.2
                    ]
                    picked = rng.choice(options) if options else None
                if picked is None:
                    picked = sample(group, day, favourite, bought | set(basket))
                if picked is not None:
                    basket.append(picked)
            if not basket:
                continue
            bought.update(basket)
            order_number = len(user_orders)
            for _ in range(rng.randint(0, 3)):  # browsing before the order
                looked = sample(group, day, favourite, set())
                if looked is not None:
                    user_views.append((at - timedelta(minutes=rng.randint(5, 600)), looked, order_number))
            for product in basket:
                user_views.append((at - timedelta(minutes=rng.randint(1, 5)), product, order_number))
            user_orders.append((at, basket))
            _ = number
        orders[user] = user_orders
        views[user] = user_views
    return World(items, group_of, orders, views)


@dataclass
class Score:
    hits: int = 0
    asked: int = 0
    shown: set[int] | None = None

    def rate(self) -> float:
        return self.hits / self.asked if self.asked else 0.0


def evaluate(world: World, k: int = 5) -> dict[str, object]:
    events: list[Event] = []
    held_out: dict[int, int] = {}
    for user, user_orders in world.orders.items():
        last = len(user_orders) - 1 if len(user_orders) >= 2 else None
        for number, (at, basket) in enumerate(user_orders):
            if number == last:
                held_out[user] = basket[-1]
                continue
            events.extend(Event(user, product, at, BUY) for product in basket)
        events.extend(Event(user, product, at, VIEW) for at, product, number in world.views[user] if number != last)
    memberships = {user: (group,) for user, group in world.group_of.items()}

    started = time.perf_counter()
    snapshot = model.build(events, memberships, END)
    build_seconds = time.perf_counter() - started

    ours, baseline, group_baseline = Score(shown=set()), Score(shown=set()), Score(shown=set())
    latencies: list[float] = []
    for user, target in held_out.items():
        began = time.perf_counter()
        picks = model.for_user(snapshot, user, k)
        latencies.append(time.perf_counter() - began)
        bought = snapshot.bought.get(user, frozenset())
        pops = model.popular(snapshot, k, exclude=bought)
        group_pops = model.popular_in_group(snapshot, world.group_of[user], k, exclude=bought)
        for score, ranked in ((ours, picks), (baseline, pops), (group_baseline, group_pops)):
            score.asked += 1
            score.hits += target in ranked
            assert score.shown is not None
            score.shown.update(ranked)
    latencies.sort()
    catalog = len(world.items)
    return {
        "events": len(events),
        "held_out": len(held_out),
        "build_seconds": build_seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "hr_ours": ours.rate(),
        "hr_popular": baseline.rate(),
        "hr_group": group_baseline.rate(),
        "cov_ours": len(ours.shown or ()) / catalog,
        "cov_popular": len(baseline.shown or ()) / catalog,
        "cov_group": len(group_baseline.shown or ()) / catalog,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--products", type=int, default=400)
    parser.add_argument("--groups", type=int, default=15)
    parser.add_argument("--categories", type=int, default=10)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)

    began = time.perf_counter()
    world = generate(args.users, args.products, args.groups, args.categories, random.Random(args.seed))
    orders = sum(len(o) for o in world.orders.values())
    print(
        f"generated {args.users:,} shoppers in {args.groups} groups, {args.products} products "
        f"({sum(1 for i in world.items if i.season_peak is not None)} seasonal), {orders:,} orders "
        f"in {time.perf_counter() - began:.1f} s; {os.cpu_count()} cores"
    )
    result = evaluate(world)
    print(
        f"model built from {result['events']:,} events in {result['build_seconds']:.2f} s; "
        f"per shopper p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms; "
        f"{result['held_out']:,} held-out last purchases"
    )
    print(f"{'':24}{'HR@5':>8}{'coverage':>10}")
    print(f"{'recommender':24}{result['hr_ours']:>8.3f}{result['cov_ours']:>10.1%}")
    print(f"{'popularity (baseline)':24}{result['hr_popular']:>8.3f}{result['cov_popular']:>10.1%}")
    print(f"{'group popularity':24}{result['hr_group']:>8.3f}{result['cov_group']:>10.1%}")
    hr_ours, hr_popular = float(result["hr_ours"]), float(result["hr_popular"])  # type: ignore[arg-type]
    if hr_ours <= hr_popular:
        print("FAIL: the recommender does not beat popularity on hit rate at 5", file=sys.stderr)
        return 1
    print(f"recommender / popularity: {hr_ours / hr_popular if hr_popular else float('inf'):.2f}x hit rate at 5")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
