"""The recommender itself, pure: events in, a snapshot out, ranked product ids from the snapshot.

No database and no clock of its own, so the bot (store/recommend/service.py) and the offline evaluation
(benchmarks/recommend.py) run exactly the same code.

Signals, each decayed with age so that last season's best-seller fades:
- item-to-item similarity: cosine over who bought (weight 1) or looked at (weight `view_weight`) each product,
  with a long half-life: "people who bought X also bought Y";
- popularity: recent purchases, short half-life;
- the group's own popularity: recent purchases by members of the shopper's groups.

A shopper's score for a product is the similarity to what they recently bought or looked at (more recent
counts more), plus the group's and the shop's popularity as smaller terms that fill in for new shoppers.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

BUY = "buy"
VIEW = "view"
DAY = 86_400.0


@dataclass(frozen=True)
class Event:
    user_id: int
    product_id: int
    at: datetime
    kind: str = BUY  # buy | view


@dataclass(frozen=True)
class Params:
    view_weight: float = 0.25
    similarity_half_life_days: float = 120.0
    popularity_half_life_days: float = 14.0
    neighbours: int = 30  # similar products kept per product
    history: int = 12  # recent products per shopper that seed "for you"
    max_items_per_user: int = 60  # a shopper with a huge history adds O(n^2) pairs: keep the recent ones
    shrink: float = 3.0  # damps similarity built on very few shared shoppers
    group_weight: float = 0.35
    popularity_weight: float = 0.10


@dataclass
class Snapshot:
    """Everything a recommendation needs, computed once: lookups afterwards are dictionary reads."""

    built_at: datetime
    neighbours: dict[int, list[tuple[int, float]]] = field(default_factory=dict)
    popular: list[tuple[int, float]] = field(default_factory=list)  # best first
    group_popular: dict[int, list[tuple[int, float]]] = field(default_factory=dict)
    history: dict[int, list[tuple[int, float]]] = field(default_factory=dict)  # user -> (product, recency weight)
    bought: dict[int, frozenset[int]] = field(default_factory=dict)
    groups: dict[int, frozenset[int]] = field(default_factory=dict)  # user -> group chat ids

    @property
    def empty(self) -> bool:
        return not self.popular and not self.neighbours


def _decay(now: datetime, at: datetime, half_life_days: float) -> float:
    age = max(0.0, (now - at).total_seconds()) / DAY
    return math.pow(0.5, age / half_life_days)


def _top(scores: Mapping[int, float], n: int) -> list[tuple[int, float]]:
    return heapq.nlargest(n, scores.items(), key=lambda kv: (kv[1], -kv[0]))


def build(
    events: Iterable[Event],
    memberships: Mapping[int, Iterable[int]],
    now: datetime,
    params: Params | None = None,
) -> Snapshot:
    """`memberships`: user id -> the group chats they shop with."""
    p = params or Params()
    per_user: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    last_seen: dict[int, dict[int, tuple[datetime, float]]] = defaultdict(dict)
    popularity: dict[int, float] = defaultdict(float)
    bought: dict[int, set[int]] = defaultdict(set)
    groups = {user: frozenset(chats) for user, chats in memberships.items()}
    group_scores: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))

    for event in events:
        is_buy = event.kind == BUY
        weight = 1.0 if is_buy else p.view_weight
        per_user[event.user_id][event.product_id] += weight * _decay(now, event.at, p.similarity_half_life_days)
        seen = last_seen[event.user_id].get(event.product_id)
        if seen is None or seen[0] < event.at:
            last_seen[event.user_id][event.product_id] = (event.at, max(weight, seen[1] if seen else 0.0))
        if is_buy:
            bought[event.user_id].add(event.product_id)
            fresh = _decay(now, event.at, p.popularity_half_life_days)
            popularity[event.product_id] += fresh
            for chat in groups.get(event.user_id, ()):
                group_scores[chat][event.product_id] += fresh

    # Item-to-item cosine, accumulated per shopper so the cost is the sum of each shopper's pairs.
    dot: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    shared: dict[tuple[int, int], int] = defaultdict(int)
    norm: dict[int, float] = defaultdict(float)
    for user, items in per_user.items():
        ranked = items
        if len(items) > p.max_items_per_user:
            latest = sorted(last_seen[user].items(), key=lambda kv: kv[1][0], reverse=True)[: p.max_items_per_user]
            ranked = {product: items[product] for product, _ in latest}
        pairs = list(ranked.items())
        for product, weight in pairs:
            norm[product] += weight * weight
        for index, (a, wa) in enumerate(pairs):
            for b, wb in pairs[index + 1 :]:
                value = wa * wb
                dot[a][b] += value
                dot[b][a] += value
                shared[(a, b) if a < b else (b, a)] += 1

    neighbours: dict[int, list[tuple[int, float]]] = {}
    for a, row in dot.items():
        scores = {}
        for b, value in row.items():
            n_shared = shared[(a, b) if a < b else (b, a)]
            cosine = value / math.sqrt(norm[a] * norm[b])
            scores[b] = cosine * n_shared / (n_shared + p.shrink)
        neighbours[a] = _top(scores, p.neighbours)

    history: dict[int, list[tuple[int, float]]] = {}
    for user, seen_items in last_seen.items():
        recent = sorted(seen_items.items(), key=lambda kv: kv[1][0], reverse=True)[: p.history]
        # Rank-based recency: the latest product counts fully, older ones progressively less.
        history[user] = [(product, weight / (1.0 + 0.3 * rank)) for rank, (product, (_, weight)) in enumerate(recent)]

    return Snapshot(
        built_at=now,
        neighbours=neighbours,
        popular=_top(popularity, 200),
        group_popular={chat: _top(scores, 100) for chat, scores in group_scores.items()},
        history=history,
        bought={user: frozenset(items) for user, items in bought.items()},
        groups=groups,
    )


def _normalised(pairs: list[tuple[int, float]]) -> dict[int, float]:
    if not pairs:
        return {}
    top = pairs[0][1] or 1.0
    return {product: score / top for product, score in pairs}


def for_user(
    snapshot: Snapshot,
    user_id: int,
    n: int,
    *,
    exclude: Iterable[int] = (),
    seeds: Iterable[int] = (),
    groups: Iterable[int] | None = None,
    params: Params | None = None,
) -> list[int]:
    """Ranked products for a shopper. `seeds`: products in view right now (the card, the order just placed),
    counted as the most recent history. Products the shopper already bought are not suggested again."""
    p = params or Params()
    skip = set(exclude) | snapshot.bought.get(user_id, frozenset())
    seed_list = list(dict.fromkeys(seeds))
    skip.update(seed_list)
    scores: dict[int, float] = defaultdict(float)
    weighted = [(product, 1.5) for product in seed_list] + snapshot.history.get(user_id, [])
    for product, weight in weighted:
        for other, similarity in snapshot.neighbours.get(product, ()):
            scores[other] += weight * similarity
    chats = snapshot.groups.get(user_id, frozenset()) if groups is None else frozenset(groups)
    group_pop: dict[int, float] = defaultdict(float)
    for chat in chats:
        for product, score in _normalised(snapshot.group_popular.get(chat, [])).items():
            group_pop[product] = max(group_pop[product], score)
    for product, score in group_pop.items():
        scores[product] += p.group_weight * score
    for product, score in _normalised(snapshot.popular).items():
        scores[product] += p.popularity_weight * score
    ranked = [product for product, _ in _top(scores, n + len(skip)) if product not in skip]
    return ranked[:n]


def similar(snapshot: Snapshot, product_id: int, n: int, *, exclude: Iterable[int] = ()) -> list[int]:
    """ "You may also like" for a product, backfilled with what is popular when it has few neighbours."""
    skip = set(exclude) | {product_id}
    picked = [other for other, _ in snapshot.neighbours.get(product_id, ()) if other not in skip]
    for other, _ in snapshot.popular:
        if len(picked) >= n:
            break
        if other not in skip and other not in picked:
            picked.append(other)
    return picked[:n]


def popular_in_group(snapshot: Snapshot, chat_id: int, n: int, *, exclude: Iterable[int] = ()) -> list[int]:
    skip = set(exclude)
    picked = [product for product, _ in snapshot.group_popular.get(chat_id, ()) if product not in skip]
    for product, _ in snapshot.popular:  # a new group sees the shop's best-sellers until it has its own
        if len(picked) >= n:
            break
        if product not in skip and product not in picked:
            picked.append(product)
    return picked[:n]


def popular(snapshot: Snapshot, n: int, *, exclude: Iterable[int] = ()) -> list[int]:
    skip = set(exclude)
    return [product for product, _ in snapshot.popular if product not in skip][:n]
