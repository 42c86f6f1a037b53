"""Shop figures over a period, computed from the database: the funnel (card views -> add to cart -> orders
placed -> paid, with drop-off), paid orders and GMV by day, average order value, top products, and the
repeat-purchase rate. Days are the shop's local days (the caller's timezone). Money stays in minor units per
currency: a shop with two currencies gets two figures, never a sum of both. Telegram Stars (XTR) are not money
in any shop currency: orders paid in Stars stay out of GMV, AOV and the GMV by day, and are reported on their
own as a count and a sum of Stars.

Card views and cart adds are counted in memory and written in batches (store.analytics.events), so the
figures read `analytics_counters` rather than a row per view.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from store.analytics.programs import Programs, programs
from store.db import Database
from store.models import Order, OrderItem
from store.models.catalog import Category, Product
from store.models.ops import AnalyticsCounter
from store.money import STARS

# Orders that brought money in and kept it (refunded ones are out of GMV).
PAID_STATUSES = ("paid", "shipped", "delivered")
VIEW = "view"
ADD = "add_to_cart"


@dataclass(frozen=True)
class Period:
    start: date  # first local day, inclusive
    end: date  # last local day, inclusive
    timezone: str

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def bounds(self) -> tuple[datetime, datetime]:
        zone = ZoneInfo(self.timezone)
        lo = datetime.combine(self.start, datetime.min.time(), zone)
        hi = datetime.combine(self.end + timedelta(days=1), datetime.min.time(), zone)
        return lo, hi

    @classmethod
    def last_days(cls, days: int, today: date, timezone: str) -> Period:
        return cls(today - timedelta(days=days - 1), today, timezone)


@dataclass(frozen=True)
class FunnelStep:
    key: str
    count: int
    drop_percent: float | None  # lost since the previous step (None for the first)


@dataclass(frozen=True)
class TopProduct:
    sku: str
    title_en: str
    title_zh: str
    units: int
    revenue: int
    currency: str


@dataclass(frozen=True)
class TopCategory:
    slug: str
    name_en: str
    name_zh: str
    units: int
    revenue: int
    currency: str


@dataclass(frozen=True)
class StarsFigures:
    """Orders paid in Telegram Stars: counted apart from GMV, summed in Stars (whole units)."""

    orders: int = 0
    stars: int = 0


@dataclass
class Report:
    period: Period
    orders_placed: int = 0
    paid_orders: int = 0
    gmv: dict[str, int] = field(default_factory=dict)  # shop currencies only, never Stars
    aov: dict[str, int] = field(default_factory=dict)  # minor units, rounded half up; never Stars
    stars: StarsFigures = field(default_factory=StarsFigures)
    by_day: list[tuple[date, int, dict[str, int]]] = field(default_factory=list)  # day, paid orders, gmv
    top_products: list[TopProduct] = field(default_factory=list)
    top_categories: list[TopCategory] = field(default_factory=list)
    funnel: list[FunnelStep] = field(default_factory=list)
    buyers: int = 0
    repeat_buyers: int = 0
    programs: Programs = field(default_factory=Programs)

    @property
    def cash_paid_orders(self) -> int:
        """Paid orders in shop money: the ones GMV and AOV are made of (Stars orders are counted apart)."""
        return self.paid_orders - self.stars.orders

    @property
    def repeat_rate(self) -> float:
        return self.repeat_buyers / self.buyers if self.buyers else 0.0

    @property
    def currency(self) -> str:
        """The currency with the most GMV (what a one-line summary and the charts show)."""
        return max(self.gmv, key=lambda c: self.gmv[c]) if self.gmv else ""


def _funnel(counts: list[tuple[str, int]]) -> list[FunnelStep]:
    steps: list[FunnelStep] = []
    for i, (key, count) in enumerate(counts):
        drop = None
        if i:
            before = counts[i - 1][1]
            drop = round(100.0 * (before - count) / before, 1) if before else 0.0
        steps.append(FunnelStep(key, count, drop))
    return steps


def _ranked(rows: list[tuple[str, str, str, int, int, str]], top: int) -> list[tuple[str, str, str, int, int, str]]:
    """Most units first, then most revenue, then the key: a stable order for equal figures."""
    return sorted(rows, key=lambda r: (-int(r[3]), -int(r[4]), r[0], r[5]))[:top]


async def report(db: Database, period: Period, top: int = 5, today: date | None = None) -> Report:
    """`today` (the shop's local day) tells which check-in cohort members have had their day 1/7/30 yet;
    without it every member counts (a period that ended long ago)."""
    lo, hi = period.bounds()
    zone = ZoneInfo(period.timezone)
    out = Report(period)
    async with db.scan() as session:
        out.orders_placed = int(
            (
                await session.execute(
                    select(func.count()).select_from(Order).where(Order.created_at >= lo, Order.created_at < hi)
                )
            ).scalar_one()
        )
        paid = (
            await session.execute(
                select(Order.id, Order.user_id, Order.total, Order.currency, Order.paid_at).where(
                    Order.status.in_(PAID_STATUSES), Order.paid_at >= lo, Order.paid_at < hi
                )
            )
        ).all()
        items = (
            await session.execute(
                select(
                    OrderItem.sku,
                    func.max(OrderItem.title_en),
                    func.max(OrderItem.title_zh),
                    func.sum(OrderItem.quantity),
                    func.sum(OrderItem.quantity * OrderItem.unit_price),
                    Order.currency,
                )
                .join(Order, Order.id == OrderItem.order_id)
                .where(Order.status.in_(PAID_STATUSES), Order.paid_at >= lo, Order.paid_at < hi)
                .group_by(OrderItem.sku, Order.currency)
            )
        ).all()
        categories = (
            await session.execute(
                select(
                    Category.slug,
                    func.max(Category.name_en),
                    func.max(Category.name_zh),
                    func.sum(OrderItem.quantity),
                    func.sum(OrderItem.quantity * OrderItem.unit_price),
                    Order.currency,
                )
                .join(Order, Order.id == OrderItem.order_id)
                .join(Product, Product.id == OrderItem.product_id)
                .join(Category, Category.id == Product.category_id)
                .where(Order.status.in_(PAID_STATUSES), Order.paid_at >= lo, Order.paid_at < hi)
                .group_by(Category.slug, Order.currency)
            )
        ).all()
        counters = (
            await session.execute(
                select(AnalyticsCounter.kind, func.sum(AnalyticsCounter.count))
                .where(AnalyticsCounter.day >= period.start.isoformat(), AnalyticsCounter.day <= period.end.isoformat())
                .group_by(AnalyticsCounter.kind)
            )
        ).all()
        out.programs = await programs(session, lo, hi, period.start.isoformat(), period.end.isoformat(), today)
    per_day: dict[date, list[int]] = {d: [] for d in period.days}
    gmv_day: dict[date, Counter[str]] = defaultdict(Counter)
    per_buyer: Counter[int] = Counter()
    stars_orders = stars_sum = 0
    for _id, user_id, total, currency, paid_at in paid:
        day = paid_at.astimezone(zone).date()  # type: ignore[union-attr]  # never None: the query asked for paid_at in the period
        per_day.setdefault(day, []).append(1)
        per_buyer[int(user_id)] += 1
        if currency == STARS:
            stars_orders += 1
            stars_sum += int(total)
            continue
        gmv_day[day][currency] += int(total)
        out.gmv[currency] = out.gmv.get(currency, 0) + int(total)
    out.paid_orders = len(paid)
    out.stars = StarsFigures(stars_orders, stars_sum)
    orders_by_currency = Counter(currency for *_rest, currency, _at in paid if currency != STARS)
    out.aov = {c: (out.gmv[c] * 2 + orders_by_currency[c]) // (2 * orders_by_currency[c]) for c in out.gmv}
    out.by_day = [(d, len(per_day.get(d, [])), dict(gmv_day.get(d, {}))) for d in period.days]
    rows = [(r[0], r[1], r[2], int(r[3]), int(r[4]), r[5]) for r in items]
    out.top_products = [TopProduct(*r) for r in _ranked(rows, top)]
    rows = [(r[0], r[1], r[2], int(r[3]), int(r[4]), r[5]) for r in categories]
    out.top_categories = [TopCategory(*r) for r in _ranked(rows, top)]
    counted = {kind: int(n) for kind, n in counters}
    out.funnel = _funnel(
        [
            (VIEW, counted.get(VIEW, 0)),
            (ADD, counted.get(ADD, 0)),
            ("placed", out.orders_placed),
            ("paid", out.paid_orders),
        ]
    )
    out.buyers = len(per_buyer)
    out.repeat_buyers = sum(1 for n in per_buyer.values() if n >= 2)
    return out
