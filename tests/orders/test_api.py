"""API for units and budget lines: validation, nothing written on failure, access control."""

from __future__ import annotations

from sqlalchemy import func, select

from mall.roles import Role
from orders.models import BudgetLine, BudgetUnit
from tests import factories
from tests.conftest import bearer, login


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def test_admin_creates_unit_and_line(client, db):
    headers = bearer(db, factories.user(db, Role.ADMIN))
    res = client.post("/api/v1/units", headers=headers, json={
        "code": "330100999", "name": "杭州市统计局", "region_code": "330100",
        "level": "municipal", "purchase_limit": "500000.00"})
    assert res.status_code == 201, res.json
    unit_id = res.json["id"]
    assert res.json["purchase_limit"] == "500000.00"
    res = client.post(f"/api/v1/units/{unit_id}/budget-lines", headers=headers, json={
        "fiscal_year": 2026, "name": "2026年办公设备", "purpose": "office_equipment",
        "amount": "120000.50"})
    assert res.status_code == 201, res.json
    assert res.json["available"] == "120000.50"


def test_bad_unit_input_is_400_and_writes_nothing(client, db):
    headers = bearer(db, factories.user(db, Role.ADMIN))
    before = _count(db, BudgetUnit)
    res = client.post("/api/v1/units", headers=headers, json={
        "code": "", "name": "x", "region_code": "abc", "level": "galactic"})
    assert res.status_code == 400
    assert res.json["code"] == "validation_error"
    assert {"code", "region_code", "level"} <= set(res.json["errors"])
    assert _count(db, BudgetUnit) == before


def test_bad_line_input_is_400_and_writes_nothing(client, db):
    headers = bearer(db, factories.user(db, Role.ADMIN))
    unit = factories.unit(db)
    before = _count(db, BudgetLine)
    for body in ({"fiscal_year": 1800, "name": "x", "purpose": "office_supplies",
                  "amount": "10"},
                 {"fiscal_year": 2026, "name": "x", "purpose": "office_supplies",
                  "amount": "-10"},
                 {"fiscal_year": 2026, "name": "x", "purpose": "yachts", "amount": "10"},
                 {"fiscal_year": 2026, "name": "x", "purpose": "office_supplies",
                  "amount": "ten"}):
        res = client.post(f"/api/v1/units/{unit.id}/budget-lines", headers=headers, json=body)
        assert res.status_code == 400, body
        assert res.json["errors"], body
    assert _count(db, BudgetLine) == before


def test_line_for_missing_unit_is_404(client, db):
    headers = bearer(db, factories.user(db, Role.ADMIN))
    res = client.post("/api/v1/units/999999/budget-lines", headers=headers, json={
        "fiscal_year": 2026, "name": "x", "purpose": "office_supplies", "amount": "10"})
    assert res.status_code == 404
    assert res.json["code"] == "unit_not_found"


def test_buyer_cannot_see_another_units_lines(client, db):
    own, other = factories.unit(db), factories.unit(db)
    factories.line(db, other.id)
    headers = bearer(db, factories.user(db, Role.BUYER, budget_unit_id=own.id))
    assert client.get(f"/api/v1/units/{own.id}/budget-lines", headers=headers).status_code == 200
    res = client.get(f"/api/v1/units/{other.id}/budget-lines", headers=headers)
    assert res.status_code == 403
    assert res.json["code"] == "unit_forbidden"


def test_buyer_lists_only_own_unit(client, db):
    own = factories.unit(db)
    factories.unit(db)
    headers = bearer(db, factories.user(db, Role.BUYER, budget_unit_id=own.id))
    res = client.get("/api/v1/units", headers=headers)
    assert [u["id"] for u in res.json["items"]] == [own.id]


def test_supplier_cannot_read_units_or_lines(client, db):
    unit = factories.unit(db)
    headers = bearer(db, factories.user(db, Role.SUPPLIER))
    assert client.get("/api/v1/units", headers=headers).status_code == 403
    assert client.get(f"/api/v1/units/{unit.id}/budget-lines",
                      headers=headers).status_code == 403


def test_only_admin_creates_lines(client, db):
    unit = factories.unit(db)
    headers = bearer(db, factories.user(db, Role.BUYER, budget_unit_id=unit.id))
    before = _count(db, BudgetLine)
    res = client.post(f"/api/v1/units/{unit.id}/budget-lines", headers=headers, json={
        "fiscal_year": 2026, "name": "x", "purpose": "office_supplies", "amount": "10"})
    assert res.status_code == 403
    assert _count(db, BudgetLine) == before


def test_pagination_arguments_are_validated(client, db):
    headers = bearer(db, factories.user(db, Role.REGULATOR))
    res = client.get("/api/v1/units?per_page=1000", headers=headers)
    assert res.status_code == 400 and "per_page" in res.json["errors"]


def test_budget_page_refuses_other_units(client, db):
    own, other = factories.unit(db), factories.unit(db)
    buyer = factories.user(db, Role.BUYER, budget_unit_id=own.id)
    login(client, buyer.username, factories.PASSWORD)
    assert client.get(f"/units/{own.id}/budget").status_code == 200
    assert client.get(f"/units/{other.id}/budget").status_code == 403
    assert client.get("/budget").headers["Location"].endswith(f"/units/{own.id}/budget")
