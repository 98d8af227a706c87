"""StripeGateway against a real localstripe server."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests

from orders.gateway import (
    GatewayRejected,
    GatewayUnavailable,
    PaymentDeclined,
    ResultStatus,
    from_fen,
    to_fen,
)
from orders.stripe_gateway import StripeGateway, WebhookSignatureInvalid, signature_header
from tests.stripe_server import closed_port

SECRET = "whsec_test_payments"


@pytest.fixture
def gateway(localstripe):
    return StripeGateway(localstripe, "sk_test_local", webhook_secret=SECRET)


def intent(base: str, ref: str) -> dict:
    r = requests.get(f"{base}/v1/payment_intents/{ref}",
                     headers={"Authorization": "Bearer sk_test_local"}, timeout=10)
    r.raise_for_status()
    return r.json()


def refunds(base: str, ref: str) -> list[dict]:
    r = requests.get(f"{base}/v1/refunds", params={"payment_intent": ref},
                     headers={"Authorization": "Bearer sk_test_local"}, timeout=10)
    r.raise_for_status()
    return r.json()["data"]


def test_fen_conversion_is_exact():
    assert to_fen(Decimal("123.45")) == 12345
    assert to_fen(Decimal("0.01")) == 1
    assert from_fen(1000000) == Decimal("10000.00")
    with pytest.raises(ValueError):
        to_fen(Decimal("1.005"))
    with pytest.raises(ValueError):
        to_fen(Decimal("0"))


def test_authorise_holds_the_amount_with_manual_capture(gateway, localstripe):
    res = gateway.authorise(amount=Decimal("1234.56"), order_ref="DD1", idempotency_key="t-a1")
    assert res.status is ResultStatus.AUTHORISED and res.reference.startswith("pi_")
    pi = intent(localstripe, res.reference)
    assert pi["status"] == "requires_capture"
    assert pi["capture_method"] == "manual"
    assert pi["amount"] == 123456 and pi["currency"] == "cny"
    assert pi["metadata"]["order"] == "DD1"


def test_full_capture(gateway, localstripe):
    ref = gateway.authorise(amount=Decimal("500.00"), order_ref="DD2",
                            idempotency_key="t-a2").reference
    res = gateway.capture(ref, amount=Decimal("500.00"), idempotency_key="t-c2")
    assert res.status is ResultStatus.CAPTURED and res.amount == Decimal("500.00")
    pi = intent(localstripe, ref)
    assert pi["status"] == "succeeded"
    assert pi["latest_charge"]["captured"] is True
    assert pi["latest_charge"]["amount_refunded"] == 0


def test_partial_capture_takes_only_the_accepted_amount(gateway, localstripe):
    ref = gateway.authorise(amount=Decimal("1000.00"), order_ref="DD3",
                            idempotency_key="t-a3").reference
    gateway.capture(ref, amount=Decimal("640.50"), idempotency_key="t-c3")
    charge = intent(localstripe, ref)["latest_charge"]
    # Stripe (and localstripe) release the uncaptured rest of the hold.
    assert charge["amount"] - charge["amount_refunded"] == 64050


def test_repeated_capture_is_reconciled_not_charged_twice(gateway, localstripe):
    ref = gateway.authorise(amount=Decimal("80.00"), order_ref="DD4",
                            idempotency_key="t-a4").reference
    first = gateway.capture(ref, amount=Decimal("80.00"), idempotency_key="t-c4")
    again = gateway.capture(ref, amount=Decimal("80.00"), idempotency_key="t-c4")
    assert first.reference == again.reference == ref
    charge = intent(localstripe, ref)["latest_charge"]
    assert charge["amount"] == 8000 and charge["amount_refunded"] == 0
    assert refunds(localstripe, ref) == []


def test_cancel_voids_the_hold_and_a_repeat_is_harmless(gateway, localstripe):
    ref = gateway.authorise(amount=Decimal("99.00"), order_ref="DD5",
                            idempotency_key="t-a5").reference
    assert gateway.cancel(ref, idempotency_key="t-v5").status is ResultStatus.VOIDED
    assert gateway.cancel(ref, idempotency_key="t-v5").status is ResultStatus.VOIDED
    assert intent(localstripe, ref)["status"] == "canceled"


def test_capture_after_cancel_is_rejected(gateway):
    ref = gateway.authorise(amount=Decimal("10.00"), order_ref="DD6",
                            idempotency_key="t-a6").reference
    gateway.cancel(ref, idempotency_key="t-v6")
    with pytest.raises(GatewayRejected):
        gateway.capture(ref, amount=Decimal("10.00"), idempotency_key="t-c6")


def test_partial_and_full_refunds(gateway, localstripe):
    ref = gateway.authorise(amount=Decimal("300.00"), order_ref="DD7",
                            idempotency_key="t-a7").reference
    gateway.capture(ref, amount=Decimal("300.00"), idempotency_key="t-c7")
    r1 = gateway.refund(ref, amount=Decimal("100.00"), idempotency_key="t-r7a")
    r2 = gateway.refund(ref, amount=Decimal("200.00"), idempotency_key="t-r7b")
    assert r1.status is ResultStatus.REFUNDED and r1.reference.startswith("re_")
    assert r1.reference != r2.reference
    assert sorted(r["amount"] for r in refunds(localstripe, ref)) == [10000, 20000]
    assert intent(localstripe, ref)["latest_charge"]["refunded"] is True


def test_declined_card_raises_payment_declined(localstripe):
    gw = StripeGateway(localstripe, "sk_test_local")
    pm = requests.post(f"{localstripe}/v1/payment_methods",
                       headers={"Authorization": "Bearer sk_test_local"},
                       data={"type": "card", "card[number]": "4000000000000341",
                             "card[exp_month]": "12", "card[exp_year]": "2034",
                             "card[cvc]": "123"}, timeout=10).json()
    with pytest.raises(PaymentDeclined) as err:
        gw.authorise(amount=Decimal("10.00"), order_ref="DD8", idempotency_key="t-a8",
                     payment_method=pm["id"])
    assert err.value.provider_code == "card_declined"


def test_reauthorise_replaces_the_hold(gateway, localstripe):
    old = gateway.authorise(amount=Decimal("42.00"), order_ref="DD9",
                            idempotency_key="t-a9").reference
    res = gateway.reauthorise(old, amount=Decimal("42.00"), order_ref="DD9",
                              idempotency_key="t-ra9")
    assert res.status is ResultStatus.AUTHORISED and res.reference != old
    assert intent(localstripe, old)["status"] == "canceled"
    new = intent(localstripe, res.reference)
    assert new["status"] == "requires_capture" and new["amount"] == 4200
    assert new["payment_method"] == intent(localstripe, old)["payment_method"]


def test_unreachable_then_retry_with_same_key_captures_once(gateway, localstripe):
    ref = gateway.authorise(amount=Decimal("250.00"), order_ref="DD10",
                            idempotency_key="t-a10").reference
    down = StripeGateway(f"http://127.0.0.1:{closed_port()}", "sk_test_local", timeout=2)
    with pytest.raises(GatewayUnavailable):
        down.capture(ref, amount=Decimal("250.00"), idempotency_key="t-c10")
    assert intent(localstripe, ref)["status"] == "requires_capture"  # nothing happened
    res = gateway.capture(ref, amount=Decimal("250.00"), idempotency_key="t-c10")
    assert res.status is ResultStatus.CAPTURED
    charge = intent(localstripe, ref)["latest_charge"]
    assert charge["captured"] is True and charge["amount"] == 25000
    assert refunds(localstripe, ref) == []


def test_wrong_api_key_is_rejected_not_retryable(localstripe):
    gw = StripeGateway(localstripe, "pk_wrong")
    with pytest.raises(GatewayRejected) as err:
        gw.authorise(amount=Decimal("1.00"), order_ref="DD11", idempotency_key="t-a11")
    assert not err.value.retryable


def test_every_call_needs_an_idempotency_key(gateway):
    with pytest.raises(ValueError):
        gateway.authorise(amount=Decimal("1.00"), order_ref="DD12", idempotency_key="")


def test_webhook_signature_verified(gateway):
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "payment_intent.succeeded",
                          "data": {"object": {"id": "pi_1", "object": "payment_intent"}}}
                         ).encode()
    event = gateway.parse_webhook(payload, signature_header(payload, SECRET))
    assert event["id"] == "evt_1" and event["type"] == "payment_intent.succeeded"
    with pytest.raises(WebhookSignatureInvalid):
        gateway.parse_webhook(payload, signature_header(payload, "whsec_other"))
    with pytest.raises(WebhookSignatureInvalid):
        gateway.parse_webhook(payload + b" ", signature_header(payload, SECRET))
    with pytest.raises(WebhookSignatureInvalid):
        gateway.parse_webhook(payload, None)
    stale = signature_header(payload, SECRET, timestamp=1_000_000_000)
    with pytest.raises(WebhookSignatureInvalid):
        gateway.parse_webhook(payload, stale)
