"""API /api/v1/cart and /api/v1/orders: the buying path, bad input (400, nothing written),
idempotency, and that buyers and suppliers only reach their own orders (404 otherwise, as
for offers: no existence leak) and only take their own role's actions (403)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from catalog import offers as catalog_offers
from orders import flow
from orders.models import BudgetLine, Cart, CartLine, Order
from tests import factories
from tests.conftest import bearer

CHECKOUT = {"payment_method": "card", "delivery_address": "杭州市西湖区文三路 1 号",
            "contact_name": "王老师", "contact_phone": "13800000001"}


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def buyer_client(db):
    buyer, budget_line = factories.buyer_with_budget(db, "10000.00")
    return buyer, budget_line, bearer(db, buyer)


def test_cart_add_change_remove(client, db):
    buyer, _, headers = buyer_client(db)
    a = factories.offer(db, status="active", price=Decimal("25.00"))
    b = factories.offer(db, status="active", price=Decimal("10.00"))
    res = client.post("/api/v1/cart/lines", headers=headers, json={"offer_id": a.id,
                                                                   "quantity": 2})
    assert res.status_code == 201, res.json
    client.post("/api/v1/cart/lines", headers=headers, json={"offer_id": b.id})
    res = client.patch(f"/api/v1/cart/lines/{a.id}", headers=headers, json={"quantity": 4})
    assert res.status_code == 200
    assert res.json["total"] == "110.00"
    assert len(res.json["groups"]) == 2 and res.json["ready"]
    res = client.delete(f"/api/v1/cart/lines/{b.id}", headers=headers)
    assert res.json["total"] == "100.00"
    line = res.json["groups"][0]["lines"][0]
    assert (line["offer_id"], line["quantity"], line["price"], line["price_changed"]) == (
        a.id, 4, "25.00", False)


def test_bad_cart_input_is_400_and_writes_nothing(client, db):
    _, _, headers = buyer_client(db)
    offer = factories.offer(db, status="active")
    before = _count(db, CartLine)
    for body in ({"offer_id": offer.id, "quantity": 0}, {"offer_id": "x"}, {"quantity": 1},
                 {"offer_id": offer.id, "quantity": 1, "price": "0.01"}):
        res = client.post("/api/v1/cart/lines", headers=headers, json=body)
        assert res.status_code == 400, body
        assert res.json["code"] == "validation_error" and res.json["errors"], body
    assert _count(db, CartLine) == before


def test_offer_not_on_sale_cannot_go_in_the_cart(client, db):
    _, _, headers = buyer_client(db)
    draft = factories.offer(db, status="draft")
    res = client.post("/api/v1/cart/lines", headers=headers, json={"offer_id": draft.id})
    assert res.status_code == 404
    assert res.json["code"] == "offer_not_found"


def test_only_buyers_have_a_cart(client, db):
    offer = factories.offer(db, status="active")
    for role in ("supplier", "operator", "regulator"):
        headers = bearer(db, factories.user(db, role))
        assert client.get("/api/v1/cart", headers=headers).status_code == 403
        res = client.post("/api/v1/cart/lines", headers=headers, json={"offer_id": offer.id})
        assert res.status_code == 403 and res.json["code"] == "role_forbidden"
    assert client.get("/api/v1/cart").status_code == 401


def test_checkout_with_idempotency_key_places_once(client, db):
    _, budget_line, headers = buyer_client(db)
    offer = factories.offer(db, status="active", price=Decimal("25.00"))
    client.post("/api/v1/cart/lines", headers=headers, json={"offer_id": offer.id, "quantity": 2})
    body = CHECKOUT | {"budget_line_id": budget_line.id}
    keyed = headers | {"Idempotency-Key": "api-checkout-0001"}
    res = client.post("/api/v1/orders", headers=keyed, json=body)
    assert res.status_code == 201, res.json
    assert res.json["created"] is True
    order = res.json["orders"][0]
    assert (order["status"], order["total"], order["payment_method"]) == (
        "placed", "50.00", "card")
    assert order["number"].startswith("DD")
    assert order["actions"] == ["cancel"]
    again = client.post("/api/v1/orders", headers=keyed, json=body)
    assert again.status_code == 200
    assert again.json["created"] is False
    assert [o["id"] for o in again.json["orders"]] == [order["id"]]
    db.expire_all()
    assert db.get(BudgetLine, budget_line.id).frozen == Decimal("50.00")


def test_checkout_without_key_or_with_bad_body_is_400_and_writes_nothing(client, db):
    _, budget_line, headers = buyer_client(db)
    offer = factories.offer(db, status="active")
    client.post("/api/v1/cart/lines", headers=headers, json={"offer_id": offer.id})
    before = _count(db, Order)
    res = client.post("/api/v1/orders", headers=headers,
                      json=CHECKOUT | {"budget_line_id": budget_line.id})
    assert res.status_code == 400
    assert res.json["code"] == "idempotency_key_required"
    keyed = headers | {"Idempotency-Key": "api-checkout-0002"}
    res = client.post("/api/v1/orders", headers=keyed, json={
        "budget_line_id": "one", "payment_method": "cash", "delivery_address": "",
        "contact_phone": "abc"})
    assert res.status_code == 400
    assert {"budget_line_id", "payment_method", "delivery_address", "contact_name",
            "contact_phone"} <= set(res.json["errors"])
    assert _count(db, Order) == before
    db.expire_all()
    assert db.get(BudgetLine, budget_line.id).frozen == Decimal("0.00")


def test_checkout_refusal_answers_the_rule_code_and_writes_nothing(client, db):
    _, budget_line, headers = buyer_client(db)
    offer = factories.offer(db, status="active", stock=1)
    client.post("/api/v1/cart/lines", headers=headers, json={"offer_id": offer.id,
                                                             "quantity": 2})
    before = _count(db, Order)
    res = client.post("/api/v1/orders", headers=headers | {"Idempotency-Key": "api-stock-1"},
                      json=CHECKOUT | {"budget_line_id": budget_line.id})
    assert res.status_code == 409
    assert res.json["code"] == "stock_insufficient"
    assert "库存不足" in res.json["message"]
    assert _count(db, Order) == before


def test_another_units_budget_line_is_refused(client, db):
    _, _, headers = buyer_client(db)
    _, foreign = factories.buyer_with_budget(db)
    client.post("/api/v1/cart/lines", headers=headers,
                json={"offer_id": factories.offer(db, status="active").id})
    res = client.post("/api/v1/orders", headers=headers | {"Idempotency-Key": "api-foreign-1"},
                      json=CHECKOUT | {"budget_line_id": foreign.id})
    assert res.status_code == 403
    assert res.json["code"] == "budget_line_forbidden"


def test_changed_price_is_pointed_out_and_refused_until_acknowledged(client, db):
    _, budget_line, headers = buyer_client(db)
    offer = factories.offer(db, status="active", price=Decimal("25.00"))
    client.post("/api/v1/cart/lines", headers=headers, json={"offer_id": offer.id})
    seller = factories.user(db, "supplier", supplier_id=offer.supplier_id)
    catalog_offers.edit_offer(db, seller, offer.id, {"price": Decimal("20.00")})
    res = client.get("/api/v1/cart", headers=headers)
    line = res.json["groups"][0]["lines"][0]
    assert line["price_changed"] and line["seen_price"] == "25.00" and line["price"] == "20.00"
    assert [p["code"] for p in line["problems"]] == ["price_changed"]
    assert res.json["ready"] is False
    body = CHECKOUT | {"budget_line_id": budget_line.id}
    res = client.post("/api/v1/orders", headers=headers | {"Idempotency-Key": "api-price-1"},
                      json=body)
    assert res.status_code == 409 and res.json["code"] == "price_changed"
    res = client.post("/api/v1/cart/acknowledge-prices", headers=headers)
    assert res.json["ready"] is True
    res = client.post("/api/v1/orders", headers=headers | {"Idempotency-Key": "api-price-1"},
                      json=body)
    assert res.status_code == 201 and res.json["orders"][0]["total"] == "20.00"


def test_saved_carts(client, db):
    _, _, headers = buyer_client(db)
    offer = factories.offer(db, status="active")
    client.post("/api/v1/cart/lines", headers=headers, json={"offer_id": offer.id,
                                                             "quantity": 3})
    res = client.post("/api/v1/cart/saved", headers=headers, json={"name": "每月复印纸"})
    assert res.status_code == 201 and res.json["line_count"] == 1
    saved_id = res.json["id"]
    dup = client.post("/api/v1/cart/saved", headers=headers, json={"name": "每月复印纸"})
    assert dup.status_code == 409 and dup.json["code"] == "saved_cart_name_taken"
    assert client.post("/api/v1/cart/saved", headers=headers, json={"name": ""}
                       ).status_code == 400
    client.delete(f"/api/v1/cart/lines/{offer.id}", headers=headers)
    res = client.post(f"/api/v1/cart/saved/{saved_id}/restore", headers=headers)
    assert res.json["groups"][0]["lines"][0]["quantity"] == 3
    assert [c["name"] for c in client.get("/api/v1/cart/saved", headers=headers).json] == [
        "每月复印纸"]
    # another buyer cannot see, restore or delete it
    _, _, other = buyer_client(db)
    assert client.post(f"/api/v1/cart/saved/{saved_id}/restore", headers=other
                       ).status_code == 404
    assert client.delete(f"/api/v1/cart/saved/{saved_id}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/cart/saved/{saved_id}", headers=headers).status_code == 204
    assert db.scalar(select(Cart).where(Cart.id == saved_id)) is None


def test_order_lists_are_scoped(client, db):
    mine, buyer, seller = factories.order(db)
    theirs, _, _ = factories.order(db)
    colleague = factories.user(db, "buyer", budget_unit_id=buyer.budget_unit_id)

    def ids(user):
        res = client.get("/api/v1/orders?per_page=100", headers=bearer(db, user))
        assert res.status_code == 200
        return {o["id"] for o in res.json["items"]}

    assert mine.id in ids(buyer) and theirs.id not in ids(buyer)
    assert mine.id in ids(colleague)
    assert mine.id in ids(seller) and theirs.id not in ids(seller)
    regulator = factories.user(db, "regulator")
    assert {mine.id, theirs.id} <= ids(regulator)
    assert ids(factories.user(db, "agency")) == set()


def test_another_units_or_suppliers_order_is_404(client, db):
    order, _, _ = factories.order(db, status="delivered")
    stranger, _ = factories.buyer_with_budget(db)
    other_seller = factories.user(db, "supplier")
    for user in (stranger, other_seller):
        headers = bearer(db, user)
        res = client.get(f"/api/v1/orders/{order.id}", headers=headers)
        assert res.status_code == 404 and res.json["code"] == "order_not_found"
    res = client.post(f"/api/v1/orders/{order.id}/accept", headers=bearer(db, stranger),
                      json={"result": "pass", "inspector": "某人"})
    assert res.status_code == 404
    res = client.post(f"/api/v1/orders/{order.id}/confirm-return",
                      headers=bearer(db, other_seller))
    assert res.status_code == 404
    db.refresh(order)
    assert order.status == "delivered"


def test_supplier_confirms_ships_and_buyer_accepts(client, db):
    order, buyer, seller = factories.order(db, quantity=4)
    s, b = bearer(db, seller), bearer(db, buyer)
    res = client.post(f"/api/v1/orders/{order.id}/confirm", headers=s)
    assert res.status_code == 200 and res.json["status"] == "confirmed"
    assert client.post(f"/api/v1/orders/{order.id}/confirm", headers=s).status_code == 409
    res = client.post(f"/api/v1/orders/{order.id}/ship", headers=s,
                      json={"carrier": "顺丰速运", "tracking_no": "SF1234567890"})
    assert res.json["tracking_no"] == "SF1234567890"
    res = client.post(f"/api/v1/orders/{order.id}/deliver", headers=s)
    assert res.json["status"] == "delivered"
    assert set(res.json["actions"]) == set()  # the supplier waits for the acceptance
    res = client.get(f"/api/v1/orders/{order.id}", headers=b)
    assert set(res.json["actions"]) == {"accept", "fail_acceptance", "request_return"}
    res = client.post(f"/api/v1/orders/{order.id}/accept", headers=b, json={
        "result": "partial", "inspector": "李四", "notes": "一包受潮",
        "accepted_amount": "75.00"})
    assert res.status_code == 200, res.json
    assert (res.json["status"], res.json["accepted_amount"]) == ("accepted", "75.00")
    assert res.json["acceptance"]["inspector"] == "李四"
    assert res.json["due_date"] == (date.fromisoformat(res.json["acceptance"]["accepted_on"])
                                    + timedelta(days=30)).isoformat()
    assert [e["action"] for e in res.json["events"]] == [
        "order.place", "order.confirm", "order.ship", "order.deliver", "order.accept"]


def test_actions_of_the_other_role_are_403(client, db):
    order, buyer, seller = factories.order(db)
    res = client.post(f"/api/v1/orders/{order.id}/confirm", headers=bearer(db, buyer))
    assert res.status_code == 403 and res.json["code"] == "order_action_forbidden"
    res = client.post(f"/api/v1/orders/{order.id}/cancel", headers=bearer(db, seller),
                      json={"reason": "x"})
    assert res.status_code == 403
    db.refresh(order)
    assert order.status == "placed"


def test_bad_action_input_is_400_and_changes_nothing(client, db):
    order, buyer, seller = factories.order(db, status="delivered")
    b = bearer(db, buyer)
    for body in ({"result": "great", "inspector": "李四"}, {"result": "pass"},
                 {"result": "partial", "inspector": "李四", "accepted_amount": "-1"},
                 {"result": "partial", "inspector": "李四"},
                 {"result": "partial", "inspector": "李四", "accepted_amount": "999999.00"}):
        res = client.post(f"/api/v1/orders/{order.id}/accept", headers=b, json=body)
        assert res.status_code == 400, body
        assert res.json["errors"], body
    res = client.post(f"/api/v1/orders/{order.id}/request-return", headers=b, json={})
    assert res.status_code == 400 and "reason" in res.json["errors"]
    db.refresh(order)
    assert order.status == "delivered"
    assert order.acceptance is None


def test_cancel_through_the_api_releases_budget(client, db):
    order, buyer, _ = factories.order(db, quantity=2)
    res = client.post(f"/api/v1/orders/{order.id}/cancel", headers=bearer(db, buyer),
                      json={"reason": "预算调整"})
    assert res.status_code == 200 and res.json["status"] == "cancelled"
    db.expire_all()
    assert db.get(BudgetLine, order.budget_line_id).frozen == Decimal("0.00")


def test_overdue_endpoint_lists_only_own_overdue_orders(client, db):
    order, buyer, seller = factories.order(db, status="delivered")
    flow.accept(db, buyer, order.id, result="pass", inspector="李四",
                today=date.today() - timedelta(days=40))
    on_time, other_buyer, _ = factories.order(db, status="accepted")
    for user, expected in ((buyer, True), (seller, True), (other_buyer, False),
                           (factories.user(db, "regulator"), True)):
        res = client.get("/api/v1/orders/overdue?per_page=100", headers=bearer(db, user))
        ids = {o["id"] for o in res.json["items"]}
        assert (order.id in ids) is expected
        assert on_time.id not in ids


def test_split_flag_filter(client, db):
    buyer, budget_line = factories.buyer_with_budget(db, "100000.00",
                                                     purchase_limit=Decimal("100.00"))
    offer = factories.offer(db, status="active", price=Decimal("60.00"))
    first, _, _ = factories.order(db, buyer=buyer, budget_line=budget_line, offer_=offer,
                                  quantity=1)
    second, _, _ = factories.order(db, buyer=buyer, budget_line=budget_line, offer_=offer,
                                   quantity=1)
    assert not first.split_flag and second.split_flag
    regulator = bearer(db, factories.user(db, "regulator"))
    res = client.get("/api/v1/orders?split_flag=true&per_page=100", headers=regulator)
    ids = {o["id"] for o in res.json["items"]}
    assert second.id in ids and first.id not in ids


def test_bad_quantity_change_is_400_and_changes_nothing(client, db):
    buyer, _, headers = buyer_client(db)
    offer = factories.offer(db, status="active")
    client.post("/api/v1/cart/lines", headers=headers, json={"offer_id": offer.id,
                                                             "quantity": 2})
    for body in ({"quantity": 0}, {"quantity": "many"}, {}):
        res = client.patch(f"/api/v1/cart/lines/{offer.id}", headers=headers, json=body)
        assert res.status_code == 400, body
    res = client.get("/api/v1/cart", headers=headers)
    assert res.json["groups"][0]["lines"][0]["quantity"] == 2
    res = client.patch("/api/v1/cart/lines/999999", headers=headers, json={"quantity": 1})
    assert res.status_code == 404 and res.json["code"] == "cart_line_not_found"


def test_openapi_documents_the_order_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    for path in ("/api/v1/cart", "/api/v1/cart/lines", "/api/v1/orders",
                 "/api/v1/orders/overdue", "/api/v1/orders/{order_id}/accept",
                 "/api/v1/orders/{order_id}/request-return"):
        assert path in paths, path
    params = paths["/api/v1/orders"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in params)


def test_order_list_filters(client, db):
    order, buyer, seller = factories.order(db, status="confirmed")
    other, _, _ = factories.order(db)
    regulator = bearer(db, factories.user(db, "regulator"))

    def ids(query):
        res = client.get(f"/api/v1/orders?per_page=100&{query}", headers=regulator)
        assert res.status_code == 200, res.json
        return {o["id"] for o in res.json["items"]}

    assert ids(f"unit_id={order.unit_id}") == {order.id}
    assert ids(f"supplier_id={other.supplier_id}") == {other.id}
    assert order.id in ids("status=confirmed") and other.id not in ids("status=confirmed")
    res = client.get("/api/v1/orders?status=lost&unit_id=x", headers=regulator)
    assert res.status_code == 400 and {"status", "unit_id"} <= set(res.json["errors"])
    # a buyer's filter never widens the scope
    res = client.get(f"/api/v1/orders?unit_id={other.unit_id}", headers=bearer(db, buyer))
    assert res.json["items"] == []


def test_after_sale_return_of_a_paid_order_over_the_api(client, db):
    order, buyer, seller = factories.order(db, status="paid")
    res = client.post(f"/api/v1/orders/{order.id}/request-return", headers=bearer(db, buyer),
                      json={"reason": "屏幕出现坏点"})
    assert res.status_code == 200 and res.json["status"] == "return_requested"
    res = client.post(f"/api/v1/orders/{order.id}/confirm-return", headers=bearer(db, buyer),
                      json={})
    assert res.status_code == 403 and res.json["code"] == "order_action_forbidden"
    res = client.post(f"/api/v1/orders/{order.id}/confirm-return", headers=bearer(db, seller),
                      json={})
    assert res.status_code == 200 and res.json["status"] == "returned"


def test_overdue_list_keeps_the_other_filters(client, db):
    """`?overdue=true&supplier_id=…` gives the overdue orders of that supplier only."""
    late = []
    for _ in range(2):
        order, buyer, _seller = factories.order(db, status="delivered")
        flow.accept(db, buyer, order.id, result="pass", inspector="李四",
                    today=date.today() - timedelta(days=40))
        late.append(order)
    regulator = bearer(db, factories.user(db, "regulator"))
    res = client.get(f"/api/v1/orders?overdue=true&supplier_id={late[0].supplier_id}"
                     "&per_page=100", headers=regulator)
    assert res.status_code == 200
    ids = {o["id"] for o in res.json["items"]}
    assert late[0].id in ids and late[1].id not in ids
    res = client.get("/api/v1/orders?overdue=true&status=paid&per_page=100", headers=regulator)
    assert res.json["items"] == []
