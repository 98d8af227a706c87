"""Accounts: passwords, login throttling, CSRF, API tokens and admin-only user creation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mall import accounts
from mall.accounts import ApiToken, LoginFailed, LoginLocked, User
from mall.clock import utcnow
from mall.errors import ValidationFailed
from mall.roles import Role
from tests import factories
from tests.conftest import bearer, csrf_token, login


def test_passwords_are_hashed_with_argon2(db):
    user = factories.user(db, Role.OPERATOR)
    assert user.password_hash.startswith("$argon2")
    assert factories.PASSWORD not in user.password_hash


def test_short_password_is_refused(db):
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_user(db, None, username="x1", display_name="x", role="operator",
                             password="short")
    assert "password" in exc.value.errors


def test_buyer_without_unit_is_refused(db):
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_user(db, None, username="b1", display_name="b", role="buyer",
                             password="long-enough-1")
    assert "budget_unit_id" in exc.value.errors


def test_login_locks_after_repeated_failures(db):
    user = factories.user(db, Role.OPERATOR)
    now = utcnow()
    for _ in range(4):
        with pytest.raises(LoginFailed):
            accounts.authenticate(db, user.username, "wrong", max_failures=5, lock_minutes=15,
                                  now=now)
    with pytest.raises(LoginLocked):
        accounts.authenticate(db, user.username, "wrong", max_failures=5, lock_minutes=15,
                              now=now)
    # Even the right password is refused while locked …
    with pytest.raises(LoginLocked):
        accounts.authenticate(db, user.username, factories.PASSWORD, max_failures=5,
                              lock_minutes=15, now=now + timedelta(minutes=5))
    # … and accepted once the lock has passed.
    ok = accounts.authenticate(db, user.username, factories.PASSWORD, max_failures=5,
                               lock_minutes=15, now=now + timedelta(minutes=16))
    assert ok.id == user.id and ok.failed_logins == 0


def test_page_login_and_logout(client, db):
    user = factories.user(db, Role.REGULATOR)
    res = login(client, user.username, factories.PASSWORD)
    assert res.status_code == 302
    home = client.get("/")
    assert 'data-testid="home-regulator"' in home.get_data(as_text=True)
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_page_login_failure_counts_and_says_why(client, db):
    user = factories.user(db, Role.OPERATOR)
    res = login(client, user.username, "wrong-password")
    assert res.status_code == 401
    assert "用户名或密码错误" in res.get_data(as_text=True)
    db.refresh(user)
    assert user.failed_logins == 1  # kept although the request failed


def test_form_without_csrf_token_is_refused(client, db):
    user = factories.user(db, Role.OPERATOR)
    res = client.post("/login", data={"username": user.username,
                                      "password": factories.PASSWORD})
    assert res.status_code == 400
    assert "页面已过期" in res.get_data(as_text=True)


def test_api_token_exchange_and_use(client, db):
    user = factories.user(db, Role.AGENCY)
    res = client.post("/api/v1/auth/tokens", json={"username": user.username,
                                                   "password": factories.PASSWORD})
    assert res.status_code == 201
    plain = res.json["token"]
    stored = db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert plain not in stored.token_hash and len(stored.token_hash) == 64
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
    assert me.status_code == 200 and me.json["username"] == user.username


def test_api_token_wrong_password_is_401_and_issues_nothing(client, db):
    user = factories.user(db, Role.AGENCY)
    res = client.post("/api/v1/auth/tokens", json={"username": user.username,
                                                   "password": "nope-nope"})
    assert res.status_code == 401
    assert res.json["code"] == "login_failed"
    assert db.scalar(select(func.count()).select_from(ApiToken)
                     .where(ApiToken.user_id == user.id)) == 0


def test_api_token_missing_fields_is_400(client):
    res = client.post("/api/v1/auth/tokens", json={"username": ""})
    assert res.status_code == 400
    assert set(res.json["errors"]) == {"username", "password"}


def test_revoked_token_no_longer_works(client, db):
    user = factories.user(db, Role.AGENCY)
    headers = bearer(db, user)
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    assert client.delete(f"/api/v1/auth/tokens/{token_id}", headers=headers).status_code == 204
    res = client.get("/api/v1/me", headers=headers)
    assert res.status_code == 401 and res.json["code"] == "auth_required"


def test_api_without_token_is_401(client):
    res = client.get("/api/v1/me")
    assert res.status_code == 401
    assert res.json["code"] == "auth_required"


def test_admin_creates_users_through_the_api(client, db):
    admin = factories.user(db, Role.ADMIN)
    unit = factories.unit(db)
    res = client.post("/api/v1/users", headers=bearer(db, admin), json={
        "username": "new-buyer", "display_name": "新采购人", "role": "buyer",
        "password": "long-enough-1", "budget_unit_id": unit.id})
    assert res.status_code == 201
    assert res.json["budget_unit_id"] == unit.id


@pytest.mark.parametrize("role", [Role.SUPPLIER, Role.BUYER, Role.OPERATOR, Role.REGULATOR])
def test_non_admins_cannot_create_users(client, db, role):
    actor = factories.user(db, role)
    before = db.scalar(select(func.count()).select_from(User))
    res = client.post("/api/v1/users", headers=bearer(db, actor), json={
        "username": "sneaky", "display_name": "x", "role": "admin", "password": "long-enough-1"})
    assert res.status_code == 403
    assert res.json["code"] == "role_forbidden"
    assert db.scalar(select(func.count()).select_from(User)) == before


def test_user_creation_bad_input_writes_nothing(client, db):
    admin = factories.user(db, Role.ADMIN)
    before = db.scalar(select(func.count()).select_from(User))
    res = client.post("/api/v1/users", headers=bearer(db, admin), json={
        "username": "x", "display_name": "x", "role": "emperor", "password": "long-enough-1"})
    assert res.status_code == 400 and "role" in res.json["errors"]
    res = client.post("/api/v1/users", headers=bearer(db, admin), json={
        "username": "x2", "display_name": "x", "role": "buyer", "password": "long-enough-1",
        "budget_unit_id": 999999})
    assert res.status_code == 400 and "budget_unit_id" in res.json["errors"]
    assert db.scalar(select(func.count()).select_from(User)) == before


def test_supplier_user_cannot_open_admin_or_operator_pages(client, db):
    user = factories.user(db, Role.SUPPLIER)
    login(client, user.username, factories.PASSWORD)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/units").status_code == 403
    assert client.get("/operator/suppliers").status_code == 403


def test_admin_page_creates_a_unit_and_refuses_bad_input(client, db):
    admin = factories.user(db, Role.ADMIN)
    login(client, admin.username, factories.PASSWORD)
    token = csrf_token(client, "/admin/units")
    bad = client.post("/admin/units", data={"csrf_token": token, "code": "U1", "name": "单位",
                                            "region_code": "12", "level": "municipal"})
    assert bad.status_code == 400
    assert "行政区划代码应为 6 位数字" in bad.get_data(as_text=True)
    ok = client.post("/admin/units", data={"csrf_token": token, "code": "U1", "name": "新单位",
                                           "region_code": "330100", "level": "municipal"})
    assert ok.status_code == 302
