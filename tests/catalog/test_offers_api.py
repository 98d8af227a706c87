"""The offers and review API: the listing life cycle over HTTP, bad input, and refusals."""

from __future__ import annotations

from sqlalchemy import func, select

from catalog.models import Offer, OfferVersion
from mall.roles import Role
from tests import factories
from tests.conftest import bearer

NEW = {"category_code": "A05040101", "brand": "得力", "model": "DL-A4-70-API",
       "title": "得力 A4 复印纸 70g 500张/包", "price": "24.50", "market_price": "27.00",
       "market_price_source": "京东政企 2026-10", "stock": 200, "delivery_regions": "33,52",
       "specs": {"规格": "A4", "克重": "70g", "包装": "500张/包"}}


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def _seller(db):
    supplier = factories.supplier(db)
    user = factories.user(db, Role.SUPPLIER, supplier_id=supplier.id)
    return user, bearer(db, user)


def test_listing_life_cycle_over_the_api(client, db):
    _, seller = _seller(db)
    operator = bearer(db, factories.user(db, Role.OPERATOR))
    res = client.post("/api/v1/offers", headers=seller, json=NEW | {"submit": True})
    assert res.status_code == 201, res.json
    offer_id = res.json["id"]
    assert res.json["status"] == "pending"
    assert res.json["delivery_regions"] == ["33", "52"]
    queue = client.get("/api/v1/review/queue", headers=operator).json
    item = next(i for i in queue if i["offer"]["id"] == offer_id)
    assert item["kind"] == "new"
    res = client.post(f"/api/v1/offers/{offer_id}/transitions", headers=operator,
                      json={"action": "approve"})
    assert res.status_code == 200 and res.json["status"] == "active"
    # A price rise waits for review while the old price stays on sale.
    res = client.patch(f"/api/v1/offers/{offer_id}", headers=seller, json={"price": "26.00"})
    assert res.status_code == 200 and res.json["price"] == "24.50"
    versions = client.get(f"/api/v1/offers/{offer_id}/versions", headers=seller).json
    assert [v["state"] for v in versions] == ["applied", "pending"]
    res = client.post(f"/api/v1/offers/{offer_id}/transitions", headers=operator,
                      json={"action": "approve"})
    assert res.json["price"] == "26.00"
    res = client.post(f"/api/v1/offers/{offer_id}/transitions", headers=seller,
                      json={"action": "delist"})
    assert res.json["status"] == "delisted"


def test_bad_offer_input_is_400_and_writes_nothing(client, db):
    _, seller = _seller(db)
    before = (_count(db, Offer), _count(db, OfferVersion))
    bad = NEW | {"price": "-3", "stock": "many", "title": "", "certificates": [{"kind": "x"}]}
    res = client.post("/api/v1/offers", headers=seller, json=bad)
    assert res.status_code == 400
    assert {"price", "stock", "title", "certificates"} <= set(res.json["errors"])
    res = client.post("/api/v1/offers", headers=seller, json=NEW | {"category_code": "A99"})
    assert res.status_code == 400 and "category_code" in res.json["errors"]
    res = client.post("/api/v1/offers", headers=seller, json=NEW | {"delivery_regions": "3"})
    assert res.status_code == 400 and "delivery_regions" in res.json["errors"]
    assert (_count(db, Offer), _count(db, OfferVersion)) == before


def test_empty_edit_is_refused(client, db):
    _, seller = _seller(db)
    offer_id = client.post("/api/v1/offers", headers=seller, json=NEW).json["id"]
    res = client.patch(f"/api/v1/offers/{offer_id}", headers=seller, json={})
    assert res.status_code == 400


def test_supplier_cannot_touch_another_suppliers_offer(client, db):
    _, owner = _seller(db)
    _, other = _seller(db)
    offer_id = client.post("/api/v1/offers", headers=owner, json=NEW).json["id"]
    # A draft of someone else is invisible …
    assert client.get(f"/api/v1/offers/{offer_id}", headers=other).status_code == 404
    # … and every write is refused.
    assert client.patch(f"/api/v1/offers/{offer_id}", headers=other,
                        json={"price": "1.00"}).status_code == 403
    assert client.post(f"/api/v1/offers/{offer_id}/transitions", headers=other,
                       json={"action": "submit"}).status_code == 403
    assert client.post(f"/api/v1/offers/{offer_id}/stock", headers=other,
                       json={"stock": 0}).status_code == 403
    assert client.post("/api/v1/offers/bulk-price", headers=other, json={
        "offer_ids": [offer_id], "mode": "set", "value": "1.00"}).status_code == 403
    assert client.get(f"/api/v1/offers/{offer_id}/versions", headers=other).status_code == 403
    listed = client.get("/api/v1/offers", headers=other).json["items"]
    assert offer_id not in [o["id"] for o in listed]
    assert db.get(Offer, offer_id).price == factories_price(NEW)


def factories_price(body):
    from decimal import Decimal

    return Decimal(body["price"])


def test_supplier_cannot_approve_its_own_offer(client, db):
    _, seller = _seller(db)
    offer_id = client.post("/api/v1/offers", headers=seller,
                           json=NEW | {"submit": True}).json["id"]
    res = client.post(f"/api/v1/offers/{offer_id}/transitions", headers=seller,
                      json={"action": "approve"})
    assert res.status_code == 403
    assert client.get("/api/v1/review/queue", headers=seller).status_code == 403


def test_buyer_cannot_create_offers_and_sees_only_active(client, db):
    _, seller = _seller(db)
    offer_id = client.post("/api/v1/offers", headers=seller, json=NEW).json["id"]
    buyer = bearer(db, factories.user(db, Role.BUYER))
    assert client.post("/api/v1/offers", headers=buyer, json=NEW).status_code == 403
    assert client.get(f"/api/v1/offers/{offer_id}", headers=buyer).status_code == 404


def test_operator_rejects_with_a_coded_reason_only(client, db):
    _, seller = _seller(db)
    operator = bearer(db, factories.user(db, Role.OPERATOR))
    offer_id = client.post("/api/v1/offers", headers=seller,
                           json=NEW | {"submit": True}).json["id"]
    res = client.post(f"/api/v1/offers/{offer_id}/transitions", headers=operator,
                      json={"action": "reject", "reason_code": "because"})
    assert res.status_code == 400 and res.json["code"] == "reason_required"
    res = client.post(f"/api/v1/offers/{offer_id}/transitions", headers=operator,
                      json={"action": "reject", "reason_code": "missing_specs",
                            "note": "缺少克重"})
    assert res.status_code == 200 and res.json["status_reason_code"] == "missing_specs"


def test_bulk_approve_skips_offers_with_findings(client, db):
    _, seller = _seller(db)
    operator = bearer(db, factories.user(db, Role.OPERATOR))
    clean = client.post("/api/v1/offers", headers=seller,
                        json=NEW | {"submit": True}).json["id"]
    dirty = client.post("/api/v1/offers", headers=seller, json=NEW | {
        "submit": True, "model": "DL-OTHER", "title": "得力 复印纸 全网最低 80g"}).json["id"]
    res = client.post("/api/v1/review/bulk-approve", headers=operator,
                      json={"offer_ids": [clean, dirty]})
    assert res.status_code == 200
    assert res.json["approved"] == [clean]
    assert "sensitive_word" in res.json["skipped"][str(dirty)]
