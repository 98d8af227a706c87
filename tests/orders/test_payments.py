"""The payment ledger wired to the order flow, against a real localstripe."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from mall.clock import utcnow
from mall.errors import Conflict, DomainError, Forbidden, ValidationFailed
from orders import contracts, flow, payments
from orders.models import (
    BudgetLine,
    Contract,
    OrderStatus,
    PaymentEntry,
    TreasuryInstruction,
)
from tests import factories
from tests.orders.payment_helpers import down_executor, executor, intent, refunds, run, step


@pytest.fixture
def ex(app, db, localstripe):
    return executor(localstripe)


def delivered(db, ex, payment_method="card", **kw):
    """An order confirmed (authorised), shipped and delivered."""
    order, buyer, seller = factories.order(db, payment_method=payment_method, **kw)
    run(db, ex, step(db, "confirm", order, seller))
    step(db, "ship", order, seller)
    step(db, "deliver", order, seller)
    return order, buyer, seller


def test_confirm_authorises_the_card_and_makes_the_contract(db, ex, localstripe):
    order, _buyer, seller = factories.order(db)
    ids = step(db, "confirm", order, seller)
    payment = payments.get_payment(db, order.id)
    assert payment.status == "new" and len(ids) == 1  # nothing external before commit
    run(db, ex, ids)
    db.refresh(payment)
    assert payment.status == "authorised" and payment.authorised_amount == order.total
    assert payment.authorisation_expires_at > utcnow() + timedelta(days=6)
    pi = intent(localstripe, payment.provider_ref)
    assert pi["status"] == "requires_capture" and pi["amount"] == int(order.total * 100)
    entry = db.scalar(select(PaymentEntry).where(PaymentEntry.id == ids[0]))
    assert entry.idempotency_key == f"order-{order.id}-authorise-1"
    assert entry.status == "succeeded" and entry.provider_ref == payment.provider_ref
    contract = db.scalar(select(Contract).where(Contract.order_id == order.id))
    assert contract.number.startswith("HT-") and contract.total == order.total


def test_pass_captures_in_full_and_pays_the_order(db, ex, localstripe):
    order, buyer, _seller = delivered(db, ex)
    line = db.get(BudgetLine, order.budget_line_id)
    run(db, ex, step(db, "accept", order, buyer))
    payment = payments.get_payment(db, order.id)
    assert payment.status == "captured" and payment.captured_amount == order.total
    assert order.status == OrderStatus.PAID.value and order.paid_amount == order.total
    db.refresh(line)
    assert line.spent == order.total and line.frozen == 0
    assert intent(localstripe, payment.provider_ref)["status"] == "succeeded"


def test_partial_acceptance_captures_the_accepted_amount(db, ex, localstripe):
    order, buyer, _seller = delivered(db, ex)
    accepted = (order.total - Decimal("10.00"))
    run(db, ex, step(db, "accept", order, buyer, result="partial", accepted_amount=accepted))
    payment = payments.get_payment(db, order.id)
    assert payment.captured_amount == accepted and order.paid_amount == accepted
    charge = intent(localstripe, payment.provider_ref)["latest_charge"]
    assert charge["amount"] - charge["amount_refunded"] == int(accepted * 100)
    line = db.get(BudgetLine, order.budget_line_id)
    assert line.spent == accepted and line.frozen == 0  # the rest released


def test_failed_acceptance_voids_the_hold(db, ex, localstripe):
    order, buyer, _seller = delivered(db, ex)
    run(db, ex, step(db, "accept", order, buyer, result="fail", notes="型号不符"))
    payment = payments.get_payment(db, order.id)
    assert payment.status == "voided" and payment.captured_amount == 0
    assert intent(localstripe, payment.provider_ref)["status"] == "canceled"


def test_cancel_after_confirmation_voids_the_hold(db, ex, localstripe):
    order, buyer, seller = factories.order(db)
    run(db, ex, step(db, "confirm", order, seller))
    run(db, ex, step(db, "cancel", order, buyer))
    payment = payments.get_payment(db, order.id)
    assert payment.status == "voided"
    assert intent(localstripe, payment.provider_ref)["status"] == "canceled"


def test_return_voids_the_hold(db, ex, localstripe):
    order, buyer, seller = delivered(db, ex)
    step(db, "request_return", order, buyer)
    run(db, ex, step(db, "confirm_return", order, seller))
    payment = payments.get_payment(db, order.id)
    assert order.status == "returned" and payment.status == "voided"
    assert intent(localstripe, payment.provider_ref)["status"] == "canceled"


def test_double_submit_of_capture_charges_once(db, ex, localstripe):
    order, buyer, _seller = delivered(db, ex)
    first = step(db, "accept", order, buyer)
    payment = payments.get_payment(db, order.id)
    # the same capture asked again (a second click, a replayed hook) is the same entry
    again = payments.request(db, buyer, payment, payments.K.CAPTURE, order.accepted_amount)
    assert [again.id] == first
    run(db, ex, first + first)
    run(db, ex, [again.id])
    captures = db.scalar(select(func.count()).where(
        PaymentEntry.payment_id == payment.id, PaymentEntry.kind == "capture"))
    assert captures == 1
    entry = db.get(PaymentEntry, first[0])
    assert entry.attempts == 1  # one provider call
    charge = intent(localstripe, payment.provider_ref)["latest_charge"]
    assert charge["captured"] is True and charge["amount_refunded"] == 0
    assert refunds(localstripe, payment.provider_ref) == []
    db.refresh(payment)
    assert payment.captured_amount == order.total


def test_stripe_down_mid_payment_then_retry_captures_once(app, db, ex, localstripe):
    order, buyer, _seller = delivered(db, ex)
    ids = step(db, "accept", order, buyer)
    run(db, down_executor(), ids)
    payment = payments.get_payment(db, order.id)
    entry = db.get(PaymentEntry, ids[0])
    assert entry.status == "failed" and entry.retryable
    assert "无法连接支付服务" in payment.last_error
    assert payments.failed_entry(db, payment).id == entry.id
    # the order is consistent: accepted, budget still frozen, the card hold untouched
    assert order.status == "accepted" and order.paid_amount is None
    line = db.get(BudgetLine, order.budget_line_id)
    assert line.frozen == order.total and line.spent == 0
    assert intent(localstripe, payment.provider_ref)["status"] == "requires_capture"

    retried = payments.retry(db, buyer, order.id)
    assert retried == ids  # same entry, same idempotency key
    run(db, ex, retried)
    db.refresh(payment)
    assert payment.status == "captured" and payment.last_error is None
    assert order.status == "paid"
    assert db.get(PaymentEntry, ids[0]).idempotency_key == f"order-{order.id}-capture-1"
    charge = intent(localstripe, payment.provider_ref)["latest_charge"]
    assert charge["captured"] is True and charge["amount"] == int(order.total * 100)
    assert refunds(localstripe, payment.provider_ref) == []


def test_stripe_down_at_confirmation_then_retry_authorises(app, db, ex, localstripe):
    order, buyer, seller = factories.order(db)
    ids = step(db, "confirm", order, seller)
    run(db, down_executor(), ids)
    payment = payments.get_payment(db, order.id)
    assert payment.status == "failed" and order.status == "confirmed"
    run(db, ex, payments.retry(db, buyer, order.id))
    db.refresh(payment)
    assert payment.status == "authorised" and payment.provider_ref.startswith("pi_")


def test_retry_refused_for_other_units_and_suppliers(db, ex, app):
    order, _buyer, seller = factories.order(db)
    run(db, down_executor(), step(db, "confirm", order, seller))
    other_buyer, _ = factories.buyer_with_budget(db)
    with pytest.raises(DomainError) as err:
        payments.retry(db, other_buyer, order.id)
    assert err.value.status == 404
    with pytest.raises(Forbidden):
        payments.retry(db, seller, order.id)


def test_nothing_to_retry_is_a_conflict(db, ex):
    order, buyer, seller = factories.order(db)
    run(db, ex, step(db, "confirm", order, seller))
    with pytest.raises(Conflict):
        payments.retry(db, buyer, order.id)


def test_refund_of_a_paid_order_once_per_key(db, ex, localstripe):
    order, buyer, _seller = delivered(db, ex)
    run(db, ex, step(db, "accept", order, buyer))
    finance = factories.user(db, "finance")
    e1 = payments.refund(db, finance, order.id, amount=Decimal("5.00"), reason="售后退货",
                         client_key="k1")
    e2 = payments.refund(db, finance, order.id, amount=Decimal("5.00"), reason="售后退货",
                         client_key="k1")
    assert e1.id == e2.id
    run(db, ex, [e1.id, e2.id])
    payment = payments.get_payment(db, order.id)
    assert payment.refunded_amount == Decimal("5.00") and payment.status == "captured"
    assert [r["amount"] for r in refunds(localstripe, payment.provider_ref)] == [500]
    with pytest.raises(ValidationFailed):
        payments.refund(db, finance, order.id, amount=order.total, reason="超额",
                        client_key="k2")
    with pytest.raises(Forbidden):
        payments.refund(db, buyer, order.id, amount=Decimal("1.00"), reason="x",
                        client_key="k3")
    rest = order.total - Decimal("5.00")
    run(db, ex, [payments.refund(db, finance, order.id, amount=rest, reason="全部退货",
                                 client_key="k4").id])
    db.refresh(payment)
    assert payment.status == "refunded" and payment.refunded_amount == order.total


def test_declined_card_then_retry_opens_a_new_attempt(db, app, localstripe, monkeypatch):
    order, buyer, seller = factories.order(db)
    ex = executor(localstripe)
    from orders.gateway import PaymentDeclined

    real = ex.gateway_for("card", db)

    class Declining:
        """Wraps the real gateway; declines the first authorisation like an issuer would
        (localstripe declines only cards created with special numbers)."""
        name = "stripe"
        calls = 0

        def authorise(self, **kw):
            Declining.calls += 1
            if Declining.calls == 1:
                raise PaymentDeclined("公务卡支付被拒绝：Your card was declined.",
                                      provider_code="card_declined")
            return real.authorise(**kw)

    declining = Declining()
    ex.gateway_for = lambda method, session: declining
    run(db, ex, step(db, "confirm", order, seller))
    payment = payments.get_payment(db, order.id)
    assert payment.status == "failed" and "拒绝" in payment.last_error
    ids = payments.retry(db, buyer, order.id)
    entry = db.get(PaymentEntry, ids[0])
    assert entry.seq == 2 and entry.idempotency_key == f"order-{order.id}-authorise-2"
    run(db, ex, ids)
    db.refresh(payment)
    assert payment.status == "authorised"


def test_reauthorise_expiring_holds(db, ex, localstripe):
    order, _buyer, seller = factories.order(db)
    run(db, ex, step(db, "confirm", order, seller))
    payment = payments.get_payment(db, order.id)
    old_ref = payment.provider_ref
    assert payments.reauthorise_expiring(db, margin_days=2) == []  # 7 days left
    payment.authorisation_expires_at = utcnow() + timedelta(days=1)
    ids = payments.reauthorise_expiring(db, margin_days=2)
    assert len(ids) == 1
    run(db, ex, ids)
    db.refresh(payment)
    assert payment.provider_ref != old_ref and payment.status == "authorised"
    assert intent(localstripe, old_ref)["status"] == "canceled"
    assert intent(localstripe, payment.provider_ref)["status"] == "requires_capture"


# --- treasury (国库集中支付) ---------------------------------------------------------------------

def test_treasury_payment_completes_when_finance_confirms(db, ex):
    order, buyer, _seller = delivered(db, ex, payment_method="treasury")
    payment = payments.get_payment(db, order.id)
    assert payment.status == "authorised" and payment.provider_ref == f"GK-{order.id}"
    ids = step(db, "accept", order, buyer)
    run(db, ex, ids)
    entry = db.get(PaymentEntry, ids[0])
    assert entry.status == "awaiting" and order.status == "accepted"
    instruction = db.scalar(select(TreasuryInstruction).where(
        TreasuryInstruction.order_id == order.id))
    assert instruction.status == "pending" and instruction.amount == order.total
    assert entry.provider_ref == instruction.number
    finance = factories.user(db, "finance")
    with pytest.raises(Forbidden):
        payments.decide_instruction(db, buyer, instruction.id, confirm=True)
    payments.decide_instruction(db, finance, instruction.id, confirm=True)
    assert order.status == "paid" and order.paid_amount == order.total
    db.refresh(payment)
    assert payment.status == "captured" and entry.status == "succeeded"
    with pytest.raises(Conflict):
        payments.decide_instruction(db, finance, instruction.id, confirm=True)


def test_rejected_instruction_fails_visibly_and_retry_issues_a_new_one(db, ex):
    order, buyer, _seller = delivered(db, ex, payment_method="treasury")
    run(db, ex, step(db, "accept", order, buyer))
    finance = factories.user(db, "finance")
    first = db.scalar(select(TreasuryInstruction).where(TreasuryInstruction.order_id == order.id))
    with pytest.raises(ValidationFailed):
        payments.decide_instruction(db, finance, first.id, confirm=False, reason="")
    payments.decide_instruction(db, finance, first.id, confirm=False, reason="收款账户有误")
    payment = payments.get_payment(db, order.id)
    assert "收款账户有误" in payment.last_error and order.status == "accepted"
    run(db, ex, payments.retry(db, buyer, order.id))
    rows = list(db.scalars(select(TreasuryInstruction).where(
        TreasuryInstruction.order_id == order.id).order_by(TreasuryInstruction.id)))
    assert [r.status for r in rows] == ["rejected", "pending"]
    assert rows[1].idempotency_key == f"order-{order.id}-capture-2"


def test_treasury_instruction_pays_the_locked_financing_account(db, ex):
    order, buyer, seller = delivered(db, ex, payment_method="treasury")
    contract = db.scalar(select(Contract).where(Contract.order_id == order.id))
    contracts.declare_financing(db, seller, contract.id, financier="中国建设银行杭州分行",
                                payee_bank="中国建设银行杭州分行", payee_account="3300199988887777")
    with pytest.raises(Conflict) as err:
        contracts.change_payee(db, seller, contract.id, payee_bank="农业银行",
                               payee_account="6222000011112222")
    assert err.value.code == "contract_payee_locked"
    run(db, ex, step(db, "accept", order, buyer))
    instruction = db.scalar(select(TreasuryInstruction).where(
        TreasuryInstruction.order_id == order.id))
    assert instruction.payee_account == "3300199988887777"


# --- contracts --------------------------------------------------------------------------------

def test_contract_numbers_run_per_unit_and_year(db, ex):
    buyer, budget_line = factories.buyer_with_budget(db)
    o1, _, s1 = factories.order(db, buyer=buyer, budget_line=budget_line)
    o2, _, s2 = factories.order(db, buyer=buyer, budget_line=budget_line)
    step(db, "confirm", o1, s1)
    step(db, "confirm", o2, s2)
    c1 = db.scalar(select(Contract).where(Contract.order_id == o1.id))
    c2 = db.scalar(select(Contract).where(Contract.order_id == o2.id))
    code = o1.unit.code
    assert c1.number.endswith(f"-{code}-00001") and c2.number.endswith(f"-{code}-00002")


def test_contract_only_for_the_parties(db, ex):
    order, buyer, seller = factories.order(db)
    step(db, "confirm", order, seller)
    assert contracts.contract_for(db, buyer, order.id).order_id == order.id
    assert contracts.contract_for(db, seller, order.id).order_id == order.id
    other_buyer, _ = factories.buyer_with_budget(db)
    for outsider in (other_buyer, factories.user(db, "supplier"), factories.user(db, "regulator"),
                     factories.user(db, "finance")):
        with pytest.raises(DomainError) as err:
            contracts.contract_for(db, outsider, order.id)
        assert err.value.status == 404


def test_financing_only_by_the_own_supplier_and_once(db, ex):
    order, buyer, seller = factories.order(db)
    step(db, "confirm", order, seller)
    contract = db.scalar(select(Contract).where(Contract.order_id == order.id))
    with pytest.raises(Forbidden):
        contracts.declare_financing(db, buyer, contract.id, financier="银行",
                                    payee_bank="银行", payee_account="1")
    with pytest.raises(DomainError) as err:
        contracts.declare_financing(db, factories.user(db, "supplier"), contract.id,
                                    financier="银行", payee_bank="银行", payee_account="1")
    assert err.value.status == 404
    contracts.declare_financing(db, seller, contract.id, financier="工商银行",
                                payee_bank="工商银行", payee_account="1202")
    with pytest.raises(Conflict):
        contracts.declare_financing(db, seller, contract.id, financier="工商银行",
                                    payee_bank="工商银行", payee_account="1203")


# --- webhooks ---------------------------------------------------------------------------------

def test_webhook_events_recorded_once(db, ex):
    event = {"id": "evt_once_1", "type": "payment_intent.succeeded",
             "data": {"object": {"id": "pi_x"}}}
    assert payments.record_stripe_event(db, event) is True
    assert payments.record_stripe_event(db, event) is False


def test_lapsed_authorisation_event_marks_the_payment_for_reauthorisation(db, ex, localstripe):
    order, buyer, seller = factories.order(db)
    run(db, ex, step(db, "confirm", order, seller))
    payment = payments.get_payment(db, order.id)
    old = payment.provider_ref
    payments.record_stripe_event(db, {"id": "evt_lapse_1", "type": "payment_intent.canceled",
                                      "data": {"object": {"id": old}}})
    assert payment.status == "failed" and "失效" in payment.last_error
    ids = payments.retry(db, buyer, order.id)
    assert db.get(PaymentEntry, ids[0]).kind == "reauthorise"
    run(db, ex, ids)
    db.refresh(payment)
    assert payment.status == "authorised" and payment.provider_ref != old


def test_flow_pay_is_still_refused_for_buyers(db, ex):
    order, buyer, _seller = delivered(db, ex)
    step(db, "accept", order, buyer)
    with pytest.raises(Forbidden):
        flow.pay(db, buyer, order.id, amount=order.total)


def test_mall_jobs_reauthorises_lapsing_holds(app, db, ex, localstripe):
    from mall.cli import main

    order, _buyer, seller = factories.order(db)
    run(db, ex, step(db, "confirm", order, seller))
    payment = payments.get_payment(db, order.id)
    old = payment.provider_ref
    payment.authorisation_expires_at = utcnow() + timedelta(hours=12)
    db.flush()
    result = app.test_cli_runner().invoke(main, ["jobs"])
    assert result.exit_code == 0, result.output
    assert "重新授权的公务卡预授权：1 笔" in result.output
    db.expire_all()
    payment = payments.get_payment(db, order.id)
    assert payment.provider_ref != old and payment.status == "authorised"
    assert payment.authorisation_expires_at > utcnow() + timedelta(days=6)
    assert intent(localstripe, old)["status"] == "canceled"


def test_demo_contracts_only_for_confirmed_orders(db):
    placed, _, _ = factories.order(db, status="placed")
    shipped, _, _ = factories.order(db, status="shipped")
    refused, _, _ = factories.order(db, status="refused")
    made = contracts.seed_contracts(db, [placed, shipped, refused])
    assert [c.order_id for c in made] == [shipped.id]
    assert made[0].total_in_words == contracts.amount_in_words(shipped.total)


def test_cancel_while_authorisation_failed_holds_nothing_and_is_not_retried(db, ex, localstripe):
    order, buyer, seller = factories.order(db)
    run(db, down_executor(), step(db, "confirm", order, seller))  # Stripe down: no hold
    run(db, ex, step(db, "cancel", order, buyer))
    payment = payments.get_payment(db, order.id)
    assert payment.status == "voided" and payment.provider_ref is None
    auth = db.scalar(select(PaymentEntry).where(PaymentEntry.payment_id == payment.id,
                                                PaymentEntry.kind == "authorise"))
    assert auth.status == "failed" and not auth.retryable
    with pytest.raises(Conflict):
        payments.retry(db, buyer, order.id)


def test_a_return_of_captured_money_refunds_the_rest_once(db, ex, localstripe):
    """The order flow has no return after payment yet; the ledger already answers one
    (called here directly) by refunding what is left, once."""
    order, buyer, seller = delivered(db, ex)
    run(db, ex, step(db, "accept", order, buyer))
    finance = factories.user(db, "finance")
    run(db, ex, [payments.refund(db, finance, order.id, amount=Decimal("2.00"), reason="部分退货",
                                 client_key="part").id])
    ids = payments.after_transition(db, seller, order, "confirm_return")
    assert payments.after_transition(db, seller, order, "confirm_return") == []
    run(db, ex, ids)
    payment = payments.get_payment(db, order.id)
    assert payment.status == "refunded" and payment.refunded_amount == order.total
    entry = db.get(PaymentEntry, ids[0])
    assert entry.idempotency_key == f"order-{order.id}-refund-on-confirm_return"
    assert sorted(r["amount"] for r in refunds(localstripe, payment.provider_ref)) == \
        sorted([200, int(order.total * 100) - 200])


def test_lapsed_hold_at_capture_is_held_again_then_captured(db, ex, localstripe):
    import requests

    order, buyer, _seller = delivered(db, ex)
    payment = payments.get_payment(db, order.id)
    old = payment.provider_ref
    # the provider drops the hold (Stripe cancels card holds after 7 days)
    requests.post(f"{localstripe}/v1/payment_intents/{old}/cancel",
                  headers={"Authorization": "Bearer sk_test_local"}, timeout=10
                  ).raise_for_status()
    ids = step(db, "accept", order, buyer)
    run(db, ex, ids)
    capture = db.get(PaymentEntry, ids[0])
    assert capture.status == "failed" and not capture.retryable
    assert order.status == "accepted"
    retried = payments.retry(db, buyer, order.id)
    kinds = [db.get(PaymentEntry, i).kind for i in retried]
    assert kinds == ["reauthorise", "capture"]
    run(db, ex, retried)
    db.refresh(payment)
    assert payment.status == "captured" and payment.provider_ref != old
    assert order.status == "paid"
    assert intent(localstripe, payment.provider_ref)["status"] == "succeeded"
    assert db.get(PaymentEntry, retried[1]).idempotency_key == f"order-{order.id}-capture-2"


def test_mall_jobs_resubmits_operations_that_met_an_unreachable_provider(app, db, ex,
                                                                        localstripe):
    from mall.cli import main

    order, buyer, _seller = delivered(db, ex)
    ids = step(db, "accept", order, buyer)
    run(db, down_executor(), ids)
    entry = db.get(PaymentEntry, ids[0])
    assert payments.retry_unreachable(db) == []  # too recent
    entry.completed_at = utcnow() - timedelta(minutes=10)
    db.flush()
    result = app.test_cli_runner().invoke(main, ["jobs"])
    assert result.exit_code == 0, result.output
    assert "重新提交的支付操作：1 笔" in result.output
    db.expire_all()
    assert db.get(PaymentEntry, ids[0]).status == "succeeded"
    assert order.status == "paid"


def test_a_return_after_payment_refunds_the_captured_amount_once(db, ex, localstripe):
    """售后退货 on a card order: the capture is refunded in full, the budget gets it back."""
    order, buyer, seller = delivered(db, ex)
    run(db, ex, step(db, "accept", order, buyer))
    assert order.status == "paid"
    step(db, "request_return", order, buyer)
    ids = step(db, "confirm_return", order, seller)
    again = payments.after_transition(db, seller, order, "confirm_return")  # replayed hook
    assert again in ([], ids)
    run(db, ex, ids)
    payment = payments.get_payment(db, order.id)
    assert order.status == "returned"
    assert payment.refunded_amount == payment.captured_amount == order.total
    assert [r["amount"] for r in refunds(localstripe, payment.provider_ref)] == [
        int(order.total * 100)]
    line = db.get(BudgetLine, order.budget_line_id)
    assert (line.frozen, line.spent) == (Decimal("0.00"), Decimal("0.00"))
