"""Listing review (catalog/review.py): automatic findings, the queue, decisions, take-downs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from catalog import offers, review
from mall.audit import AuditEvent
from mall.errors import ValidationFailed
from mall.roles import Role
from tests import factories

TODAY = date.today()
PC_SPECS = {"CPU": "i5-12500", "内存": "16GB", "硬盘": "512GB SSD", "操作系统": "统信UOS"}


def codes(db, offer, **kw) -> list[str]:
    return [f.code for f in review.findings(db, offer, TODAY, **kw)]


def messages(db, offer) -> dict[str, str]:
    return {f.code: f.message for f in review.findings(db, offer, TODAY)}


def cert(valid_until: date, certifier: str = "中环联合（北京）认证中心有限公司") -> dict:
    return {"kind": "environment", "number": "CEC2024ELP0001", "certifier": certifier,
            "scope": "复印纸", "valid_until": valid_until}


def desktop(db, **fields):
    data = {"category_code": "A02010105", "brand": "联想", "title": "联想 启天M437 台式计算机",
            "price": Decimal("4999.00"), "market_price": Decimal("5299.00"),
            "specs": dict(PC_SPECS)} | fields
    return factories.offer(db, status="pending", **data)


def audit_events(db, offer_id: int, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "offer", AuditEvent.entity_id == str(offer_id),
        AuditEvent.action == action).order_by(AuditEvent.id)))


# --- findings ----------------------------------------------------------------------------

def test_a_clean_offer_has_no_findings(db):
    assert codes(db, factories.offer(db, status="pending")) == []
    assert codes(db, desktop(db)) == []


def test_sensitive_word_in_the_title(db):
    dirty = factories.offer(db, status="pending", title="得力 A4 复印纸 全网最低 500张/包")
    assert "sensitive_word" in codes(db, dirty)
    assert "全网最低" in messages(db, dirty)["sensitive_word"]
    assert "sensitive_word" not in codes(db, factories.offer(db, status="pending"))


def test_sensitive_word_in_a_pending_edit_of_an_active_offer(db):
    offer = factories.offer(db, status="active")
    assert "sensitive_word" not in codes(db, offer)
    seller = factories.user(db, Role.SUPPLIER, supplier_id=offer.supplier_id)
    offers.edit_offer(db, seller, offer.id, {"title": "得力 A4 复印纸 全网最低"})
    assert "sensitive_word" in codes(db, offer)


def test_price_above_the_market_reference(db):
    dirty = factories.offer(db, status="pending", price=Decimal("30.00"))
    assert "above_market_price" in codes(db, dirty)
    assert "above_market_price" not in codes(db, factories.offer(db, status="pending"))


@pytest.mark.parametrize(("price", "flagged"), [("130.00", True), ("115.00", False),
                                                 ("120.00", False)])
def test_price_above_the_median_of_other_offers_by_more_than_20_percent(db, price, flagged):
    assert review.DEFAULT_MEDIAN_RATIO == Decimal("0.20")
    same = {"model": f"DL-MED-{factories.n()}", "market_price": Decimal("200.00")}
    for _ in range(2):
        factories.offer(db, status="active", price=Decimal("100.00"), **same)
    offer = factories.offer(db, status="pending", price=Decimal(price), **same)
    assert ("above_median" in codes(db, offer)) is flagged


def test_above_median_follows_the_configured_ratio(db):
    same = {"model": f"DL-MED-{factories.n()}", "market_price": Decimal("200.00")}
    for _ in range(2):
        factories.offer(db, status="active", price=Decimal("100.00"), **same)
    offer = factories.offer(db, status="pending", price=Decimal("115.00"), **same)
    assert "above_median" in codes(db, offer, median_ratio=Decimal("0.10"))


def test_expired_certificate(db):
    expired = factories.offer(db, status="pending", certificates=[cert(TODAY - timedelta(1))])
    valid = factories.offer(db, status="pending", certificates=[cert(TODAY + timedelta(90))])
    assert "invalid_certificate" in codes(db, expired)
    assert "invalid_certificate" not in codes(db, valid)


def test_green_claim_without_a_certificate(db):
    claimed = factories.offer(db, status="pending", claims_green=True)
    in_title = factories.offer(db, status="pending", title="得力 环保 A4 复印纸 70g 500张/包")
    certified = factories.offer(db, status="pending", claims_green=True,
                                certificates=[cert(TODAY + timedelta(90))])
    assert "green_claim_uncertified" in codes(db, claimed)
    assert "green_claim_uncertified" in codes(db, in_title)
    assert "green_claim_uncertified" not in codes(db, certified)
    assert "green_claim_uncertified" not in codes(db, factories.offer(db, status="pending"))


def test_duplicate_listing_of_the_same_product_by_the_same_supplier(db):
    first = factories.offer(db, status="active")
    again = factories.offer(db, first.supplier_id, status="pending", model=first.product.model)
    other_supplier = factories.offer(db, status="pending", model=first.product.model)
    assert again.product_id == first.product_id == other_supplier.product_id
    assert "duplicate_listing" in codes(db, again)
    assert "duplicate_listing" not in codes(db, other_supplier)


def test_duplicate_listing_by_a_near_identical_title_with_another_model(db):
    first = factories.offer(db, status="active")
    near = factories.offer(db, first.supplier_id, status="pending",
                           title="得力A4复印纸（70g）500张/包")
    different = factories.offer(db, first.supplier_id, status="pending", brand="晨光",
                                title="晨光 A3 彩色复印纸 80g 5包/箱")
    assert near.product_id != first.product_id
    assert "duplicate_listing" in codes(db, near)
    assert "duplicate_listing" not in codes(db, different)


def test_wrong_category(db):
    paper_as_desktop = desktop(db, title="得力 A4 复印纸")
    assert "wrong_category" in codes(db, paper_as_desktop)
    assert "复印纸" in messages(db, paper_as_desktop)["wrong_category"]
    assert "wrong_category" not in codes(db, desktop(db))


def test_missing_required_specs(db):
    specs = {k: v for k, v in PC_SPECS.items() if k != "内存"}
    incomplete = desktop(db, specs=specs)
    assert "missing_specs" in codes(db, incomplete)
    assert "内存" in messages(db, incomplete)["missing_specs"]
    assert "missing_specs" not in codes(db, desktop(db))


# --- queue and decisions -----------------------------------------------------------------

def test_queue_holds_pending_offers_and_pending_edits_only(db):
    pending = factories.offer(db, status="pending")
    edited = factories.offer(db, status="active")
    clean_active = factories.offer(db, status="active")
    draft = factories.offer(db)
    seller = factories.user(db, Role.SUPPLIER, supplier_id=edited.supplier_id)
    offers.edit_offer(db, seller, edited.id, {"price": Decimal("27.00")})
    ids = {o.id for o in review.queue(db, limit=1000)}
    assert {pending.id, edited.id} <= ids
    assert clean_active.id not in ids
    assert draft.id not in ids
    review.approve(db, factories.user(db, Role.OPERATOR), edited.id)
    assert edited.id not in {o.id for o in review.queue(db, limit=1000)}


@pytest.mark.parametrize("reason", [None, "", "because", "counterfeit"])
def test_reject_with_a_bad_reason_code_is_refused(db, reason):
    offer = factories.offer(db, status="pending")
    operator = factories.user(db, Role.OPERATOR)
    with pytest.raises(ValidationFailed) as exc:
        review.reject(db, operator, offer.id, reason)
    assert exc.value.code == "reason_required"
    assert "reason_code" in exc.value.errors
    db.refresh(offer)
    assert offer.status == "pending"
    assert audit_events(db, offer.id, "offer.reject") == []


def test_reject_sets_the_coded_reason(db):
    offer = factories.offer(db, status="pending")
    review.reject(db, factories.user(db, Role.OPERATOR), offer.id, "missing_specs", "缺克重")
    assert offer.status == "rejected"
    assert (offer.status_reason_code, offer.status_note) == ("missing_specs", "缺克重")


def test_bulk_approve_clean_approves_clean_offers_and_skips_the_others(db):
    operator = factories.user(db, Role.OPERATOR)
    clean = [factories.offer(db, status="pending") for _ in range(2)]
    dirty = factories.offer(db, status="pending", title="得力 A4 复印纸 全网最低",
                            price=Decimal("30.00"))
    result = review.bulk_approve_clean(db, operator, [clean[0].id, dirty.id, clean[1].id],
                                       TODAY)
    assert result == {"approved": [clean[0].id, clean[1].id],
                      "skipped": {dirty.id: ["sensitive_word", "above_market_price"]}}
    assert [o.status for o in clean] == ["active", "active"]
    assert dirty.status == "pending"
    assert audit_events(db, dirty.id, "offer.approve") == []


def test_take_down_needs_a_reason_and_delists_an_active_offer(db):
    offer = factories.offer(db, status="active")
    operator = factories.user(db, Role.OPERATOR)
    with pytest.raises(ValidationFailed) as exc:
        review.take_down(db, operator, offer.id, None)
    assert exc.value.code == "reason_required"
    assert offer.status == "active"
    review.take_down(db, operator, offer.id, "quality_complaint", "多次投诉")
    assert offer.status == "delisted"
    assert offer.status_reason_code == "quality_complaint"


def test_every_decision_is_audited(db):
    operator = factories.user(db, Role.OPERATOR)
    approved = factories.offer(db, status="pending")
    rejected = factories.offer(db, status="pending")
    changed = factories.offer(db, status="active")
    refused_change = factories.offer(db, status="active")
    taken_down = factories.offer(db, status="active")
    bulk = factories.offer(db, status="pending")
    for offer in (changed, refused_change):
        seller = factories.user(db, Role.SUPPLIER, supplier_id=offer.supplier_id)
        offers.edit_offer(db, seller, offer.id, {"price": Decimal("29.00")})

    review.approve(db, operator, approved.id)
    review.reject(db, operator, rejected.id, "invalid_title")
    review.approve(db, operator, changed.id)
    review.reject(db, operator, refused_change.id, "price_too_high", "涨幅过大")
    review.take_down(db, operator, taken_down.id, "counterfeit")
    review.bulk_approve_clean(db, operator, [bulk.id], TODAY)
    db.flush()

    expected = [(approved, "offer.approve"), (rejected, "offer.reject"),
                (changed, "offer.change_approved"), (refused_change, "offer.change_rejected"),
                (taken_down, "offer.takedown"), (bulk, "offer.approve")]
    for offer, action in expected:
        (event,) = audit_events(db, offer.id, action)
        assert event.actor_id == operator.id and event.actor_role == "operator"
    assert audit_events(db, rejected.id, "offer.reject")[0].after["reason_code"] == "invalid_title"
    assert audit_events(db, refused_change.id, "offer.change_rejected")[0].after == {
        "version": 2, "reason_code": "price_too_high", "note": "涨幅过大"}
    assert audit_events(db, changed.id, "offer.change_approved")[0].after["price"] == "29.00"
    assert audit_events(db, taken_down.id, "offer.takedown")[0].after["reason_code"] == \
        "counterfeit"


def test_supplier_cannot_approve_its_own_pending_change(db):
    from catalog import offers as offers_mod
    from mall.errors import Forbidden

    o = factories.offer(db, status="active")
    seller = factories.user(db, "supplier", supplier_id=o.supplier_id)
    offers_mod.edit_offer(db, seller, o.id, {"price": Decimal("99.00")})
    with pytest.raises(Forbidden):
        review.approve(db, seller, o.id)
    db.refresh(o)
    assert o.price != Decimal("99.00")


def test_approving_a_change_keeps_edits_applied_meanwhile(db):
    from catalog import offers as offers_mod

    o = factories.offer(db, status="active")
    seller = factories.user(db, "supplier", supplier_id=o.supplier_id)
    operator = factories.user(db, "operator")
    offers_mod.edit_offer(db, seller, o.id, {"title": o.title + " 新款"})
    offers_mod.edit_offer(db, seller, o.id, {"price": o.price - Decimal("5.00"),
                                             "lead_time_days": 7})
    cut = o.price
    review.approve(db, operator, o.id)
    db.flush()
    db.refresh(o)
    assert o.title.endswith("新款")
    assert (o.price, o.lead_time_days) == (cut, 7)
