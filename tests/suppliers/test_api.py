"""Supplier API and operator pages: who may list, read and decide what."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from mall.audit import AuditEvent
from mall.roles import Role
from suppliers import status
from suppliers.models import Supplier
from tests import factories
from tests.conftest import bearer, csrf_token, login

PRIVATE_KEYS = {"bank_account", "contact_phone", "bank_name", "contact_name", "contact_email"}


def status_url(supplier_id: int) -> str:
    return f"/api/v1/suppliers/{supplier_id}/status"


def audit_count(db, supplier_id: int) -> int:
    return db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "supplier", AuditEvent.entity_id == str(supplier_id)))


# --- POST /api/v1/suppliers/<id>/status ---------------------------------------------------


def test_operator_approves_through_the_api(client, db):
    operator = factories.user(db, Role.OPERATOR)
    s = factories.supplier(db, active=False)
    res = client.post(status_url(s.id), headers=bearer(db, operator),
                      json={"action": "approve", "note": "资料齐全"})
    assert res.status_code == 200
    assert res.json["status"] == "active"
    db.refresh(s)
    assert s.status == "active"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "supplier.approve",
                                               AuditEvent.entity_id == str(s.id)))
    assert event is not None and event.actor_id == operator.id


def test_operator_suspends_with_reason_and_until(client, db):
    operator = factories.user(db, Role.OPERATOR)
    s = factories.supplier(db)
    res = client.post(status_url(s.id), headers=bearer(db, operator),
                      json={"action": "suspend", "reason_code": "quality_failure",
                            "until": "2099-12-31"})
    assert res.status_code == 200
    assert res.json["status"] == "suspended"
    assert res.json["status_until"] == "2099-12-31"


@pytest.mark.parametrize("role", [Role.SUPPLIER, Role.BUYER, Role.AGENCY, Role.REGULATOR])
def test_other_roles_cannot_change_status(client, db, role):
    actor = factories.user(db, role)
    s = factories.supplier(db, active=False)
    audited = audit_count(db, s.id)
    res = client.post(status_url(s.id), headers=bearer(db, actor), json={"action": "approve"})
    assert res.status_code == 403
    assert res.json["code"] == "role_forbidden"
    db.refresh(s)
    assert s.status == "pending"
    assert audit_count(db, s.id) == audited


def test_supplier_cannot_approve_itself(client, db):
    s = factories.supplier(db, active=False)
    own = factories.user(db, Role.SUPPLIER, supplier_id=s.id)
    res = client.post(status_url(s.id), headers=bearer(db, own), json={"action": "approve"})
    assert res.status_code == 403 and res.json["code"] == "role_forbidden"
    db.refresh(s)
    assert s.status == "pending"


def test_status_change_without_token_is_401(client, db):
    s = factories.supplier(db, active=False)
    res = client.post(status_url(s.id), json={"action": "approve"})
    assert res.status_code == 401
    assert res.json["code"] == "auth_required"
    db.refresh(s)
    assert s.status == "pending"


def test_unknown_action_is_400(client, db):
    operator = factories.user(db, Role.OPERATOR)
    s = factories.supplier(db, active=False)
    res = client.post(status_url(s.id), headers=bearer(db, operator), json={"action": "nuke"})
    assert res.status_code == 400
    assert "action" in res.json["errors"]
    db.refresh(s)
    assert s.status == "pending"


def test_refused_transition_is_409(client, db):
    operator = factories.user(db, Role.OPERATOR)
    s = factories.supplier(db)  # already active
    audited = audit_count(db, s.id)
    res = client.post(status_url(s.id), headers=bearer(db, operator), json={"action": "approve"})
    assert res.status_code == 409
    assert res.json["code"] == "supplier_transition_refused"
    db.refresh(s)
    assert s.status == "active"
    assert audit_count(db, s.id) == audited


def test_status_change_of_unknown_supplier_is_404(client, db):
    operator = factories.user(db, Role.OPERATOR)
    res = client.post(status_url(99_999_999), headers=bearer(db, operator),
                      json={"action": "approve"})
    assert res.status_code == 404
    assert res.json["code"] == "supplier_not_found"


# --- GET /api/v1/suppliers ----------------------------------------------------------------


def listed(client, headers, query: str = "") -> dict:
    res = client.get(f"/api/v1/suppliers?per_page=100{query}", headers=headers)
    assert res.status_code == 200, res.json
    return res.json


def test_supplier_user_lists_only_itself(client, db):
    factories.supplier(db)
    factories.supplier(db, active=False)
    user = factories.user(db, Role.SUPPLIER)
    page = listed(client, bearer(db, user))
    assert page["total"] == 1
    assert [s["id"] for s in page["items"]] == [user.supplier_id]


def test_buyer_lists_only_active_suppliers(client, db):
    active = factories.supplier(db)
    pending = factories.supplier(db, active=False)
    suspended = factories.supplier(db)
    status.transition(db, None, suspended.id, "suspend", reason_code="contract_breach")
    db.flush()
    buyer = factories.user(db, Role.BUYER)
    page = listed(client, bearer(db, buyer))
    ids = {s["id"] for s in page["items"]}
    assert active.id in ids
    assert pending.id not in ids and suspended.id not in ids
    assert {s["status"] for s in page["items"]} == {"active"}
    # Asking for pending ones does not widen what a buyer sees.
    assert listed(client, bearer(db, buyer), "&status=pending")["items"] == []


def test_operator_lists_all_and_filters_by_status(client, db):
    active = factories.supplier(db)
    pending = factories.supplier(db, active=False)
    operator = factories.user(db, Role.OPERATOR)
    headers = bearer(db, operator)
    everything = {s["id"] for s in listed(client, headers)["items"]}
    assert {active.id, pending.id} <= everything
    page = listed(client, headers, "&status=pending")
    ids = {s["id"] for s in page["items"]}
    assert pending.id in ids and active.id not in ids
    assert {s["status"] for s in page["items"]} == {"pending"}


def test_list_items_carry_no_private_details(client, db):
    factories.supplier(db)
    operator = factories.user(db, Role.OPERATOR)
    items = listed(client, bearer(db, operator))["items"]
    assert items
    for item in items:
        assert not PRIVATE_KEYS & set(item)


def test_bad_status_query_is_400(client, db):
    operator = factories.user(db, Role.OPERATOR)
    res = client.get("/api/v1/suppliers?status=sleeping", headers=bearer(db, operator))
    assert res.status_code == 400
    assert "status" in res.json["errors"]


def test_list_without_token_is_401(client):
    res = client.get("/api/v1/suppliers")
    assert res.status_code == 401 and res.json["code"] == "auth_required"


# --- GET /api/v1/suppliers/<id> -----------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SUPPLIER, Role.BUYER])
def test_others_do_not_see_contact_and_bank_details(client, db, role):
    target = factories.supplier(db)
    viewer = factories.user(db, role)  # a supplier user of another supplier, or a buyer
    assert viewer.supplier_id != target.id
    res = client.get(f"/api/v1/suppliers/{target.id}", headers=bearer(db, viewer))
    assert res.status_code == 200
    assert res.json["id"] == target.id and res.json["name"] == target.name
    assert "bank_account" not in res.json and "contact_phone" not in res.json
    assert not PRIVATE_KEYS & set(res.json)


def test_others_can_read_a_suspension_with_a_due_date(client, db):
    # The public view of a supplier whose status_until is set must not fail.
    target = factories.supplier(db)
    status.transition(db, None, target.id, "suspend", reason_code="collusion",
                      until=date(2099, 1, 1))
    db.flush()
    buyer = factories.user(db, Role.BUYER)
    res = client.get(f"/api/v1/suppliers/{target.id}", headers=bearer(db, buyer))
    assert res.status_code == 200
    assert res.json["status"] == "suspended"
    assert res.json["status_until"] == "2099-01-01"
    assert "bank_account" not in res.json


def test_supplier_sees_its_own_details(client, db):
    user = factories.user(db, Role.SUPPLIER)
    own = db.get(Supplier, user.supplier_id)
    res = client.get(f"/api/v1/suppliers/{own.id}", headers=bearer(db, user))
    assert res.status_code == 200
    assert res.json["bank_account"] == own.bank_account
    assert res.json["contact_phone"] == own.contact_phone


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.ADMIN])
def test_reviewers_see_details(client, db, role):
    target = factories.supplier(db)
    viewer = factories.user(db, role)
    res = client.get(f"/api/v1/suppliers/{target.id}", headers=bearer(db, viewer))
    assert res.status_code == 200
    assert res.json["bank_account"] == target.bank_account
    assert res.json["contact_phone"] == target.contact_phone


def test_unknown_supplier_is_404_envelope(client, db):
    viewer = factories.user(db, Role.BUYER)
    res = client.get("/api/v1/suppliers/99999999", headers=bearer(db, viewer))
    assert res.status_code == 404
    assert res.json["code"] == "supplier_not_found"
    assert set(res.json) == {"code", "message", "errors"}


# --- operator pages -----------------------------------------------------------------------


def test_operator_opens_review_page_and_approves(client, db):
    operator = factories.user(db, Role.OPERATOR)
    s = factories.supplier(db, active=False)
    assert login(client, operator.username, factories.PASSWORD).status_code == 302
    page = client.get("/operator/suppliers")
    assert page.status_code == 200
    assert s.uscc in page.get_data(as_text=True)
    token = csrf_token(client, "/operator/suppliers")
    res = client.post(f"/operator/suppliers/{s.id}/status",
                      data={"csrf_token": token, "action": "approve"})
    assert res.status_code == 302
    db.refresh(s)
    assert s.status == "active"


def test_operator_page_status_change_without_csrf_is_refused(client, db):
    operator = factories.user(db, Role.OPERATOR)
    s = factories.supplier(db, active=False)
    login(client, operator.username, factories.PASSWORD)
    res = client.post(f"/operator/suppliers/{s.id}/status", data={"action": "approve"})
    assert res.status_code == 400
    db.refresh(s)
    assert s.status == "pending"


def test_buyer_gets_403_on_operator_pages(client, db):
    buyer = factories.user(db, Role.BUYER)
    s = factories.supplier(db, active=False)
    assert login(client, buyer.username, factories.PASSWORD).status_code == 302
    assert client.get("/operator/suppliers").status_code == 403
    token = csrf_token(client, "/")
    res = client.post(f"/operator/suppliers/{s.id}/status",
                      data={"csrf_token": token, "action": "approve"})
    assert res.status_code == 403
    db.refresh(s)
    assert s.status == "pending"
