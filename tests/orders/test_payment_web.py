"""Payment, contract, treasury and webhook endpoints (API and pages)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from orders import payments
from orders.models import Contract, PaymentEntry, StripeEvent, TreasuryInstruction
from orders.stripe_gateway import signature_header
from tests import factories
from tests.conftest import bearer, csrf_token, login
from tests.orders.payment_helpers import down_executor, executor, intent, refunds, run, step
from tests.stripe_server import WEBHOOK_SECRET

WEBHOOK = "/api/v1/payments/stripe/webhook"


@pytest.fixture
def ex(app, db, localstripe):
    return executor(localstripe)


def delivered(db, ex, payment_method="card"):
    order, buyer, seller = factories.order(db, payment_method=payment_method)
    run(db, ex, step(db, "confirm", order, seller))
    step(db, "ship", order, seller)
    step(db, "deliver", order, seller)
    return order, buyer, seller


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


# --- payment status and retry -------------------------------------------------------------------

def test_payment_api_visible_to_the_parties_only(client, db, ex):
    order, buyer, seller = delivered(db, ex)
    r = client.get(f"/api/v1/orders/{order.id}/payment", headers=bearer(db, buyer))
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "authorised" and body["entries"][0]["kind"] == "authorise"
    assert body["entries"][0]["idempotency_key"] == f"order-{order.id}-authorise-1"
    assert client.get(f"/api/v1/orders/{order.id}/payment",
                      headers=bearer(db, seller)).status_code == 200
    other, _ = factories.buyer_with_budget(db)
    r = client.get(f"/api/v1/orders/{order.id}/payment", headers=bearer(db, other))
    assert r.status_code == 404 and r.get_json()["code"] == "order_not_found"
    r = client.get(f"/api/v1/orders/{order.id}/payment",
                   headers=bearer(db, factories.user(db, "supplier")))
    assert r.status_code == 404
    assert client.get(f"/api/v1/orders/{order.id}/payment").status_code == 401


def test_retry_api_completes_the_capture_after_commit_once(app, client, db, ex, localstripe):
    order, buyer, _seller = delivered(db, ex)
    ids = step(db, "accept", order, buyer)
    run(db, down_executor(), ids)
    assert payments.get_payment(db, order.id).last_error
    r = client.post(f"/api/v1/orders/{order.id}/payment/retry", headers=bearer(db, buyer))
    assert r.status_code == 202 and r.get_json()["entries"] == ids
    db.expire_all()
    payment = payments.get_payment(db, order.id)
    assert payment.status == "captured" and order.status == "paid"
    charge = intent(localstripe, payment.provider_ref)["latest_charge"]
    assert charge["captured"] is True and charge["amount_refunded"] == 0
    # nothing left to retry; a second retry changes nothing
    r = client.post(f"/api/v1/orders/{order.id}/payment/retry", headers=bearer(db, buyer))
    assert r.status_code == 409 and r.get_json()["code"] == "nothing_to_retry"


def test_retry_api_refused_for_suppliers_and_other_units(app, client, db, ex):
    order, _buyer, seller = delivered(db, ex)
    r = client.post(f"/api/v1/orders/{order.id}/payment/retry", headers=bearer(db, seller))
    assert r.status_code == 403
    other, _ = factories.buyer_with_budget(db)
    r = client.post(f"/api/v1/orders/{order.id}/payment/retry", headers=bearer(db, other))
    assert r.status_code == 404


def test_order_page_shows_failure_and_retry_button_completes(app, client, db, ex, localstripe):
    order, buyer, _seller = delivered(db, ex)
    run(db, down_executor(), step(db, "accept", order, buyer))
    login(client, buyer.username, factories.PASSWORD)
    html = client.get(f"/orders/{order.id}/payment").get_data(as_text=True)
    assert "支付失败，可重试" in html and "重试" in html
    token = csrf_token(client, f"/orders/{order.id}/payment")
    r = client.post(f"/orders/{order.id}/payment/retry", data={"csrf_token": token})
    assert r.status_code == 302
    db.expire_all()
    assert payments.get_payment(db, order.id).status == "captured"
    html = client.get(f"/orders/{order.id}/payment").get_data(as_text=True)
    assert "支付失败" not in html and "已支付" in html


def test_retry_page_refused_for_suppliers(client, db, ex):
    order, _buyer, seller = delivered(db, ex)
    login(client, seller.username, factories.PASSWORD)
    token = csrf_token(client, f"/orders/{order.id}/payment")
    assert client.post(f"/orders/{order.id}/payment/retry",
                       data={"csrf_token": token}).status_code == 403


# --- refunds ------------------------------------------------------------------------------------

def test_refund_api_validates_and_refunds_once(client, db, ex, localstripe):
    order, buyer, _seller = delivered(db, ex)
    run(db, ex, step(db, "accept", order, buyer))
    finance = factories.user(db, "finance")
    url = f"/api/v1/orders/{order.id}/payment/refunds"
    before = count(db, PaymentEntry)
    for bad in ({"amount": "abc", "reason": "x", "key": "k1"},
                {"amount": "1.00", "reason": "x"},
                {"amount": "1.00", "reason": "x", "key": "bad key!"},
                {"amount": "99999999.00", "reason": "x", "key": "k1"}):
        r = client.post(url, json=bad, headers=bearer(db, finance))
        assert r.status_code == 400, bad
    assert count(db, PaymentEntry) == before
    r = client.post(url, json={"amount": "1.00", "reason": "x", "key": "k1"},
                    headers=bearer(db, buyer))
    assert r.status_code == 403
    for _ in range(2):  # a double submit refunds once
        r = client.post(url, json={"amount": "3.00", "reason": "售后退货", "key": "r-1"},
                        headers=bearer(db, finance))
        assert r.status_code == 202
    assert r.get_json()["refunded_amount"] == "3.00"
    payment = payments.get_payment(db, order.id)
    assert [x["amount"] for x in refunds(localstripe, payment.provider_ref)] == [300]


def test_refund_page_bad_input(client, db, ex):
    order, buyer, _seller = delivered(db, ex)
    run(db, ex, step(db, "accept", order, buyer))
    finance = factories.user(db, "finance")
    login(client, finance.username, factories.PASSWORD)
    token = csrf_token(client, f"/finance/orders/{order.id}/refund")
    before = count(db, PaymentEntry)
    r = client.post(f"/finance/orders/{order.id}/refund",
                    data={"csrf_token": token, "amount": "-5", "reason": "", "key": "abc"})
    assert r.status_code == 400 and "提交的数据有误" in r.get_data(as_text=True)
    assert count(db, PaymentEntry) == before


# --- contracts ----------------------------------------------------------------------------------

def test_contract_pdf_for_buyer_and_supplier_only(client, db, ex):
    order, buyer, seller = delivered(db, ex)
    for who in (buyer, seller):
        r = client.get(f"/api/v1/orders/{order.id}/contract.pdf", headers=bearer(db, who))
        assert r.status_code == 200 and r.data.startswith(b"%PDF")
        assert r.headers["Content-Type"] == "application/pdf"
    other, _ = factories.buyer_with_budget(db)
    r = client.get(f"/api/v1/orders/{order.id}/contract.pdf", headers=bearer(db, other))
    assert r.status_code == 404 and r.get_json()["code"] == "contract_not_found"
    r = client.get(f"/api/v1/orders/{order.id}/contract.pdf",
                   headers=bearer(db, factories.user(db, "supplier")))
    assert r.status_code == 404
    for role in ("regulator", "finance", "operator"):
        r = client.get(f"/api/v1/orders/{order.id}/contract.pdf",
                       headers=bearer(db, factories.user(db, role)))
        assert r.status_code == 403, role
    r = client.get(f"/api/v1/orders/{order.id}/contract", headers=bearer(db, buyer))
    assert r.get_json()["number"].startswith("HT-") and r.get_json()["financed"] is False


def test_contract_pdf_page_download(client, db, ex):
    order, buyer, seller = delivered(db, ex)
    login(client, buyer.username, factories.PASSWORD)
    r = client.get(f"/orders/{order.id}/contract.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert "attachment" in r.headers["Content-Disposition"]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    other, _ = factories.buyer_with_budget(db)
    login(client, other.username, factories.PASSWORD)
    assert client.get(f"/orders/{order.id}/contract.pdf").status_code == 404


def test_financing_api(client, db, ex):
    order, buyer, seller = delivered(db, ex)
    contract = db.scalar(select(Contract).where(Contract.order_id == order.id))
    url = f"/api/v1/contracts/{contract.id}/financing"
    good = {"financier": "中国建设银行杭州分行", "payee_bank": "中国建设银行杭州分行",
            "payee_account": "33001999888877776666"}
    r = client.post(url, json=good | {"payee_account": "12ab"}, headers=bearer(db, seller))
    assert r.status_code == 400 and "payee_account" in r.get_json()["errors"]
    r = client.post(url, json=good | {"extra": 1}, headers=bearer(db, seller))
    assert r.status_code == 400
    db.refresh(contract)
    assert contract.financed is False
    assert client.post(url, json=good, headers=bearer(db, buyer)).status_code == 403
    r = client.post(url, json=good, headers=bearer(db, factories.user(db, "supplier")))
    assert r.status_code == 404
    r = client.post(url, json=good, headers=bearer(db, seller))
    assert r.status_code == 200 and r.get_json()["financed"] is True
    r = client.put(f"/api/v1/contracts/{contract.id}/payee",
                   json={"payee_bank": "农业银行", "payee_account": "6222000011112222"},
                   headers=bearer(db, seller))
    assert r.status_code == 409 and r.get_json()["code"] == "contract_payee_locked"


def test_payee_change_before_financing(client, db, ex):
    order, _buyer, seller = delivered(db, ex)
    contract = db.scalar(select(Contract).where(Contract.order_id == order.id))
    r = client.put(f"/api/v1/contracts/{contract.id}/payee",
                   json={"payee_bank": "农业银行", "payee_account": "6222000011112222"},
                   headers=bearer(db, seller))
    assert r.status_code == 200 and r.get_json()["payee_account"] == "6222000011112222"


def test_financing_page(client, db, ex):
    order, _buyer, seller = delivered(db, ex)
    contract = db.scalar(select(Contract).where(Contract.order_id == order.id))
    login(client, seller.username, factories.PASSWORD)
    assert contract.number in client.get("/supplier/contracts").get_data(as_text=True)
    url = f"/supplier/contracts/{contract.id}/financing"
    token = csrf_token(client, url)
    r = client.post(url, data={"csrf_token": token, "financier": "建设银行",
                               "payee_bank": "建设银行", "payee_account": "x"})
    assert r.status_code == 400 and "银行账号应为" in r.get_data(as_text=True)
    r = client.post(url, data={"csrf_token": token, "financier": "建设银行",
                               "payee_bank": "建设银行", "payee_account": "3300100020003000"})
    assert r.status_code == 302
    db.refresh(contract)
    assert contract.financed and contract.payee_account == "3300100020003000"
    r = client.post(f"/supplier/contracts/{contract.id}/payee",
                    data={"csrf_token": token, "payee_bank": "农行",
                          "payee_account": "6222000011112222"})
    assert r.status_code == 409 and "收款账户已锁定" in r.get_data(as_text=True)


def test_financing_page_refused_for_other_suppliers(client, db, ex):
    order, _buyer, _seller = delivered(db, ex)
    contract = db.scalar(select(Contract).where(Contract.order_id == order.id))
    other = factories.user(db, "supplier")
    login(client, other.username, factories.PASSWORD)
    assert client.get(f"/supplier/contracts/{contract.id}/financing").status_code == 404
    assert contract.number not in client.get("/supplier/contracts").get_data(as_text=True)


# --- treasury -----------------------------------------------------------------------------------

def test_treasury_api_confirm_pays_the_order(client, db, ex):
    order, buyer, _seller = delivered(db, ex, payment_method="treasury")
    run(db, ex, step(db, "accept", order, buyer))
    finance = factories.user(db, "finance")
    r = client.get("/api/v1/treasury/instructions?status=pending", headers=bearer(db, finance))
    assert r.status_code == 200
    item = next(i for i in r.get_json()["items"] if i["order_id"] == order.id)
    assert item["amount"] == f"{order.total:.2f}" and item["number"].startswith("ZF")
    assert client.get("/api/v1/treasury/instructions?status=nope",
                      headers=bearer(db, finance)).status_code == 400
    assert client.get("/api/v1/treasury/instructions",
                      headers=bearer(db, buyer)).status_code == 403
    url = f"/api/v1/treasury/instructions/{item['id']}"
    assert client.post(f"{url}/confirm", json={}, headers=bearer(db, buyer)).status_code == 403
    r = client.post(f"{url}/reject", json={}, headers=bearer(db, finance))
    assert r.status_code == 400 and "reason" in r.get_json()["errors"]
    r = client.post(f"{url}/confirm", json={}, headers=bearer(db, finance))
    assert r.status_code == 200 and r.get_json()["status"] == "confirmed"
    db.expire_all()
    assert order.status == "paid" and payments.get_payment(db, order.id).status == "captured"
    r = client.post(f"{url}/confirm", json={}, headers=bearer(db, finance))
    assert r.status_code == 409 and r.get_json()["code"] == "instruction_decided"


def test_finance_page_confirms_an_instruction(client, db, ex):
    order, buyer, _seller = delivered(db, ex, payment_method="treasury")
    run(db, ex, step(db, "accept", order, buyer))
    instruction = db.scalar(select(TreasuryInstruction).where(
        TreasuryInstruction.order_id == order.id))
    finance = factories.user(db, "finance")
    login(client, finance.username, factories.PASSWORD)
    html = client.get("/finance/instructions?status=pending").get_data(as_text=True)
    assert instruction.number in html and "确认支付" in html
    assert client.get("/finance/instructions?status=bogus").status_code == 400
    token = csrf_token(client, "/finance/instructions")
    r = client.post(f"/finance/instructions/{instruction.id}/confirm",
                    data={"csrf_token": token})
    assert r.status_code == 302
    db.expire_all()
    assert order.status == "paid"


def test_finance_page_refused_for_other_roles(client, db):
    buyer = factories.user(db, "buyer")
    login(client, buyer.username, factories.PASSWORD)
    assert client.get("/finance/instructions").status_code == 403


# --- webhook ------------------------------------------------------------------------------------

def _event(event_id: str, type_: str = "payment_intent.succeeded", obj: str = "pi_w") -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": type_,
                       "data": {"object": {"id": obj, "object": "payment_intent"}}}).encode()


def test_webhook_bad_signature_is_400_and_records_nothing(client, db):
    payload = _event("evt_bad_1")
    before = count(db, StripeEvent)
    for header in (signature_header(payload, "whsec_wrong"), "garbage", None):
        headers = {"Content-Type": "application/json"}
        if header:
            headers["Stripe-Signature"] = header
        r = client.post(WEBHOOK, data=payload, headers=headers)
        assert r.status_code == 400
        assert r.get_json()["code"] == "webhook_signature_invalid"
    assert count(db, StripeEvent) == before


def test_webhook_duplicate_is_acknowledged_and_ignored(client, db):
    payload = _event("evt_dup_1")
    headers = {"Stripe-Signature": signature_header(payload, WEBHOOK_SECRET),
               "Content-Type": "application/json"}
    r1 = client.post(WEBHOOK, data=payload, headers=headers)
    r2 = client.post(WEBHOOK, data=payload, headers=headers)
    assert r1.status_code == 200 and r1.get_json() == {"received": True, "duplicate": False}
    assert r2.status_code == 200 and r2.get_json() == {"received": True, "duplicate": True}
    db.expire_all()
    assert db.scalar(select(func.count()).where(StripeEvent.event_id == "evt_dup_1")) == 1


def test_payment_page_amounts(client, db, ex):
    order, buyer, _seller = delivered(db, ex)
    run(db, ex, step(db, "accept", order, buyer, result="partial",
                     accepted_amount=order.total - Decimal("1.00")))
    login(client, buyer.username, factories.PASSWORD)
    html = client.get(f"/orders/{order.id}/payment").get_data(as_text=True)
    assert f"已扣款 ¥{order.total - Decimal('1.00'):,.2f}" in html
    assert "下载合同 PDF" in html


# --- the order API drives the payments ------------------------------------------------------------

def test_order_api_transitions_authorise_and_capture(client, db, localstripe):
    order, buyer, seller = factories.order(db)
    hs, hb = bearer(db, seller), bearer(db, buyer)
    assert client.post(f"/api/v1/orders/{order.id}/confirm", headers=hs).status_code == 200
    db.expire_all()
    payment = payments.get_payment(db, order.id)
    assert payment.status == "authorised"
    assert intent(localstripe, payment.provider_ref)["status"] == "requires_capture"
    assert client.post(f"/api/v1/orders/{order.id}/ship", json={},
                       headers=hs).status_code == 200
    assert client.post(f"/api/v1/orders/{order.id}/deliver", headers=hs).status_code == 200
    partial = order.total - Decimal("2.00")
    r = client.post(f"/api/v1/orders/{order.id}/accept",
                    json={"result": "partial", "inspector": "张三",
                          "accepted_amount": f"{partial:.2f}"}, headers=hb)
    assert r.status_code == 200
    db.expire_all()
    assert order.status == "paid" and order.paid_amount == partial
    charge = intent(localstripe, payment.provider_ref)["latest_charge"]
    assert charge["amount"] - charge["amount_refunded"] == int(partial * 100)


def test_order_page_failed_acceptance_voids(client, db, localstripe):
    order, buyer, seller = factories.order(db)
    login(client, seller.username, factories.PASSWORD)
    for action in ("confirm", "ship", "deliver"):
        token = csrf_token(client, f"/orders/{order.id}")
        assert client.post(f"/orders/{order.id}/{action}",
                           data={"csrf_token": token}).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, buyer.username, factories.PASSWORD)
    token = csrf_token(client, f"/orders/{order.id}")
    r = client.post(f"/orders/{order.id}/accept",
                    data={"csrf_token": token, "result": "fail", "inspector": "张三",
                          "notes": "型号不符"})
    assert r.status_code == 302
    db.expire_all()
    payment = payments.get_payment(db, order.id)
    assert order.status == "acceptance_failed" and payment.status == "voided"
    assert intent(localstripe, payment.provider_ref)["status"] == "canceled"
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'data-testid="payment-section"' in html and "已撤销" in html


def test_stripe_down_during_the_request_then_retry_through_the_outbox(app, client, db,
                                                                      localstripe):
    """The whole path through the app and the outbox: acceptance while Stripe is unreachable
    commits the acceptance and records the failed capture; retry captures exactly once."""
    from tests.stripe_server import closed_port

    order, buyer, seller = factories.order(db)
    hs, hb = bearer(db, seller), bearer(db, buyer)
    for action in ("confirm", "ship", "deliver"):
        r = client.post(f"/api/v1/orders/{order.id}/{action}", json={} if action == "ship"
                        else None, headers=hs)
        assert r.status_code == 200, r.get_json()
    cfg = app.extensions["mall.config"]
    cfg.stripe_api_base = f"http://127.0.0.1:{closed_port()}"
    r = client.post(f"/api/v1/orders/{order.id}/accept",
                    json={"result": "pass", "inspector": "张三"}, headers=hb)
    assert r.status_code == 200 and r.get_json()["status"] == "accepted"
    db.expire_all()
    payment = payments.get_payment(db, order.id)
    assert order.status == "accepted" and "无法连接支付服务" in payment.last_error
    login(client, buyer.username, factories.PASSWORD)
    assert "支付失败，可重试" in client.get(f"/orders/{order.id}").get_data(as_text=True)

    cfg.stripe_api_base = localstripe
    r = client.post(f"/api/v1/orders/{order.id}/payment/retry", headers=hb)
    assert r.status_code == 202
    db.expire_all()
    assert order.status == "paid" and payment.status == "captured"
    capture = db.scalar(select(PaymentEntry).where(PaymentEntry.payment_id == payment.id,
                                                   PaymentEntry.kind == "capture"))
    assert capture.attempts == 2 and capture.idempotency_key == f"order-{order.id}-capture-1"
    charge = intent(localstripe, payment.provider_ref)["latest_charge"]
    assert charge["captured"] is True and charge["amount_refunded"] == 0
    assert refunds(localstripe, payment.provider_ref) == []


def test_finance_home_and_nav(client, db):
    finance = factories.user(db, "finance")
    login(client, finance.username, factories.PASSWORD)
    html = client.get("/").get_data(as_text=True)
    assert "国库支付工作台" in html and "/finance/instructions" in html
    assert "财政支付" in html  # role label in the navbar


# --- more refusals and bad input ----------------------------------------------------------------

def test_pages_refuse_the_wrong_roles(client, db, ex):
    order, buyer, seller = delivered(db, ex, payment_method="treasury")
    run(db, ex, step(db, "accept", order, buyer))
    instruction = db.scalar(select(TreasuryInstruction).where(
        TreasuryInstruction.order_id == order.id))
    contract = db.scalar(select(Contract).where(Contract.order_id == order.id))
    login(client, buyer.username, factories.PASSWORD)
    token = csrf_token(client, "/")
    assert client.get("/supplier/contracts").status_code == 403
    assert client.get(f"/finance/orders/{order.id}/refund").status_code == 403
    assert client.post(f"/finance/instructions/{instruction.id}/confirm",
                       data={"csrf_token": token}).status_code == 403
    assert client.get(f"/supplier/contracts/{contract.id}/payee").status_code == 403
    client.post("/logout", data={"csrf_token": token})
    other, _ = factories.buyer_with_budget(db)
    login(client, other.username, factories.PASSWORD)
    assert client.get(f"/orders/{order.id}/payment").status_code == 404
    db.expire_all()
    assert instruction.status == "pending"


def test_forms_refuse_bad_input_and_write_nothing(client, db, ex):
    order, buyer, seller = delivered(db, ex, payment_method="treasury")
    run(db, ex, step(db, "accept", order, buyer))
    instruction = db.scalar(select(TreasuryInstruction).where(
        TreasuryInstruction.order_id == order.id))
    finance = factories.user(db, "finance")
    login(client, finance.username, factories.PASSWORD)
    token = csrf_token(client, "/finance/instructions")
    r = client.post(f"/finance/instructions/{instruction.id}/reject",
                    data={"csrf_token": token, "reason": "   "})
    assert r.status_code == 400 and "请填写原因" in r.get_data(as_text=True)
    r = client.post(f"/finance/instructions/{instruction.id}/reject",
                    data={"csrf_token": token, "reason": "x" * 501})
    assert r.status_code == 400
    r = client.post(f"/finance/instructions/{instruction.id}/confirm",
                    data={"csrf_token": token, "unexpected": "1"})
    assert r.status_code == 400
    db.expire_all()
    assert instruction.status == "pending" and order.status == "accepted"
    client.post("/logout", data={"csrf_token": token})
    login(client, buyer.username, factories.PASSWORD)
    token = csrf_token(client, f"/orders/{order.id}/payment")
    entries = count(db, PaymentEntry)
    r = client.post(f"/orders/{order.id}/payment/retry",
                    data={"csrf_token": token, "unexpected": "1"})
    assert r.status_code == 400 and count(db, PaymentEntry) == entries


def test_payee_page_bad_input(client, db, ex):
    order, _buyer, seller = delivered(db, ex)
    contract = db.scalar(select(Contract).where(Contract.order_id == order.id))
    login(client, seller.username, factories.PASSWORD)
    url = f"/supplier/contracts/{contract.id}/payee"
    token = csrf_token(client, url)
    r = client.post(url, data={"csrf_token": token, "payee_bank": "", "payee_account": "12"})
    assert r.status_code == 400
    errors = r.get_data(as_text=True)
    assert "此项为必填项" in errors and "银行账号应为" in errors
    db.refresh(contract)
    assert contract.payee_account != "12"


def test_webhook_signed_but_malformed_event_is_400(client, db):
    for payload in (b"{}", b"not json"):
        headers = {"Stripe-Signature": signature_header(payload, WEBHOOK_SECRET),
                   "Content-Type": "application/json"}
        r = client.post(WEBHOOK, data=payload, headers=headers)
        assert r.status_code == 400, payload


def test_payee_api_refused_for_buyers_and_bad_input(client, db, ex):
    order, buyer, seller = delivered(db, ex)
    contract = db.scalar(select(Contract).where(Contract.order_id == order.id))
    url = f"/api/v1/contracts/{contract.id}/payee"
    good = {"payee_bank": "农业银行", "payee_account": "6222000011112222"}
    assert client.put(url, json=good, headers=bearer(db, buyer)).status_code == 403
    r = client.put(url, json={"payee_bank": "农业银行"}, headers=bearer(db, seller))
    assert r.status_code == 400 and "payee_account" in r.get_json()["errors"]
    db.refresh(contract)
    assert contract.payee_account != good["payee_account"]


def test_finance_page_lists_failed_payments(app, client, db, ex):
    order, buyer, _seller = delivered(db, ex)
    run(db, down_executor(), step(db, "accept", order, buyer))
    finance = factories.user(db, "finance")
    login(client, finance.username, factories.PASSWORD)
    html = client.get("/finance/instructions").get_data(as_text=True)
    assert order.number in html and "无法连接支付服务" in html
    html = client.get(f"/orders/{order.id}/payment").get_data(as_text=True)
    assert "支付失败，可重试" in html and "重试" in html  # finance may retry too
