"""Catalog pages: supplier listing forms, the operator's review queue, comparison, refusals."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from catalog import offers
from catalog.models import Offer
from mall.roles import Role
from tests import factories
from tests.conftest import csrf_token, login

FORM = {"category_code": "A05040101", "brand": "晨光", "model": "M-A4-80-PAGE",
        "title": "晨光 A4 复印纸 80g 500张/包", "price": "29.90", "market_price": "32.00",
        "stock": "50", "delivery_regions": "全国", "specs": "规格=A4\n克重=80g\n包装=500张/包"}


def _supplier_login(client, db):
    supplier = factories.supplier(db)
    user = factories.user(db, Role.SUPPLIER, supplier_id=supplier.id)
    login(client, user.username, factories.PASSWORD)
    return user


def test_supplier_creates_and_submits_an_offer_on_the_page(client, db):
    user = _supplier_login(client, db)
    token = csrf_token(client, "/supplier/offers/new")
    res = client.post("/supplier/offers/new", data=FORM | {"csrf_token": token, "submit": "1"})
    assert res.status_code == 302
    offer = db.scalar(select(Offer).where(Offer.supplier_id == user.supplier_id))
    assert offer.status == "pending" and offer.product.specs["克重"] == "80g"
    page = client.get("/supplier/offers").get_data(as_text=True)
    assert "晨光 A4 复印纸" in page and "待审核" in page


def test_bad_offer_form_is_400_with_messages_and_writes_nothing(client, db):
    _supplier_login(client, db)
    before = db.scalar(select(func.count()).select_from(Offer))
    token = csrf_token(client, "/supplier/offers/new")
    res = client.post("/supplier/offers/new", data=FORM | {
        "csrf_token": token, "price": "abc", "specs": "no equals sign"})
    assert res.status_code == 400
    assert "规格参数每行应为" in res.get_data(as_text=True)
    res = client.post("/supplier/offers/new", data=FORM | {"csrf_token": token, "price": "-1"})
    assert res.status_code == 400 and "金额应不小于" in res.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Offer)) == before


def test_supplier_cannot_edit_or_act_on_another_suppliers_offer(client, db):
    s = factories.supplier(db)
    other = offers.create_offer(db, None, supplier_id=s.id, data={
        "category_code": "A05040101", "brand": "得力", "model": "X-1", "title": "得力 复印纸",
        "price": Decimal("20.00"), "stock": 7})
    _supplier_login(client, db)
    assert client.get(f"/supplier/offers/{other.id}/edit").status_code == 403
    token = csrf_token(client, "/supplier/offers")
    res = client.post(f"/supplier/offers/{other.id}/action",
                      data={"csrf_token": token, "action": "restock", "stock": "0"})
    assert res.status_code == 403
    db.refresh(other)
    assert other.stock == 7


def test_operator_review_page_approves_and_rejects(client, db):
    s = factories.supplier(db)
    seller = factories.user(db, Role.SUPPLIER, supplier_id=s.id)
    data = {"category_code": "A05040101", "brand": "齐心", "title": "齐心 A4 复印纸 70g",
            "price": Decimal("22.00"), "specs": {"规格": "A4", "克重": "70g", "包装": "500张"}}
    a = offers.create_offer(db, seller, supplier_id=s.id, data=data | {"model": "QX-1"},
                            submit=True)
    b = offers.create_offer(db, seller, supplier_id=s.id,
                            data=data | {"model": "QX-2", "title": "齐心 A3 复印纸 80g 全网最低"},
                            submit=True)
    operator = factories.user(db, Role.OPERATOR)
    login(client, operator.username, factories.PASSWORD)
    page = client.get("/operator/review?page=1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    token = csrf_token(client, "/operator/review")
    assert client.post(f"/operator/review/{a.id}", data={
        "csrf_token": token, "decision": "approve"}).status_code == 302
    assert client.post(f"/operator/review/{b.id}", data={
        "csrf_token": token, "decision": "reject", "reason_code": "sensitive_content",
        "note": "含“全网最低”"}).status_code == 302
    db.refresh(a)
    db.refresh(b)
    assert (a.status, b.status, b.status_reason_code) == ("active", "rejected",
                                                          "sensitive_content")
    assert 'data-finding="sensitive_word"' in html


def test_reject_without_valid_reason_is_refused_on_the_page(client, db):
    s = factories.supplier(db)
    seller = factories.user(db, Role.SUPPLIER, supplier_id=s.id)
    o = offers.create_offer(db, seller, supplier_id=s.id, data={
        "category_code": "A05040101", "brand": "得力", "model": "R-1", "title": "得力 复印纸 A4",
        "price": Decimal("20.00")}, submit=True)
    login(client, factories.user(db, Role.OPERATOR).username, factories.PASSWORD)
    token = csrf_token(client, "/operator/review")
    res = client.post(f"/operator/review/{o.id}", data={
        "csrf_token": token, "decision": "reject", "reason_code": "made-up"})
    assert res.status_code == 400
    db.refresh(o)
    assert o.status == "pending"


def test_buyer_is_refused_supplier_and_operator_pages(client, db):
    buyer = factories.user(db, Role.BUYER)
    login(client, buyer.username, factories.PASSWORD)
    for path in ("/supplier/offers", "/supplier/offers/new", "/supplier/offers/upload",
                 "/operator/review", "/operator/prices"):
        assert client.get(path).status_code == 403, path


def test_comparison_page_lists_active_offers_side_by_side(client, db):
    operator = factories.user(db, Role.OPERATOR)
    made = []
    for price in ("4999.00", "5199.00"):
        s = factories.supplier(db, region="522727" if not made else "330106")
        seller = factories.user(db, Role.SUPPLIER, supplier_id=s.id)
        o = offers.create_offer(db, seller, supplier_id=s.id, data={
            "category_code": "A02010105", "brand": "联想", "model": "ThinkCentre M90t",
            "title": "联想 ThinkCentre M90t 台式计算机", "price": Decimal(price)}, submit=True)
        offers.transition(db, operator, o.id, "approve")
        made.append(o)
    buyer = factories.user(db, Role.BUYER)
    login(client, buyer.username, factories.PASSWORD)
    html = client.get(f"/products/{made[0].product_id}").get_data(as_text=True)
    assert html.index("¥4,999.00") < html.index("¥5,199.00")
    assert "832" in html and "节能产品强制采购品目" in html
    detail = client.get(f"/offers/{made[0].id}").get_data(as_text=True)
    assert "强制采购品目" in detail  # no certificate: not buyable
