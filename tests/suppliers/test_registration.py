"""Supplier self-registration: USCC and region checks, 832 flag, API and page form."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mall.accounts import User
from mall.audit import AuditEvent
from mall.roles import Role
from suppliers.models import Supplier
from tests import factories
from tests.conftest import csrf_token

API = "/api/v1/suppliers/register"


def body(**kw) -> dict:
    i = factories.n()
    data = {"uscc": factories.valid_uscc("330106"), "name": f"注册测试{i}有限公司",
            "region_code": "330106", "size": "small", "contact_name": "李经理",
            "contact_phone": "0571-88880000", "contact_email": "sales@example.cn",
            "bank_name": "中国建设银行", "bank_account": "3305000000000001",
            "username": f"reg{i}", "password": "Str0ng-pass"}
    return data | kw


def counts(db) -> tuple[int, int, int]:
    return (db.scalar(select(func.count()).select_from(Supplier)),
            db.scalar(select(func.count()).select_from(User)),
            db.scalar(select(func.count()).select_from(AuditEvent)))


def wrong_check_digit(valid: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    wrong = alphabet[(alphabet.index(valid[-1]) + 1) % len(alphabet)]
    return valid[:-1] + wrong


# --- API ----------------------------------------------------------------------------------


def test_valid_registration_creates_pending_supplier_and_a_user_that_can_log_in(client, db):
    data = body()
    res = client.post(API, json=data)
    assert res.status_code == 201
    assert res.json["status"] == "pending"
    assert res.json["uscc"] == data["uscc"]
    assert res.json["bank_account"] == data["bank_account"]
    supplier = db.get(Supplier, res.json["id"])
    assert supplier is not None and supplier.status == "pending"
    user = db.scalar(select(User).where(User.username == data["username"]))
    assert user is not None
    assert user.role == Role.SUPPLIER and user.supplier_id == supplier.id
    assert data["password"] not in user.password_hash
    token = client.post("/api/v1/auth/tokens", json={"username": data["username"],
                                                     "password": data["password"]})
    assert token.status_code == 201
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json['token']}"})
    assert me.status_code == 200 and me.json["username"] == data["username"]


def test_uscc_with_wrong_check_digit_is_400_and_writes_nothing(client, db):
    before = counts(db)
    res = client.post(API, json=body(uscc=wrong_check_digit(factories.valid_uscc())))
    assert res.status_code == 400
    assert res.json["code"] == "uscc_checksum"
    assert "uscc" in res.json["errors"]
    assert counts(db) == before


@pytest.mark.parametrize("bad", [
    "91330106MA2ABCDE",  # 16 characters
    "91330106MA2ABCDE123",  # 19 characters
    "",
])
def test_uscc_of_wrong_length_is_400_uscc_invalid(client, db, bad):
    before = counts(db)
    res = client.post(API, json=body(uscc=bad))
    assert res.status_code == 400
    assert res.json["code"] == "uscc_invalid"
    assert "uscc" in res.json["errors"]
    assert counts(db) == before


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_uscc_with_forbidden_letter_is_400_uscc_invalid(client, db, letter):
    # A forbidden letter in the organisation code part; the check digit cannot even be
    # computed over it, so the refusal is about the format, not the checksum.
    uscc = f"91330106MA{letter}000001" + "0"
    assert len(uscc) == 18
    before = counts(db)
    res = client.post(API, json=body(uscc=uscc))
    assert res.status_code == 400
    assert res.json["code"] == "uscc_invalid"
    assert "uscc" in res.json["errors"]
    assert counts(db) == before


@pytest.mark.parametrize("region", ["33010", "3301066", "930106", "03010A", "abcdef"])
def test_bad_region_code_is_400_naming_region_code(client, db, region):
    before = counts(db)
    res = client.post(API, json=body(region_code=region))
    assert res.status_code == 400
    assert "region_code" in res.json["errors"]
    assert counts(db) == before


def test_duplicate_uscc_is_409(client, db):
    existing = factories.supplier(db)
    before = counts(db)
    res = client.post(API, json=body(uscc=existing.uscc))
    assert res.status_code == 409
    assert res.json["code"] == "supplier_exists"
    assert "uscc" in res.json["errors"]
    assert counts(db) == before


def test_missing_fields_are_400_and_listed(client, db):
    before = counts(db)
    res = client.post(API, json={"name": "只有名称有限公司"})
    assert res.status_code == 400
    assert set(res.json["errors"]) == {"uscc", "region_code", "size", "contact_name",
                                       "contact_phone", "bank_name", "bank_account",
                                       "username", "password"}
    assert counts(db) == before


def test_supplier_in_an_832_county_is_flagged(client, db):
    res = client.post(API, json=body(uscc=factories.valid_uscc("522727"),
                                     region_code="522727"))  # 贵州省平塘县
    assert res.status_code == 201
    assert res.json["is_832"] is True
    assert db.get(Supplier, res.json["id"]).is_832 is True


def test_supplier_outside_832_counties_is_not_flagged(client, db):
    res = client.post(API, json=body(region_code="330106"))  # 杭州市西湖区
    assert res.status_code == 201
    assert res.json["is_832"] is False
    assert db.get(Supplier, res.json["id"]).is_832 is False


def test_client_cannot_claim_832_status(client, db):
    before = counts(db)
    res = client.post(API, json=body(region_code="330106", is_832=True))
    assert res.status_code == 400
    assert "is_832" in res.json["errors"]
    assert counts(db) == before


# --- page form ----------------------------------------------------------------------------


def form(token: str, **kw) -> dict:
    return body(**kw) | {"csrf_token": token}


def test_register_page_shows_the_form(client):
    res = client.get("/suppliers/register")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    assert "供应商注册" in html
    assert 'name="uscc"' in html and 'name="csrf_token"' in html


def test_register_page_bad_uscc_is_400_with_chinese_message_and_writes_nothing(client, db):
    token = csrf_token(client, "/suppliers/register")
    before = counts(db)
    res = client.post("/suppliers/register",
                      data=form(token, uscc=wrong_check_digit(factories.valid_uscc())))
    assert res.status_code == 400
    assert "统一社会信用代码校验位错误" in res.get_data(as_text=True)
    assert counts(db) == before


def test_register_page_good_post_redirects_and_creates_pending_supplier(client, db):
    token = csrf_token(client, "/suppliers/register")
    data = form(token)
    res = client.post("/suppliers/register", data=data)
    assert res.status_code == 302
    supplier = db.scalar(select(Supplier).where(Supplier.uscc == data["uscc"]))
    assert supplier is not None and supplier.status == "pending"
    assert db.scalar(select(User).where(User.username == data["username"])) is not None


def test_taken_username_is_409_and_leaves_no_orphan_supplier(client, db):
    taken = factories.user(db, Role.OPERATOR).username
    before = counts(db)
    data = body(username=taken)
    res = client.post(API, json=data)
    assert res.status_code == 409
    assert res.json["code"] == "username_taken"
    assert db.scalar(select(Supplier).where(Supplier.uscc == data["uscc"])) is None
    assert counts(db) == before
