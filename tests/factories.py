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
