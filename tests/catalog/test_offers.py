"""Offers (catalog/offers.py): the state machine, ownership, version history, products,
regions, stock and bulk prices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from catalog import offers, review
from catalog.models import Offer, OfferStatus, PriceStats
from catalog.offers import REASONS_FOR, TRANSITIONS
from mall.audit import AuditEvent
from mall.errors import Conflict, Forbidden, ValidationFailed
from mall.roles import Role
from suppliers import status as supplier_status
from tests import factories

S = OfferStatus
ALL_ROLES = [*(r.value for r in Role), "system"]

ALLOWED = [(action, source, role) for action, (sources, _, roles) in TRANSITIONS.items()
           for source in sorted(sources) for role in sorted(roles)]
REFUSED = [(source, action) for action, (sources, _, _) in TRANSITIONS.items()
           for source in S if source not in sources]
WRONG_ROLE = [(action, role) for action, (_, _, roles) in TRANSITIONS.items()
              for role in ALL_ROLES if role not in roles]


def reason_for(action: str) -> str | None:
    reasons = REASONS_FOR.get(action)
    return next(iter(reasons)) if reasons else None


def actor_for(db, role: str, offer: Offer):
    """A user of `role`; a supplier user belongs to the offer's own supplier; system is None."""
    if role == "system":
        return None
    if role == Role.SUPPLIER:
        return factories.user(db, Role.SUPPLIER, supplier_id=offer.supplier_id)
    return factories.user(db, role)


def right_role(action: str) -> str:
    return sorted(TRANSITIONS[action][2])[0]


def events(db, offer_id: int, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.entity_type == "offer",
                                     AuditEvent.entity_id == str(offer_id))
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.scalars(query.order_by(AuditEvent.id)))


def event_count(db, offer_id: int) -> int:
    return db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "offer", AuditEvent.entity_id == str(offer_id)))


def seller_of(db, offer: Offer):
    return factories.user(db, Role.SUPPLIER, supplier_id=offer.supplier_id)


def states(db, offer_id: int) -> list[tuple[int, str]]:
    return [(v.number, v.state) for v in offers.versions(db, offer_id)]


# --- the state machine -------------------------------------------------------------------

def test_the_tables_cover_every_pair():
    pairs = {(action, source) for action, source, _ in ALLOWED}
    assert len(pairs) + len(REFUSED) == len(TRANSITIONS) * len(S)
    assert len(WRONG_ROLE) + sum(len(r) for _, _, r in TRANSITIONS.values()) \
        == len(TRANSITIONS) * len(ALL_ROLES)


@pytest.mark.parametrize(("action", "source", "role"), ALLOWED)
def test_allowed_transition_by_the_right_role_succeeds_and_is_audited(db, action, source, role):
    offer = factories.offer(db, status=source.value)
    actor = actor_for(db, role, offer)
    reason = reason_for(action)
    target = TRANSITIONS[action][1]
    out = offers.transition(db, actor, offer.id, action, reason_code=reason, note="测试说明")
    db.flush()
    assert out.id == offer.id
    assert offer.status == target.value
    assert offer.status_reason_code == reason
    event = events(db, offer.id, f"offer.{action}")[-1]
    assert event.actor_id == getattr(actor, "id", None)
    assert event.actor_role == role
    assert event.before == {"status": source.value}
    assert event.after == {"status": target.value, "reason_code": reason, "note": "测试说明"}


@pytest.mark.parametrize(("source", "action"), REFUSED)
def test_refused_transition_raises_conflict_and_changes_nothing(db, source, action):
    offer = factories.offer(db, status=source.value)
    actor = actor_for(db, right_role(action), offer)
    db.flush()
    before = (offer.status, offer.status_reason_code, offer.status_note)
    audited = event_count(db, offer.id)
    with pytest.raises(Conflict) as exc:
        offers.transition(db, actor, offer.id, action, reason_code=reason_for(action),
                          note="不应写入")
    assert exc.value.code == "offer_transition_refused"
    db.flush()
    db.refresh(offer)
    assert (offer.status, offer.status_reason_code, offer.status_note) == before
    assert event_count(db, offer.id) == audited


@pytest.mark.parametrize(("action", "role"), WRONG_ROLE)
def test_wrong_role_is_forbidden_and_changes_nothing(db, action, role):
    source = sorted(TRANSITIONS[action][0])[0]
    offer = factories.offer(db, status=source.value)
    actor = actor_for(db, role, offer)
    db.flush()
    audited = event_count(db, offer.id)
    with pytest.raises(Forbidden) as exc:
        offers.transition(db, actor, offer.id, action, reason_code=reason_for(action))
    assert exc.value.code == "offer_action_forbidden"
    db.refresh(offer)
    assert offer.status == source.value
    assert event_count(db, offer.id) == audited


@pytest.mark.parametrize(("action", "source"), [("submit", S.DRAFT), ("delist", S.ACTIVE)])
def test_supplier_cannot_transition_another_suppliers_offer(db, action, source):
    offer = factories.offer(db, status=source.value)
    stranger = factories.user(db, Role.SUPPLIER)  # a user of another supplier
    assert stranger.supplier_id != offer.supplier_id
    with pytest.raises(Forbidden) as exc:
        offers.transition(db, stranger, offer.id, action)
    assert exc.value.code == "offer_forbidden"
    db.refresh(offer)
    assert offer.status == source.value


def test_supplier_cannot_edit_another_suppliers_offer(db):
    offer = factories.offer(db)
    stranger = factories.user(db, Role.SUPPLIER)
    with pytest.raises(Forbidden) as exc:
        offers.edit_offer(db, stranger, offer.id, {"title": "得力 A4 复印纸 80g"})
    assert exc.value.code == "offer_forbidden"
    db.refresh(offer)
    assert offer.title == "得力 A4 复印纸 70g 500张/包"
    assert states(db, offer.id) == [(1, "applied")]


def test_supplier_cannot_restock_another_suppliers_offer(db):
    offer = factories.offer(db, status="active")
    stranger = factories.user(db, Role.SUPPLIER)
    with pytest.raises(Forbidden) as exc:
        offers.restock(db, stranger, offer.id, 5)
    assert exc.value.code == "offer_forbidden"
    db.refresh(offer)
    assert offer.stock == 100


def test_supplier_cannot_bulk_change_another_suppliers_prices(db):
    offer = factories.offer(db, status="active")
    stranger = factories.user(db, Role.SUPPLIER)
    with pytest.raises(Forbidden) as exc:
        offers.bulk_price_change(db, stranger, [offer.id], mode="percent", value=Decimal("-10"))
    assert exc.value.code == "offer_forbidden"
    db.refresh(offer)
    assert offer.price == Decimal("25.00")
    assert states(db, offer.id) == [(1, "applied")]


def test_operator_can_approve_reject_and_take_down_any_suppliers_offer(db):
    operator = factories.user(db, Role.OPERATOR)
    to_approve = factories.offer(db, status="pending")
    to_reject = factories.offer(db, status="pending")
    to_take_down = factories.offer(db, status="active")
    assert len({to_approve.supplier_id, to_reject.supplier_id, to_take_down.supplier_id}) == 3
    offers.transition(db, operator, to_approve.id, "approve")
    offers.transition(db, operator, to_reject.id, "reject", reason_code="missing_specs")
    offers.transition(db, operator, to_take_down.id, "takedown", reason_code="counterfeit")
    assert (to_approve.status, to_reject.status, to_take_down.status) == (
        "active", "rejected", "delisted")


@pytest.mark.parametrize("action", sorted(REASONS_FOR))
@pytest.mark.parametrize("kind", ["missing", "unknown", "from_other_list"])
def test_reject_and_takedown_need_a_valid_reason_code(db, action, kind):
    assert set(REASONS_FOR) == {"reject", "takedown"}
    other = {"reject": "quality_complaint", "takedown": "invalid_title"}
    reason = {"missing": None, "unknown": "because", "from_other_list": other[action]}[kind]
    assert reason not in REASONS_FOR[action]
    source = sorted(TRANSITIONS[action][0])[0]
    offer = factories.offer(db, status=source.value)
    operator = factories.user(db, Role.OPERATOR)
    db.flush()
    audited = event_count(db, offer.id)
    with pytest.raises(ValidationFailed) as exc:
        offers.transition(db, operator, offer.id, action, reason_code=reason)
    assert exc.value.code == "reason_required"
    assert "reason_code" in exc.value.errors
    db.refresh(offer)
    assert offer.status == source.value
    assert event_count(db, offer.id) == audited


def test_submit_is_refused_while_the_supplier_is_suspended(db):
    offer = factories.offer(db)
    seller = seller_of(db, offer)
    supplier_status.transition(db, None, offer.supplier_id, "suspend",
                               reason_code="quality_failure")
    db.flush()
    audited = event_count(db, offer.id)
    with pytest.raises(Conflict) as exc:
        offers.transition(db, seller, offer.id, "submit")
    assert exc.value.code == "supplier_not_active"
    db.refresh(offer)
    assert offer.status == "draft"
    assert event_count(db, offer.id) == audited


# --- version history ---------------------------------------------------------------------

def test_editing_a_draft_applies_at_once(db):
    offer = factories.offer(db)
    seller = seller_of(db, offer)
    version = offers.edit_offer(db, seller, offer.id, {"title": "得力 A4 复印纸 80g 500张/包",
                                                       "price": Decimal("30.00")})
    assert version.number == 2 and version.state == "applied"
    assert offer.title == "得力 A4 复印纸 80g 500张/包"
    assert offer.price == Decimal("30.00")
    assert offer.version == 2
    assert states(db, offer.id) == [(1, "applied"), (2, "applied")]
    assert events(db, offer.id, "offer.edit")[-1].after["price"] == "30.00"


def test_price_decrease_of_an_active_offer_applies_at_once(db):
    offer = factories.offer(db, status="active")
    seller = seller_of(db, offer)
    version = offers.edit_offer(db, seller, offer.id, {"price": Decimal("22.00")})
    assert version.state == "applied"
    assert offer.price == Decimal("22.00")
    assert offer.status == "active"
    assert offer.version == version.number == 2
    assert offers.pending_version(db, offer.id) is None
    db.flush()
    assert db.get(PriceStats, offer.product_id).median_price == Decimal("22.00")


@pytest.mark.parametrize("changes", [{"price": Decimal("30.00")},
                                     {"title": "得力 A4 复印纸 70g 500张/包 新款"}],
                         ids=["price_increase", "title_change"])
def test_price_increase_or_title_change_of_an_active_offer_waits_for_review(db, changes):
    offer = factories.offer(db, status="active")
    seller = seller_of(db, offer)
    version = offers.edit_offer(db, seller, offer.id, changes)
    assert version.state == "pending"
    assert offers.pending_version(db, offer.id).id == version.id
    for key, value in changes.items():
        assert version.data[key] == str(value)
    db.refresh(offer)
    assert offer.price == Decimal("25.00")
    assert offer.title == "得力 A4 复印纸 70g 500张/包"
    assert offer.status == "active"
    assert offer.version == 1
    assert states(db, offer.id) == [(1, "applied"), (2, "pending")]
    assert events(db, offer.id, "offer.change_proposed")


def test_review_approve_applies_the_pending_version(db):
    offer = factories.offer(db, status="active")
    offers.edit_offer(db, seller_of(db, offer), offer.id, {"price": Decimal("30.00")})
    operator = factories.user(db, Role.OPERATOR)
    review.approve(db, operator, offer.id)
    db.flush()
    db.refresh(offer)
    assert offer.price == Decimal("30.00")
    assert offer.status == "active"
    assert offer.version == 2
    assert states(db, offer.id) == [(1, "applied"), (2, "applied")]
    assert db.get(PriceStats, offer.product_id).median_price == Decimal("30.00")


def test_review_reject_marks_the_pending_version_rejected_and_keeps_the_offer(db):
    offer = factories.offer(db, status="active")
    offers.edit_offer(db, seller_of(db, offer), offer.id, {"price": Decimal("30.00")})
    operator = factories.user(db, Role.OPERATOR)
    review.reject(db, operator, offer.id, "price_too_high", note="涨价无依据")
    db.flush()
    db.refresh(offer)
    assert offer.price == Decimal("25.00")
    assert offer.status == "active"
    assert offer.version == 1
    assert states(db, offer.id) == [(1, "applied"), (2, "rejected")]
    assert offers.pending_version(db, offer.id) is None


def test_a_second_edit_supersedes_the_first_pending_version(db):
    offer = factories.offer(db, status="active")
    seller = seller_of(db, offer)
    offers.edit_offer(db, seller, offer.id, {"price": Decimal("30.00")})
    second = offers.edit_offer(db, seller, offer.id, {"price": Decimal("32.00")})
    assert states(db, offer.id) == [(1, "applied"), (2, "superseded"), (3, "pending")]
    assert offers.pending_version(db, offer.id).id == second.id
    assert offer.price == Decimal("25.00")


def test_delisting_supersedes_a_pending_version(db):
    offer = factories.offer(db, status="active")
    seller = seller_of(db, offer)
    offers.edit_offer(db, seller, offer.id, {"price": Decimal("30.00")})
    offers.transition(db, seller, offer.id, "delist")
    assert offer.status == "delisted"
    assert states(db, offer.id) == [(1, "applied"), (2, "superseded")]
    assert offers.pending_version(db, offer.id) is None
    assert offer.price == Decimal("25.00")


# --- products, regions, stock, prices ----------------------------------------------------

def test_same_brand_and_model_in_one_category_share_one_product(db):
    specs = {"CPU": "i5-8500", "内存": "8GB", "硬盘": "256GB SSD", "操作系统": "Windows 10"}
    a = factories.offer(db, category_code="A02010105", brand="联想", model="ThinkCentre M720",
                        title="联想 ThinkCentre M720 台式计算机", specs=specs)
    b = factories.offer(db, category_code="A02010105", brand=" 联想", model="thinkcentre-m720",
                        title="联想 thinkcentre-m720 商用台式机", specs=specs)
    other_category = factories.offer(db, category_code="A02010108", brand="联想",
                                     model="ThinkCentre M720", title="联想 笔记本电脑")
    assert a.supplier_id != b.supplier_id
    assert a.product_id == b.product_id
    assert a.product.match_key == offers.match_key("联想", "thinkcentre m720")
    assert other_category.product_id != a.product_id


def test_parse_regions_accepts_nationwide_and_code_prefixes():
    assert offers.parse_regions("全国") == ["*"]
    assert offers.parse_regions("33,5227") == ["33", "5227"]
    assert offers.parse_regions(["330106", "33"]) == ["33", "330106"]


@pytest.mark.parametrize("value", ["3", "", "33,abc", "33301"])
def test_parse_regions_refuses_bad_codes_on_the_delivery_regions_field(value):
    with pytest.raises(ValidationFailed) as exc:
        offers.parse_regions(value)
    assert "delivery_regions" in exc.value.errors


def test_create_offer_with_a_bad_region_is_refused(db):
    with pytest.raises(ValidationFailed) as exc:
        factories.offer(db, delivery_regions="3")
    assert "delivery_regions" in exc.value.errors


def test_restock_sets_the_stock_and_refuses_a_negative_one(db):
    offer = factories.offer(db, status="active")
    seller = seller_of(db, offer)
    with pytest.raises(ValidationFailed) as exc:
        offers.restock(db, seller, offer.id, -1)
    assert "stock" in exc.value.errors
    assert offer.stock == 100
    offers.restock(db, seller, offer.id, 40)
    assert offer.stock == 40
    assert events(db, offer.id, "offer.restock")[-1].after == {"stock": 40}


def test_bulk_price_cut_applies_at_once(db):
    offer = factories.offer(db, status="active")
    seller = seller_of(db, offer)
    result = offers.bulk_price_change(db, seller, [offer.id], mode="percent",
                                      value=Decimal("-10"))
    assert result == {"applied": [offer.id], "pending_review": []}
    assert offer.price == Decimal("22.50")
    assert states(db, offer.id) == [(1, "applied"), (2, "applied")]


def test_bulk_price_rise_of_an_active_offer_goes_to_review(db):
    offer = factories.offer(db, status="active")
    seller = seller_of(db, offer)
    result = offers.bulk_price_change(db, seller, [offer.id], mode="percent",
                                      value=Decimal("10"))
    assert result == {"applied": [], "pending_review": [offer.id]}
    db.refresh(offer)
    assert offer.price == Decimal("25.00")
    assert offer.status == "active"
    assert offers.pending_version(db, offer.id).data["price"] == "27.50"


def test_expire_stale_expires_only_old_active_offers(db):
    from datetime import timedelta

    from mall.clock import utcnow

    old = factories.offer(db, status="active")
    fresh = factories.offer(db, status="active")
    old.updated_at = utcnow() - timedelta(days=200)
    db.flush()
    expired = offers.expire_stale(db, utcnow(), days=180)
    assert old.id in expired and fresh.id not in expired
    db.flush()
    db.refresh(old)
    db.refresh(fresh)
    assert (old.status, fresh.status) == ("expired", "active")
