"""Test factories per domain: small functions that build valid records with unique keys."""

from __future__ import annotations

import itertools
from decimal import Decimal

from stdnum.cn import uscc

from mall.accounts import create_user
from orders import budget
from suppliers import registration
from suppliers import status as supplier_status

_seq = itertools.count(1)
PASSWORD = "Passw0rd!"


def n() -> int:
    return next(_seq)


def valid_uscc(region: str = "330106") -> str:
    first = f"91{region}MA{n():07d}"
    return first + uscc.calc_check_digit(first)


def unit(session, **kw):
    i = n()
    data = {"code": f"T{i:08d}", "name": f"测试单位{i}", "region_code": "330100",
            "level": "municipal"} | kw
    return budget.create_unit(session, None, **data)


def line(session, unit_id: int, amount: str = "1000.00", **kw):
    data = {"fiscal_year": 2026, "name": f"指标{n()}", "purpose": "office_supplies"} | kw
    return budget.create_line(session, None, unit_id=unit_id, amount=Decimal(amount), **data)


def supplier(session, *, region: str = "330106", size: str = "small", active: bool = True,
             **kw):
    data = {"uscc": valid_uscc(region), "name": f"测试供应商{n()}有限公司",
            "region_code": region, "size": size, "contact_name": "张经理",
            "contact_phone": "13800000000", "bank_name": "中国工商银行",
            "bank_account": "1202000000000001"} | kw
    s = registration.register(session, None, **data)
    if active:
        supplier_status.transition(session, None, s.id, "approve")
    return s


def user(session, role: str, **kw):
    i = n()
    if role == "buyer" and "budget_unit_id" not in kw:
        kw["budget_unit_id"] = unit(session).id
    if role == "supplier" and "supplier_id" not in kw:
        kw["supplier_id"] = supplier(session).id
    return create_user(session, None, username=f"{role}{i}", display_name=f"{role}{i}",
                       role=role, password=PASSWORD, **kw)


OFFER_PATHS = {"draft": [], "pending": ["submit"], "active": ["submit", "approve"],
               "rejected": ["submit", "reject"], "delisted": ["submit", "approve", "delist"],
               "expired": ["submit", "approve", "expire"]}


def offer(session, supplier_id: int | None = None, *, status: str = "draft",
          certificates: list[dict] | None = None, **fields):
    """An offer (复印纸 by default) brought to `status` through catalog.offers itself.

    A new active supplier when `supplier_id` is None. The supplier's own user creates and
    submits it; an operator approves or rejects it (reason "other"); "expire" is the system.
    """
    from catalog import offers as catalog_offers

    if supplier_id is None:
        supplier_id = supplier(session).id
    data = {"category_code": "A05040101", "brand": "得力", "model": f"DL-{n():06d}",
            "title": "得力 A4 复印纸 70g 500张/包", "price": Decimal("25.00"),
            "market_price": Decimal("28.00"), "stock": 100, "delivery_regions": "全国",
            "specs": {"规格": "A4", "克重": "70g", "包装": "500张/包"}} | fields
    seller = user(session, "supplier", supplier_id=supplier_id)
    created = catalog_offers.create_offer(session, seller, supplier_id=supplier_id, data=data,
                                          certificates=certificates)
    operator = None
    for action in OFFER_PATHS[status]:
        roles = catalog_offers.TRANSITIONS[action][2]
        if "supplier" in roles:
            actor = seller
        elif "operator" in roles:
            operator = operator or user(session, "operator")
            actor = operator
        else:
            actor = None
        reason = "other" if action in catalog_offers.REASONS_FOR else None
        catalog_offers.transition(session, actor, created.id, action, reason_code=reason)
    assert created.status == status
    return created


# --- orders ------------------------------------------------------------------------------------

def buyer_with_budget(session, amount: str = "100000.00", **unit_kw):
    """A buyer user in a new unit with one budget line: (buyer, budget_line)."""
    u = unit(session, **unit_kw)
    budget_line = line(session, u.id, amount)
    return user(session, "buyer", budget_unit_id=u.id), budget_line


ORDER_PATHS = {
    "placed": [], "confirmed": ["confirm"], "refused": ["refuse"], "cancelled": ["cancel"],
    "shipped": ["confirm", "ship"], "delivered": ["confirm", "ship", "deliver"],
    "accepted": ["confirm", "ship", "deliver", "accept"],
    "acceptance_failed": ["confirm", "ship", "deliver", "fail_acceptance"],
    "return_requested": ["confirm", "ship", "deliver", "request_return"],
    "returned": ["confirm", "ship", "deliver", "request_return", "confirm_return"],
    "paid": ["confirm", "ship", "deliver", "accept", "pay"],
    "completed": ["confirm", "ship", "deliver", "accept", "pay", "complete"],
}


def order(session, *, status: str = "placed", buyer=None, budget_line=None, offer_=None,
          quantity: int = 2, payment_method: str = "card"):
    """A mall order placed through orders.checkout and walked through orders.flow to
    `status`. Returns (order, buyer, seller) where seller is a user of the order's supplier."""
    from orders import checkout, flow
    from orders.rules import Policy

    if buyer is None:
        buyer, budget_line = buyer_with_budget(session)
    offer_ = offer_ or offer(session, status="active")
    seller = user(session, "supplier", supplier_id=offer_.supplier_id)
    result = checkout.place_orders(
        session, buyer, [checkout.Item(offer_.id, quantity, offer_.price)],
        budget_line_id=budget_line.id, payment_method=payment_method,
        idempotency_key=f"factory-{n():08d}", delivery=checkout.Delivery("杭州市西湖区文三路 1 号"),
        policy=Policy())
    placed = result.orders[0]
    for action in ORDER_PATHS[status]:
        if action == "refuse":
            flow.refuse(session, seller, placed.id, reason="缺货")
        elif action == "cancel":
            flow.cancel(session, buyer, placed.id, reason="需求取消")
        elif action == "ship":
            flow.ship(session, seller, placed.id, carrier="顺丰", tracking_no="SF1")
        elif action == "accept":
            flow.accept(session, buyer, placed.id, result="pass", inspector="张三")
        elif action == "fail_acceptance":
            flow.accept(session, buyer, placed.id, result="fail", inspector="张三",
                        notes="型号不符")
        elif action == "request_return":
            flow.request_return(session, buyer, placed.id, reason="型号不符")
        elif action == "pay":
            flow.pay(session, None, placed.id, amount=placed.accepted_amount)
        elif action in ("confirm", "deliver", "confirm_return"):
            getattr(flow, action)(session, seller, placed.id)
        else:
            getattr(flow, action)(session, buyer, placed.id)
    assert placed.status == status
    session.flush()
    return placed, buyer, seller
