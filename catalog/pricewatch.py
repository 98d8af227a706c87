"""Price watch (价格监测): quartiles of active offer prices per product, and outliers."""

from __future__ import annotations

import statistics
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Offer, OfferStatus, PriceStats
from mall.clock import utcnow

CENT = Decimal("0.01")


def quartiles(prices: list[Decimal]) -> tuple[Decimal, Decimal, Decimal]:
    """Lower quartile, median, upper quartile (inclusive method; one price gives itself)."""
    if len(prices) == 1:
        return prices[0], prices[0], prices[0]
    q1, q2, q3 = statistics.quantiles(sorted(prices), n=4, method="inclusive")
    return tuple(Decimal(q).quantize(CENT, rounding=ROUND_HALF_UP) for q in (q1, q2, q3))


def recompute(session: Session, product_id: int) -> PriceStats | None:
    """Refresh one product's statistics from its active offers (called when offers change)."""
    prices = list(session.scalars(select(Offer.price).where(
        Offer.product_id == product_id, Offer.status == OfferStatus.ACTIVE.value)))
    stats = session.get(PriceStats, product_id)
    if not prices:
        if stats is not None:
            session.delete(stats)
        return None
    q1, median, q3 = quartiles(prices)
    if stats is None:
        stats = PriceStats(product_id=product_id)
        session.add(stats)
    stats.offer_count = len(prices)
    stats.min_price, stats.max_price = min(prices), max(prices)
    stats.q1_price, stats.median_price, stats.q3_price = q1, median, q3
    stats.updated_at = utcnow()
    return stats


def median_of_others(session: Session, offer: Offer) -> Decimal | None:
    prices = list(session.scalars(select(Offer.price).where(
        Offer.product_id == offer.product_id, Offer.status == OfferStatus.ACTIVE.value,
        Offer.id != offer.id)))
    if not prices:
        return None
    return Decimal(statistics.median(prices)).quantize(CENT, rounding=ROUND_HALF_UP)


def outliers(session: Session, *, ratio: Decimal, limit: int = 200) -> list[tuple]:
    """Active offers priced above median × (1 + ratio), or below the lower 1.5 × IQR fence.

    Returns (offer, stats, kind) rows, kind being "high" or "low".
    """
    rows = session.execute(
        select(Offer, PriceStats).join(PriceStats, PriceStats.product_id == Offer.product_id)
        .where(Offer.status == OfferStatus.ACTIVE.value, PriceStats.offer_count >= 2))
    out = []
    for offer, stats in rows:
        iqr = stats.q3_price - stats.q1_price
        high = stats.median_price * (1 + ratio)
        low = stats.q1_price - iqr * Decimal("1.5")
        if offer.price > high:
            out.append((offer, stats, "high"))
        elif iqr > 0 and offer.price < low:
            out.append((offer, stats, "low"))
        if len(out) >= limit:
            break
    return out
