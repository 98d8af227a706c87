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
