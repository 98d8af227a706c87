"""Price watch (catalog/pricewatch.py): quartiles, per-product statistics, outliers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog import offers, pricewatch
from catalog.models import PriceStats
from mall.roles import Role
from tests import factories


def D(*values) -> list[Decimal]:
    return [Decimal(str(v)) for v in values]


@pytest.mark.parametrize(("prices", "expected"), [
    (D(10, 20, 30, 40, 50), D("20.00", "30.00", "40.00")),
    (D(50, 10, 40, 20, 30), D("20.00", "30.00", "40.00")),  # order does not matter
    (D(10, 20, 30, 40), D("17.50", "25.00", "32.50")),
    (D(100, 130), D("107.50", "115.00", "122.50")),
    (D("9.99", "10.01", "10.02"), D("10.00", "10.01", "10.02")),
])
def test_quartiles_use_the_inclusive_method(prices, expected):
    assert list(pricewatch.quartiles(prices)) == expected


def test_quartiles_of_a_single_price_are_that_price():
    assert list(pricewatch.quartiles(D("25.00"))) == D("25.00", "25.00", "25.00")


def shared_offers(db, prices: list[str], status: str = "active") -> list:
    """Offers of one product (same brand + model) by different suppliers."""
    model = f"DL-PW-{factories.n()}"
    return [factories.offer(db, status=status, model=model, price=Decimal(p),
                            market_price=Decimal("500.00")) for p in prices]


def stats_row(stats: PriceStats) -> tuple:
    return (stats.offer_count, stats.min_price, stats.q1_price, stats.median_price,
            stats.q3_price, stats.max_price)


def test_approvals_keep_the_statistics_up_to_date(db):
    pending = shared_offers(db, ["100.00", "110.00", "150.00"], status="pending")
    product_id = pending[0].product_id
    assert {o.product_id for o in pending} == {product_id}
    db.flush()
    assert db.get(PriceStats, product_id) is None  # nothing on sale yet
    operator = factories.user(db, Role.OPERATOR)
    for offer in pending:
        offers.transition(db, operator, offer.id, "approve")
    db.flush()
    expected = (3, *D("100.00", "105.00", "110.00", "130.00", "150.00"))
    assert stats_row(db.get(PriceStats, product_id)) == expected
    assert stats_row(pricewatch.recompute(db, product_id)) == expected


def test_delisting_removes_an_offer_from_the_statistics(db):
    cheap, middle, dear = shared_offers(db, ["100.00", "110.00", "150.00"])
    seller = factories.user(db, Role.SUPPLIER, supplier_id=dear.supplier_id)
    offers.transition(db, seller, dear.id, "delist")
    db.flush()
    stats = db.get(PriceStats, cheap.product_id)
    assert stats_row(stats) == (2, *D("100.00", "102.50", "105.00", "107.50", "110.00"))


def test_statistics_are_deleted_when_no_active_offer_remains(db):
    first, second = shared_offers(db, ["100.00", "120.00"])
    operator = factories.user(db, Role.OPERATOR)
    offers.transition(db, operator, first.id, "takedown", reason_code="counterfeit")
    db.flush()
    assert db.get(PriceStats, first.product_id).offer_count == 1
    offers.transition(db, None, second.id, "expire")
    db.flush()
    assert db.get(PriceStats, first.product_id) is None
    assert pricewatch.recompute(db, first.product_id) is None


def test_a_price_cut_of_an_active_offer_updates_the_statistics(db):
    first, second = shared_offers(db, ["100.00", "120.00"])
    seller = factories.user(db, Role.SUPPLIER, supplier_id=second.supplier_id)
    offers.edit_offer(db, seller, second.id, {"price": Decimal("90.00")})
    db.flush()
    stats = db.get(PriceStats, first.product_id)
    assert [stats.min_price, stats.max_price] == D("90.00", "100.00")


def test_outliers_flag_a_price_above_median_times_1_2(db):
    normal_a, normal_b, dear = shared_offers(db, ["100.00", "100.00", "130.00"])
    within = shared_offers(db, ["100.00", "100.00", "115.00"])
    db.flush()
    flagged = {(offer.id, kind) for offer, _, kind in
               pricewatch.outliers(db, ratio=Decimal("0.2"))}
    assert (dear.id, "high") in flagged
    ours = {normal_a.id, normal_b.id, dear.id, *(o.id for o in within)}
    assert {offer_id for offer_id, _ in flagged} & ours == {dear.id}
