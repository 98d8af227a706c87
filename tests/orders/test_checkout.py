"""Checkout (orders/checkout.py, orders/rules.py): one order per supplier, every rule's
refusal with its code and message, nothing written on refusal, idempotency, tags,
化整为零 flag, framework call-off orders."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from catalog import offers as catalog_offers
from catalog.models import Offer
from mall.errors import DomainError
from orders import cart, checkout, flow
from orders.models import BudgetLine, Order, OrderLine
from orders.rules import Policy
from suppliers import status as supplier_status
from tests import factories

POLICY = Policy()
ADDRESS = checkout.Delivery("杭州市西湖区文三路 1 号", "王老师", "13800000001")
PC_SPECS = {"CPU": "i5-12500", "内存": "16GB", "硬盘": "512GB SSD", "操作系统": "统信UOS"}


def place(db, buyer, budget_line, *, key="key-00000001", policy=POLICY, method="card"):
    return checkout.checkout_cart(db, buyer, budget_line_id=budget_line.id,
                                  payment_method=method, idempotency_key=key,
                                  delivery=ADDRESS, policy=policy)


def counts(db):
    return (db.scalar(select(func.count()).select_from(Order)),
            db.scalar(select(func.count()).select_from(OrderLine)))


def refused(db, buyer, budget_line, code, *, policy=POLICY, contains=None):
    """Checkout is refused with `code`; no order, stock or budget changes."""
    offers_before = {o.id: o.stock for o in db.scalars(select(Offer))}
    frozen_before = db.get(BudgetLine, budget_line.id).frozen
    before = counts(db)
    with pytest.raises(DomainError) as info:
        with db.begin_nested():
            place(db, buyer, budget_line, policy=policy)
    assert info.value.code == code, info.value.message
    if contains:
        assert contains in info.value.message
    assert counts(db) == before
    db.expire_all()
    assert db.get(BudgetLine, budget_line.id).frozen == frozen_before
    assert {o.id: o.stock for o in db.scalars(select(Offer))} == offers_before
    return info.value


def test_cart_splits_into_one_order_per_supplier_freezing_budget_and_stock(db):
    buyer, budget_line = factories.buyer_with_budget(db, "10000.00")
    a = factories.offer(db, status="active", price=Decimal("25.00"), stock=10)
    b = factories.offer(db, status="active", price=Decimal("100.00"), stock=5)
    a2 = factories.offer(db, a.supplier_id, status="active", price=Decimal("5.50"), stock=10)
    cart.add(db, buyer, a.id, 2)
    cart.add(db, buyer, a2.id, 4)
    cart.add(db, buyer, b.id, 1)
    result = place(db, buyer, budget_line)
    assert result.created
    assert [o.supplier_id for o in result.orders] == sorted([a.supplier_id, b.supplier_id])
    by_supplier = {o.supplier_id: o for o in result.orders}
    assert by_supplier[a.supplier_id].total == Decimal("72.00")
    assert by_supplier[b.supplier_id].total == Decimal("100.00")
    assert all(o.status == "placed" and o.payment_method == "card" and o.source == "mall"
               for o in result.orders)
    db.expire_all()
    assert db.get(BudgetLine, budget_line.id).frozen == Decimal("172.00")
    assert (db.get(Offer, a.id).stock, db.get(Offer, a2.id).stock,
            db.get(Offer, b.id).stock) == (8, 6, 4)
    assert cart.current_cart(db, buyer).lines == []
    line = by_supplier[a.supplier_id].lines[0]
    assert (line.title, line.category_code, line.unit_price, line.quantity, line.amount) == (
        a.title, "A05040101", Decimal("25.00"), 2, Decimal("50.00"))


def test_order_lines_carry_832_green_and_sme_tags(db):
    buyer, budget_line = factories.buyer_with_budget(db)
    farm = factories.supplier(db, region="522727", size="micro")  # 平塘县, an 832 county
    rice = factories.offer(db, farm.id, status="active", category_code="A07030101",
                           title="平塘香米 5kg", specs={"产地": "平塘"})
    big = factories.supplier(db, size="large")
    pc = factories.offer(db, big.id, status="active", category_code="A02010105",
                         title="联想 启天M437", price=Decimal("4999.00"), specs=PC_SPECS,
                         certificates=[{"kind": "energy", "number": "CQC1",
                                        "certifier": "中国质量认证中心", "scope": "台式计算机",
                                        "valid_until": date.today() + timedelta(days=300)}])
    cart.add(db, buyer, rice.id, 1)
    cart.add(db, buyer, pc.id, 1)
    orders = {o.supplier_id: o for o in place(db, buyer, budget_line).orders}
    rice_line, pc_line = orders[farm.id].lines[0], orders[big.id].lines[0]
    assert (rice_line.is_832, rice_line.is_green, rice_line.is_sme,
            rice_line.is_small_micro) == (True, False, True, True)
    assert (pc_line.is_832, pc_line.is_green, pc_line.is_sme,
            pc_line.is_small_micro) == (False, True, False, False)


def test_same_idempotency_key_returns_the_same_orders_once(db):
    buyer, budget_line = factories.buyer_with_budget(db)
    offer = factories.offer(db, status="active")
    cart.add(db, buyer, offer.id, 3)
    first = place(db, buyer, budget_line, key="double-submit-1")
    cart.add(db, buyer, offer.id, 3)  # even with a new cart, the key answers the first orders
    second = place(db, buyer, budget_line, key="double-submit-1")
    assert not second.created
    assert [o.id for o in second.orders] == [o.id for o in first.orders]
    assert counts(db)[0] >= 1
    db.expire_all()
    assert db.get(BudgetLine, budget_line.id).frozen == Decimal("75.00")
    assert db.get(Offer, offer.id).stock == 97


def test_missing_idempotency_key_is_refused(db):
    buyer, budget_line = factories.buyer_with_budget(db)
    cart.add(db, buyer, factories.offer(db, status="active").id, 1)
    with pytest.raises(DomainError) as info:
        place(db, buyer, budget_line, key="")
    assert info.value.code == "idempotency_key_required"


def test_empty_cart_is_refused(db):
    buyer, budget_line = factories.buyer_with_budget(db)
    refused(db, buyer, budget_line, "cart_empty")


def test_offer_no_longer_on_sale_is_refused(db):
    buyer, budget_line = factories.buyer_with_budget(db)
    offer = factories.offer(db, status="active")
    cart.add(db, buyer, offer.id, 1)
    seller = factories.user(db, "supplier", supplier_id=offer.supplier_id)
    catalog_offers.transition(db, seller, offer.id, "delist")
    refused(db, buyer, budget_line, "offer_inactive", contains="已不在售")


def test_suspended_supplier_is_refused(db):
    buyer, budget_line = factories.buyer_with_budget(db)
    offer = factories.offer(db, status="active")
    cart.add(db, buyer, offer.id, 1)
    supplier_status.transition(db, None, offer.supplier_id, "suspend",
                               reason_code="quality_failure")
    refused(db, buyer, budget_line, "supplier_cannot_trade", contains="暂停交易")


def test_mandatory_green_offer_without_certificate_is_refused(db):
    buyer, budget_line = factories.buyer_with_budget(db)
    pc = factories.offer(db, status="active", category_code="A02010105", title="某品牌台式机",
                         price=Decimal("3999.00"), specs=PC_SPECS)
    cart.add(db, buyer, pc.id, 1)
    refused(db, buyer, budget_line, "green_required", contains="强制采购")


def test_quantity_below_minimum_order_is_refused(db):
    buyer, budget_line = factories.buyer_with_budget(db)
    offer = factories.offer(db, status="active", min_order_qty=5)
    cart.add(db, buyer, offer.id, 2)
    refused(db, buyer, budget_line, "below_min_order", contains="起订量为 5")


def test_offer_not_delivering_to_the_units_region_is_refused(db):
    buyer, budget_line = factories.buyer_with_budget(db, region_code="330100")
    offer = factories.offer(db, status="active", delivery_regions="52")
    cart.add(db, buyer, offer.id, 1)
    refused(db, buyer, budget_line, "region_not_served", contains="330100")


def test_changed_price_is_refused_until_acknowledged(db):
    buyer, budget_line = factories.buyer_with_budget(db)
    offer = factories.offer(db, status="active", price=Decimal("25.00"))
    cart.add(db, buyer, offer.id, 2)
    seller = factories.user(db, "supplier", supplier_id=offer.supplier_id)
    catalog_offers.edit_offer(db, seller, offer.id, {"price": Decimal("22.00")})  # a cut applies
    view = cart.show(db, buyer, POLICY)
    assert [lv.offer.id for lv in view.price_changes] == [offer.id]
    err = refused(db, buyer, budget_line, "price_changed")
    assert "¥25.00" in err.message and "¥22.00" in err.message
    assert cart.acknowledge_prices(db, buyer) == 1
    result = place(db, buyer, budget_line)
    assert result.orders[0].total == Decimal("44.00")


def test_not_enough_stock_is_refused(db):
    buyer, budget_line = factories.buyer_with_budget(db)
    offer = factories.offer(db, status="active", stock=3)
    cart.add(db, buyer, offer.id, 4)
    refused(db, buyer, budget_line, "stock_insufficient", contains="剩余 3 件")


def test_order_above_the_purchase_limit_is_refused_naming_the_limit(db):
    buyer, budget_line = factories.buyer_with_budget(db, "1000000.00",
                                                     purchase_limit=Decimal("50000.00"))
    offer = factories.offer(db, status="active", price=Decimal("2000.00"), stock=100)
    cart.add(db, buyer, offer.id, 26)
    err = refused(db, buyer, budget_line, "purchase_limit_exceeded")
    assert "¥50,000.00" in err.message and "框架协议" in err.message


def test_default_purchase_limit_comes_from_the_policy(db):
    buyer, budget_line = factories.buyer_with_budget(db, "1000000.00")
    offer = factories.offer(db, status="active", price=Decimal("100.00"), stock=100)
    cart.add(db, buyer, offer.id, 11)
    err = refused(db, buyer, budget_line, "purchase_limit_exceeded",
                  policy=Policy(purchase_limit_default=Decimal("1000.00")))
    assert "¥1,000.00" in err.message


def test_not_enough_budget_is_refused(db):
    buyer, budget_line = factories.buyer_with_budget(db, "40.00")
    offer = factories.offer(db, status="active", price=Decimal("25.00"))
    cart.add(db, buyer, offer.id, 2)
    refused(db, buyer, budget_line, "budget_insufficient", contains="¥50.00")


def test_another_units_budget_line_is_refused(db):
    buyer, _ = factories.buyer_with_budget(db)
    _, foreign_line = factories.buyer_with_budget(db)
    cart.add(db, buyer, factories.offer(db, status="active").id, 1)
    refused(db, buyer, foreign_line, "budget_line_forbidden")


def test_only_buyers_check_out(db):
    seller = factories.user(db, "supplier")
    with pytest.raises(DomainError) as info:
        checkout.place_orders(db, seller, [], budget_line_id=1, payment_method="card",
                              idempotency_key="key-00000001", delivery=ADDRESS, policy=POLICY)
    assert info.value.code == "role_forbidden"


def test_unknown_payment_method_is_refused(db):
    buyer, budget_line = factories.buyer_with_budget(db)
    cart.add(db, buyer, factories.offer(db, status="active").id, 1)
    with pytest.raises(DomainError) as info:
        place(db, buyer, budget_line, method="cash")
    assert info.value.errors.get("payment_method")


def test_splitting_over_the_limit_is_flagged_not_refused(db):
    buyer, budget_line = factories.buyer_with_budget(db, "100000.00",
                                                     purchase_limit=Decimal("1000.00"))
    offer = factories.offer(db, status="active", price=Decimal("100.00"))
    cart.add(db, buyer, offer.id, 8)
    first = place(db, buyer, budget_line, key="split-first").orders[0]
    assert not first.split_flag
    cart.add(db, buyer, offer.id, 3)
    preview = cart.show(db, buyer, POLICY)
    assert not preview.warnings and preview.ready
    assert len(preview.notices) == 1 and "化整为零" in preview.notices[0]
    result = place(db, buyer, budget_line, key="split-second")
    second = result.orders[0]
    assert second.split_flag
    assert "化整为零" in second.split_note and "¥1,100.00" in second.split_note
    assert result.warnings and "化整为零" in result.warnings[0]


def test_cancelled_orders_do_not_count_towards_splitting(db):
    buyer, budget_line = factories.buyer_with_budget(db, "100000.00",
                                                     purchase_limit=Decimal("1000.00"))
    offer = factories.offer(db, status="active", price=Decimal("100.00"))
    cart.add(db, buyer, offer.id, 8)
    first = place(db, buyer, budget_line, key="split-first").orders[0]
    flow.cancel(db, buyer, first.id, reason="买错了")
    cart.add(db, buyer, offer.id, 3)
    assert not place(db, buyer, budget_line, key="split-second").orders[0].split_flag


def test_calloff_order_goes_through_the_pipeline_without_offer_or_limit(db):
    buyer, budget_line = factories.buyer_with_budget(db, "2000000.00",
                                                     purchase_limit=Decimal("1000.00"))
    supplier = factories.supplier(db, size="medium")
    lines = [{"title": "台式计算机（框架协议）", "category": "A02010105",
              "unit_price": Decimal("4800.00"), "quantity": 100, "is_green": True}]
    order = checkout.place_calloff_order(db, buyer=buyer, budget_line=budget_line,
                                         supplier=supplier, lines=lines, calloff_id=42,
                                         idempotency_key="calloff-42", payment_method="treasury")
    assert (order.source, order.calloff_id, order.total, order.split_flag) == (
        "calloff", 42, Decimal("480000.00"), False)
    line = order.lines[0]
    assert line.offer_id is None and line.is_green and line.is_sme
    assert db.get(BudgetLine, budget_line.id).frozen == Decimal("480000.00")
    again = checkout.place_calloff_order(db, buyer=buyer, budget_line=budget_line.id,
                                         supplier=supplier.id, lines=lines, calloff_id=42,
                                         idempotency_key="calloff-42", payment_method="treasury")
    assert again.id == order.id
    assert db.get(BudgetLine, budget_line.id).frozen == Decimal("480000.00")
    # the rest of the pipeline is the ordinary one
    seller = factories.user(db, "supplier", supplier_id=supplier.id)
    flow.confirm(db, seller, order.id)
    assert order.status == "confirmed"


def test_calloff_with_suspended_supplier_is_refused(db):
    buyer, budget_line = factories.buyer_with_budget(db)
    supplier = factories.supplier(db)
    supplier_status.transition(db, None, supplier.id, "suspend", reason_code="other")
    with pytest.raises(DomainError) as info:
        checkout.place_calloff_order(
            db, buyer=buyer, budget_line=budget_line, supplier=supplier,
            lines=[{"title": "x", "category": "A05040101", "unit_price": Decimal("1.00"),
                    "quantity": 1}], calloff_id=1, idempotency_key="calloff-1",
            payment_method="card")
    assert info.value.code == "supplier_cannot_trade"


def test_calloff_lines_may_be_objects_with_category_code(db):
    from dataclasses import dataclass

    @dataclass
    class Line:
        title: str
        category_code: str
        unit_price: Decimal
        quantity: int

    buyer, budget_line = factories.buyer_with_budget(db)
    supplier = factories.supplier(db)
    order = checkout.place_calloff_order(
        db, buyer=buyer, budget_line=budget_line, supplier=supplier,
        lines=[Line("A4 复印纸（协议供货）", "A05040101", Decimal("23.50"), 40)], calloff_id=7,
        idempotency_key="calloff-7", payment_method="card")
    assert (order.lines[0].category_code, order.total) == ("A05040101", Decimal("940.00"))
    with pytest.raises(DomainError) as info:
        checkout.place_calloff_order(
            db, buyer=buyer, budget_line=budget_line, supplier=supplier,
            lines=[{"title": "x", "category": "Z999", "unit_price": "1.00", "quantity": 1}],
            calloff_id=8, idempotency_key="calloff-8", payment_method="card")
    assert "category" in info.value.errors
