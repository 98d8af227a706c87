"""Pages: cart (from the offer page), checkout, buyer and supplier order pages, acceptance
form, overdue list; bad form input (4xx, nothing written) and access refusals."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from orders import cart, flow
from orders.models import Order
from tests import factories
from tests.conftest import csrf_token, login


def _login(client, user):
    res = login(client, user.username, factories.PASSWORD)
    assert res.status_code == 302, res.get_data(as_text=True)


def _orders(db):
    return db.scalar(select(func.count()).select_from(Order))


def test_buyer_adds_to_cart_from_the_offer_page_and_checks_out(client, db):
    buyer, budget_line = factories.buyer_with_budget(db, "10000.00")
    offer = factories.offer(db, status="active", price=Decimal("25.00"))
    _login(client, buyer)
    html = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert "加入购物车" in html
    token = csrf_token(client, f"/offers/{offer.id}")
    res = client.post("/cart/add", data={"csrf_token": token, "offer_id": offer.id,
                                         "quantity": "3", "next": f"/offers/{offer.id}"})
    assert res.status_code == 302 and res.headers["Location"].endswith(f"/offers/{offer.id}")
    html = client.get("/cart").get_data(as_text=True)
    assert offer.title in html and "¥75.00" in html
    html = client.get("/checkout").get_data(as_text=True)
    assert "按供应商拆分为 1 个订单" in html and budget_line.name in html
    key = html.split('name="idempotency_key" value="')[1].split('"')[0]
    form = {"csrf_token": csrf_token(client, "/checkout"), "idempotency_key": key,
            "budget_line_id": budget_line.id, "payment_method": "treasury",
            "delivery_address": "杭州市西湖区文三路 1 号", "contact_name": "王老师",
            "contact_phone": "13800000001"}
    res = client.post("/checkout", data=form)
    assert res.status_code == 302, res.get_data(as_text=True)
    order = db.scalar(select(Order).where(Order.buyer_id == buyer.id))
    assert (order.total, order.payment_method) == (Decimal("75.00"), "treasury")
    # the same form submitted again (double click, back button) places nothing new
    before = _orders(db)
    res = client.post("/checkout", data=form)
    assert res.status_code == 302
    assert _orders(db) == before
    html = client.get("/orders").get_data(as_text=True)
    assert order.number in html


def test_checkout_form_with_bad_input_is_400_and_writes_nothing(client, db):
    buyer, _ = factories.buyer_with_budget(db)
    cart.add(db, buyer, factories.offer(db, status="active").id, 1)
    _login(client, buyer)
    before = _orders(db)
    res = client.post("/checkout", data={"csrf_token": csrf_token(client, "/checkout"),
                                         "idempotency_key": "page-key-0001",
                                         "budget_line_id": "x", "payment_method": "cash"})
    assert res.status_code == 400
    html = res.get_data(as_text=True)
    assert "应为整数" in html and "此项为必填项" in html
    assert _orders(db) == before


def test_checkout_without_csrf_token_is_refused(client, db):
    buyer, budget_line = factories.buyer_with_budget(db)
    cart.add(db, buyer, factories.offer(db, status="active").id, 1)
    _login(client, buyer)
    res = client.post("/checkout", data={"idempotency_key": "page-key-0002",
                                         "budget_line_id": budget_line.id,
                                         "payment_method": "card", "delivery_address": "x",
                                         "contact_name": "x", "contact_phone": "13800000000"})
    assert res.status_code == 400
    assert db.scalar(select(Order).where(Order.buyer_id == buyer.id)) is None


def test_cart_pages_are_for_buyers_only(client, db):
    _login(client, factories.user(db, "supplier"))
    assert client.get("/cart").status_code == 403
    assert client.get("/checkout").status_code == 403
    offer = factories.offer(db, status="active")
    assert "加入购物车" not in client.get(f"/offers/{offer.id}").get_data(as_text=True)


def test_changed_price_is_shown_in_the_cart(client, db):
    from catalog import offers as catalog_offers

    buyer, _ = factories.buyer_with_budget(db)
    offer = factories.offer(db, status="active", price=Decimal("25.00"))
    cart.add(db, buyer, offer.id, 1)
    seller = factories.user(db, "supplier", supplier_id=offer.supplier_id)
    catalog_offers.edit_offer(db, seller, offer.id, {"price": Decimal("21.50")})
    _login(client, buyer)
    html = client.get("/cart").get_data(as_text=True)
    assert "价格已变动" in html and "¥25.00" in html and "¥21.50" in html
    res = client.post("/cart/acknowledge", data={"csrf_token": csrf_token(client, "/cart")})
    assert res.status_code == 302
    assert "价格已变动" not in client.get("/cart").get_data(as_text=True)


def test_saved_cart_pages(client, db):
    buyer, _ = factories.buyer_with_budget(db)
    offer = factories.offer(db, status="active")
    cart.add(db, buyer, offer.id, 2)
    _login(client, buyer)
    token = csrf_token(client, "/cart")
    assert client.post("/cart/save", data={"csrf_token": token, "name": "月度耗材"}
                       ).status_code == 302
    assert "月度耗材" in client.get("/cart").get_data(as_text=True)
    res = client.post("/cart/save", data={"csrf_token": token, "name": ""})
    assert res.status_code == 302  # refused with a flashed message, nothing saved
    assert len(cart.saved_carts(db, buyer)) == 1


def test_supplier_confirms_and_ships_on_the_order_page(client, db):
    order, _, seller = factories.order(db)
    _login(client, seller)
    assert order.number in client.get("/orders").get_data(as_text=True)
    path = f"/orders/{order.id}"
    res = client.post(f"{path}/confirm", data={"csrf_token": csrf_token(client, path)})
    assert res.status_code == 302
    db.refresh(order)
    assert order.status == "confirmed"
    res = client.post(f"{path}/ship", data={"csrf_token": csrf_token(client, path),
                                            "carrier": "顺丰速运", "tracking_no": "SF9"})
    assert res.status_code == 302
    db.refresh(order)
    assert (order.status, order.tracking_no) == ("shipped", "SF9")


def test_refusal_without_reason_is_400_and_changes_nothing(client, db):
    order, _, seller = factories.order(db)
    _login(client, seller)
    path = f"/orders/{order.id}"
    res = client.post(f"{path}/refuse", data={"csrf_token": csrf_token(client, path)})
    assert res.status_code == 400
    assert "此项为必填项" in res.get_data(as_text=True)
    db.refresh(order)
    assert order.status == "placed"


def test_acceptance_form(client, db):
    order, buyer, _ = factories.order(db, status="delivered", quantity=4)
    _login(client, buyer)
    path = f"/orders/{order.id}"
    assert "提交验收结果" in client.get(path).get_data(as_text=True)
    res = client.post(f"{path}/accept", data={"csrf_token": csrf_token(client, path),
                                              "result": "partial", "inspector": "李四"})
    assert res.status_code == 400
    assert "部分合格时请填写验收合格金额" in res.get_data(as_text=True)
    db.refresh(order)
    assert order.status == "delivered"
    res = client.post(f"{path}/accept", data={"csrf_token": csrf_token(client, path),
                                              "result": "partial", "inspector": "李四",
                                              "accepted_amount": "80.00", "notes": "少一包"})
    assert res.status_code == 302
    html = client.get(path).get_data(as_text=True)
    assert "部分合格" in html and "¥80.00" in html and "付款期限" in html


def test_others_cannot_reach_or_act_on_an_order_page(client, db):
    order, _, _ = factories.order(db)
    path = f"/orders/{order.id}"
    stranger, _ = factories.buyer_with_budget(db)
    _login(client, stranger)
    assert client.get(path).status_code == 404
    assert client.post(f"{path}/cancel", data={"csrf_token": csrf_token(client, "/orders"),
                                               "reason": "x"}).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/orders")})
    _login(client, factories.user(db, "supplier"))
    assert client.get(path).status_code == 404
    db.refresh(order)
    assert order.status == "placed"


def test_buyer_cannot_take_the_suppliers_action_on_the_page(client, db):
    order, buyer, _ = factories.order(db)
    _login(client, buyer)
    path = f"/orders/{order.id}"
    res = client.post(f"{path}/confirm", data={"csrf_token": csrf_token(client, path)})
    assert res.status_code == 403
    db.refresh(order)
    assert order.status == "placed"


def test_agency_has_no_order_pages(client, db):
    _login(client, factories.user(db, "agency"))
    assert client.get("/orders").status_code == 403


def test_overdue_page_for_the_regulator(client, db):
    order, buyer, _ = factories.order(db, status="delivered")
    flow.accept(db, buyer, order.id, result="pass", inspector="李四",
                today=date.today() - timedelta(days=45))
    _login(client, factories.user(db, "regulator"))
    html = client.get("/orders/overdue").get_data(as_text=True)
    assert order.number in html and "15 天" in html


def test_timeline_on_the_order_page(client, db):
    order, buyer, _ = factories.order(db, status="shipped")
    _login(client, buyer)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    for label in ("下单", "确认订单", "发货"):
        assert label in html


def test_cart_add_form_with_bad_input_adds_nothing(client, db):
    from orders.models import Cart

    buyer, _ = factories.buyer_with_budget(db)
    offer = factories.offer(db, status="active")
    draft = factories.offer(db, status="draft")
    _login(client, buyer)
    token = csrf_token(client, "/cart")
    res = client.post("/cart/add", data={"csrf_token": token, "offer_id": offer.id,
                                         "quantity": "abc"}, follow_redirects=True)
    assert "提交的数据有误" in res.get_data(as_text=True)
    res = client.post("/cart/add", data={"csrf_token": token, "offer_id": draft.id,
                                         "quantity": "1"}, follow_redirects=True)
    assert "不存在或已不在售" in res.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Cart).where(
        Cart.user_id == buyer.id)) == 0


def test_checkout_page_prefills_delivery_from_the_last_order_and_needs_a_budget_line(client, db):
    order, buyer, _ = factories.order(db)
    cart.add(db, buyer, order.lines[0].offer_id, 1)
    _login(client, buyer)
    html = client.get("/checkout").get_data(as_text=True)
    assert 'value="杭州市西湖区文三路 1 号"' in html
    assert "请选择本次采购使用的预算指标" in html
    before = _orders(db)
    res = client.post("/checkout", data={
        "csrf_token": csrf_token(client, "/checkout"), "idempotency_key": "page-key-0003",
        "payment_method": "card", "delivery_address": "杭州市西湖区文三路 1 号",
        "contact_name": "王老师", "contact_phone": "13800000001"})
    assert res.status_code == 400 and "此项为必填项" in res.get_data(as_text=True)
    assert _orders(db) == before


def test_regulator_sees_orders_flagged_as_possible_splitting(client, db):
    buyer, budget_line = factories.buyer_with_budget(db, "100000.00",
                                                     purchase_limit=Decimal("100.00"))
    offer = factories.offer(db, status="active", price=Decimal("60.00"))
    first, _, _ = factories.order(db, buyer=buyer, budget_line=budget_line, offer_=offer,
                                  quantity=1)
    second, _, _ = factories.order(db, buyer=buyer, budget_line=budget_line, offer_=offer,
                                   quantity=1)
    _login(client, factories.user(db, "regulator"))
    html = client.get("/orders?split=1").get_data(as_text=True)
    assert second.number in html and first.number not in html
    assert "疑似化整为零" in client.get(f"/orders/{second.id}").get_data(as_text=True)


def test_cart_line_forms_refuse_bad_quantities_and_change_nothing(client, db):
    buyer, _ = factories.buyer_with_budget(db)
    offer = factories.offer(db, status="active")
    cart.add(db, buyer, offer.id, 2)
    _login(client, buyer)
    token = csrf_token(client, "/cart")
    url = f"/cart/lines/{offer.id}/quantity"
    for bad in ("0", "many", ""):
        res = client.post(url, data={"csrf_token": token, "quantity": bad})
        assert res.status_code == 302, bad  # refused with a flashed message
        db.expire_all()
        assert cart.current_cart(db, buyer).lines[0].quantity == 2, bad
    assert client.post(url, data={"csrf_token": token, "quantity": "5"}).status_code == 302
    db.expire_all()
    assert cart.current_cart(db, buyer).lines[0].quantity == 5
    res = client.post("/cart/lines/999999/remove", data={"csrf_token": token})
    assert "购物车中没有该商品" in client.get(res.headers["Location"]).get_data(as_text=True)
    client.post(f"/cart/lines/{offer.id}/remove", data={"csrf_token": token})
    db.expire_all()
    assert cart.current_cart(db, buyer).lines == []


def test_another_buyers_saved_cart_cannot_be_restored_or_deleted_on_the_page(client, db):
    owner, _ = factories.buyer_with_budget(db)
    offer = factories.offer(db, status="active")
    cart.add(db, owner, offer.id, 3)
    saved = cart.save_as(db, owner, "月度耗材")
    db.flush()
    other, _ = factories.buyer_with_budget(db)
    _login(client, other)
    token = csrf_token(client, "/cart")
    for action in ("restore", "delete"):
        res = client.post(f"/cart/saved/{saved.id}/{action}", data={"csrf_token": token})
        assert "常用清单不存在" in client.get(res.headers["Location"]).get_data(as_text=True)
    db.expire_all()
    assert [c.id for c in cart.saved_carts(db, owner)] == [saved.id]
    assert cart.current_cart(db, other, create=False) is None
    supplier = factories.user(db, "supplier")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/cart")})
    _login(client, supplier)
    res = client.post(f"/cart/saved/{saved.id}/delete",
                      data={"csrf_token": csrf_token(client, "/")})
    assert res.status_code == 403
