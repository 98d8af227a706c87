"""Demo catalogue (catalog/demo.py) as `mall seed-demo` loads it: deterministic, thousands of
offers of real products, comparable prices, 832 farm products, a review queue with findings."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from catalog import certificates, review
from catalog.models import Category, Offer, OfferVersion, PriceStats, Product
from mall.audit import AuditEvent
from mall.clock import local_today
from mall.db import make_engine, session_scope
from mall.seed import seed
from suppliers.counties import county
from suppliers.models import Supplier
from tests import dbutil


def seeded_engine(name: str):
    engine = make_engine(dbutil.fresh_database(name))
    with session_scope(sessionmaker(bind=engine)) as session:
        seed(session)
    return engine


@pytest.fixture(scope="module")
def engines():
    a, b = seeded_engine("demo_a"), seeded_engine("demo_b")
    yield a, b
    a.dispose()
    b.dispose()


@pytest.fixture
def db(engines):
    with sessionmaker(bind=engines[0])() as session:
        yield session


def listing(engine) -> list[tuple]:
    with sessionmaker(bind=engine)() as session:
        return list(session.execute(select(Offer.title, Offer.price, Offer.status)
                                    .order_by(Offer.id)))


def test_seeding_two_fresh_databases_gives_the_same_offers(engines):
    a, b = (listing(e) for e in engines)
    assert len(a) >= 3000
    assert a == b


def test_thousands_of_offers_mostly_on_sale_with_a_review_queue(db):
    counts = Counter(dict(db.execute(select(Offer.status, func.count()).group_by(Offer.status))
                          .all()))
    total = sum(counts.values())
    assert total >= 3000
    assert counts["active"] >= 0.85 * total
    assert counts["pending"] >= 50
    for status in ("draft", "rejected", "delisted"):
        assert counts[status] > 0


def test_only_active_suppliers_list(db):
    statuses = set(db.scalars(select(Supplier.status).join(Offer, Offer.supplier_id == Supplier.id)))
    assert statuses == {"active"}


def test_several_suppliers_offer_the_same_product_at_comparable_prices(db):
    stats = list(db.scalars(select(PriceStats).where(PriceStats.offer_count >= 3)))
    assert len(stats) >= 100
    for s in stats:
        assert s.max_price <= s.min_price * 2, s.product_id  # ±10% around the street price
    spread = sorted(s.max_price / s.min_price for s in stats)
    assert spread[len(spread) // 2] < 1.15
    # one statistics row per product with an active offer
    with_active = db.scalar(select(func.count(func.distinct(Offer.product_id)))
                            .where(Offer.status == "active"))
    assert db.scalar(select(func.count()).select_from(PriceStats)) == with_active


def test_market_reference_prices_are_mostly_above_the_offer(db):
    rows = db.execute(select(Offer.price, Offer.market_price).where(
        Offer.status == "active", Offer.market_price.is_not(None))).all()
    above = sum(1 for price, market in rows if market >= price)
    assert above >= 0.9 * len(rows)


def test_832_suppliers_sell_their_county_products_in_canteen_food_categories(db):
    farmers = list(db.scalars(select(Supplier).where(Supplier.is_832,
                                                     Supplier.status == "active")))
    assert len(farmers) >= 5
    for farmer in farmers:
        rows = db.execute(select(Offer.title, Category.canteen_food)
                          .join(Product, Offer.product_id == Product.id)
                          .join(Category, Product.category_id == Category.id).where(Offer.supplier_id == farmer.id,
                                                Offer.status == "active")).all()
        assert rows, farmer.name
        assert all(canteen for _, canteen in rows), farmer.name
        place = county(farmer.region_code).county[:2]
        assert all(place in title or farmer.name[:2] in title for title, _ in rows), rows


def test_every_offer_has_a_version_and_an_audit_trail(db):
    offers = db.scalar(select(func.count()).select_from(Offer))
    versions = db.scalar(select(func.count()).select_from(OfferVersion)
                         .where(OfferVersion.state == "applied", OfferVersion.number == 1))
    created = db.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action == "offer.create"))
    approved = db.scalar(select(func.count()).select_from(AuditEvent)
                         .where(AuditEvent.action == "offer.approve"))
    active = db.scalar(select(func.count()).select_from(Offer).where(Offer.status == "active"))
    assert versions == created == offers
    assert approved >= active


def test_mandatory_green_offers_are_mostly_certified_and_a_few_expired(db):
    today = local_today()
    offers = list(db.scalars(select(Offer).join(Product).join(Category).where(
        Category.mandatory_green, Offer.status == "active")))
    green = [o for o in offers if certificates.is_green(o, today)]
    expired = [o for o in offers if o.certificates and not certificates.is_green(o, today)]
    assert len(green) >= 0.85 * len(offers)
    assert expired  # hidden from buyers by the mandatory-green rule
    assert not certificates.buyable(expired[0], today)[0]
    certified = [c for o in green for c in o.certificates]
    assert all(c.certifier == "中国质量认证中心" and c.number.startswith("CQC") for c in certified)


def test_most_pending_offers_have_findings_for_the_operator(db):
    today = local_today()
    pending = list(db.scalars(select(Offer).where(Offer.status == "pending")))
    found = {o.id: {f.code for f in review.findings(db, o, today)} for o in pending}
    assert sum(1 for codes in found.values() if codes) > 0.6 * len(pending)
    # Near-identical titles of configuration variants also count as duplicates; the
    # deliberate problems alone must cover most of the queue.
    meant = [codes - {"duplicate_listing", "above_market_price"} for codes in found.values()]
    assert sum(1 for codes in meant if codes) > 0.5 * len(pending)
    seen = set().union(*found.values())
    assert {"sensitive_word", "above_median", "wrong_category", "green_claim_uncertified",
            "missing_specs", "invalid_certificate", "duplicate_listing"} <= seen


def test_offers_on_sale_are_clean_listings(db):
    """A sample of active offers: no banned words, right category, specs filled in."""
    today = local_today()
    sample = list(db.scalars(select(Offer).where(Offer.status == "active")
                             .order_by(Offer.id)))[::25]
    assert len(sample) >= 100
    for offer in sample:
        codes = {f.code for f in review.findings(db, offer, today)}
        assert not codes & {"sensitive_word", "wrong_category", "missing_specs", "above_median"}, \
            (offer.title, codes)


def test_the_daily_jobs_leave_the_demo_catalogue_on_sale(db):
    """Listings were re-confirmed within 180 days, so `mall jobs` expires none of them."""
    from catalog.offers import expire_stale
    from mall.clock import utcnow

    assert expire_stale(db, utcnow()) == []
    db.rollback()
