"""公务卡 payments through Stripe — the only module that imports `stripe`.

A card order is a PaymentIntent with `capture_method="manual"`: authorised (预授权) when the
supplier confirms, captured after acceptance (full, or the accepted amount on a partial
acceptance), cancelled when acceptance fails, refunded on returns. Every request carries the
caller's idempotency key and goes through a `stripe.StripeClient` built from this gateway's
own configuration (`STRIPE_API_BASE`, `STRIPE_API_KEY`), never the SDK's global state.

localstripe (the local Stripe server used in development and tests) was checked against this
module by reading its source (localstripe 1.15):
- supports PaymentIntents with manual capture, `amount_to_capture` (the uncaptured rest is
  recorded as a refund on the charge, as Stripe does), cancel, refunds by `payment_intent`
  (partial and full), declined test cards (4000000000000341 is declined when charged);
- does NOT support idempotency keys: it ignores the `Idempotency-Key` header, so a repeated
  request is executed again. Stripe itself replays the first answer. Our ledger therefore
  never relies on the provider alone: one ledger entry per operation, and a repeated
  capture/cancel that the provider refuses because it already happened is reconciled by
  reading the PaymentIntent back (see `_reconcile`);
- does not return `amount_received`/`amount_capturable` on PaymentIntents (it embeds the whole
  charge in `latest_charge` instead of its id); amounts are read from whichever is present;
- sends webhooks only to endpoints registered through its private `/_config/webhooks/{id}`,
  signed like Stripe (`t=…,v1=HMAC-SHA256`), so `stripe.Webhook.construct_event` verifies them.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from decimal import Decimal

import stripe

from orders.gateway import (
    GatewayError,
    GatewayRejected,
    GatewayResult,
    GatewayUnavailable,
    PaymentDeclined,
    ResultStatus,
    check_amount,
    from_fen,
    to_fen,
)

CURRENCY = "cny"
# Stripe's documented test card; used only when no payment method is configured (the card
# would come from the buyer's browser through Stripe.js in production; there is no card
# entry page here). localstripe accepts raw test card numbers; Stripe wants pm_card_visa.
TEST_CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}


class WebhookSignatureInvalid(GatewayError):
    """The Stripe-Signature header does not match the payload (or is missing/stale)."""


def _translate(err: stripe.StripeError) -> GatewayError:
    message = err.user_message or str(err) or err.__class__.__name__
    code = getattr(err, "code", None)
    if isinstance(err, stripe.APIConnectionError | stripe.RateLimitError):
        return GatewayUnavailable(f"无法连接支付服务：{message}", provider_code=code)
    if isinstance(err, stripe.CardError):
        return PaymentDeclined(f"公务卡支付被拒绝：{message}", provider_code=code or "card_declined")
    status = getattr(err, "http_status", None) or 0
    if isinstance(err, stripe.APIError) or status >= 500:
        return GatewayUnavailable(f"支付服务暂时不可用：{message}", provider_code=code)
    return GatewayRejected(f"支付服务拒绝了请求：{message}", provider_code=code)


class StripeGateway:
    name = "stripe"

    def __init__(self, api_base: str, api_key: str, *, webhook_secret: str = "",
                 payment_method: str | None = None, timeout: float = 10.0,
                 max_network_retries: int = 0):
        self.api_base = api_base.rstrip("/")
        self.webhook_secret = webhook_secret
        self.payment_method = payment_method or None
        # Retries are the ledger's job (same idempotency key, visible to people), so the SDK
        # makes one attempt per call unless told otherwise.
        self._client = stripe.StripeClient(
            api_key, base_addresses={"api": self.api_base},
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout))

    @classmethod
    def from_config(cls, cfg) -> StripeGateway:
        return cls(cfg.stripe_api_base, cfg.stripe_api_key,
                   webhook_secret=cfg.stripe_webhook_secret,
                   payment_method=cfg.stripe_payment_method or None,
                   timeout=cfg.stripe_timeout_seconds)

    # --- calls -------------------------------------------------------------------------

    def _call(self, fn, *args, idempotency_key: str, params: dict | None = None):
        if not idempotency_key:
            raise ValueError("every Stripe call needs an idempotency key")
        try:
            if params is None:
                return fn(*args, options={"idempotency_key": idempotency_key})
            return fn(*args, params=params, options={"idempotency_key": idempotency_key})
        except stripe.StripeError as err:
            raise _translate(err) from err

    def _retrieve(self, reference: str):
        try:
            return self._client.v1.payment_intents.retrieve(reference)
        except stripe.StripeError as err:
            raise _translate(err) from err

    def _payment_method(self, idempotency_key: str) -> str:
        if self.payment_method:
            return self.payment_method
        pm = self._call(self._client.v1.payment_methods.create,
                        idempotency_key=f"{idempotency_key}:pm",
                        params={"type": "card", "card": dict(TEST_CARD)})
        return pm.id

    def authorise(self, *, amount: Decimal, order_ref: str, idempotency_key: str,
                  metadata: dict | None = None, payment_method: str | None = None
                  ) -> GatewayResult:
        amount = check_amount(amount)
        pm = payment_method or self._payment_method(idempotency_key)
        intent = self._call(
            self._client.v1.payment_intents.create, idempotency_key=idempotency_key,
            params={"amount": to_fen(amount), "currency": CURRENCY, "payment_method": pm,
                    "capture_method": "manual", "confirm": True,
                    "metadata": {"order": order_ref, **(metadata or {})}})
        if intent.status != "requires_capture":
            # requires_action (3-D Secure) cannot be completed without the cardholder here.
            raise PaymentDeclined(f"公务卡预授权未成功（状态 {intent.status}）",
                                  provider_code=intent.status)
        return GatewayResult(ResultStatus.AUTHORISED, intent.id, amount, intent.status,
                             {"payment_method": pm})

    def capture(self, reference: str, *, amount: Decimal, idempotency_key: str
                ) -> GatewayResult:
        amount = check_amount(amount)
        try:
            intent = self._call(self._client.v1.payment_intents.capture, reference,
                                idempotency_key=idempotency_key,
                                params={"amount_to_capture": to_fen(amount)})
        except GatewayRejected:
            intent = self._reconcile(reference, "succeeded")
        if intent.status != "succeeded":
            raise GatewayRejected(f"扣款未完成（状态 {intent.status}）",
                                  provider_code=intent.status)
        return GatewayResult(ResultStatus.CAPTURED, intent.id, amount, intent.status,
                             {"charge": _charge_id(intent)})

    def cancel(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        try:
            intent = self._call(self._client.v1.payment_intents.cancel, reference,
                                idempotency_key=idempotency_key, params={})
        except GatewayRejected:
            intent = self._reconcile(reference, "canceled")
        return GatewayResult(ResultStatus.VOIDED, intent.id, from_fen(intent.amount),
                             intent.status)

    def refund(self, reference: str, *, amount: Decimal, idempotency_key: str
               ) -> GatewayResult:
        amount = check_amount(amount)
        refund = self._call(self._client.v1.refunds.create, idempotency_key=idempotency_key,
                            params={"payment_intent": reference, "amount": to_fen(amount)})
        if refund.status not in ("succeeded", "pending"):
            raise GatewayRejected(f"退款未成功（状态 {refund.status}）",
                                  provider_code=refund.status)
        return GatewayResult(ResultStatus.REFUNDED, refund.id, amount, refund.status,
                             {"payment_intent": reference})

    def reauthorise(self, reference: str, *, amount: Decimal, order_ref: str,
                    idempotency_key: str) -> GatewayResult:
        """A new authorisation on the same card, then the old one cancelled (card holds
        expire after 7 days on Stripe)."""
        old = self._retrieve(reference)
        pm = old.payment_method if isinstance(old.payment_method, str) else None
        new = self.authorise(amount=amount, order_ref=order_ref,
                             idempotency_key=idempotency_key, payment_method=pm,
                             metadata={"replaces": reference})
        if old.status in ("requires_capture", "requires_confirmation",
                          "requires_payment_method", "requires_action"):
            self.cancel(reference, idempotency_key=f"{idempotency_key}:cancel-old")
        return GatewayResult(ResultStatus.AUTHORISED, new.reference, amount,
                             new.provider_status, {"replaces": reference})

    def retrieve_status(self, reference: str) -> str:
        return self._retrieve(reference).status

    def _reconcile(self, reference: str, wanted: str):
        """The provider refused a capture/cancel: if the intent is already in the wanted
        state, an earlier attempt went through and its answer was lost (Stripe would replay
        it for the same idempotency key; localstripe cannot). Otherwise re-raise."""
        intent = self._retrieve(reference)
        if intent.status != wanted:
            raise GatewayRejected(f"支付状态不允许此操作（当前 {intent.status}）",
                                  provider_code=intent.status)
        return intent

    # --- webhooks ----------------------------------------------------------------------

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> dict:
        """Verify the Stripe-Signature header and return the event as a plain dict."""
        if not self.webhook_secret:
            raise WebhookSignatureInvalid("未配置 Webhook 签名密钥")
        try:
            event = stripe.Webhook.construct_event(payload, signature_header or "",
                                                   self.webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as err:
            raise WebhookSignatureInvalid("Webhook 签名无效") from err
        return event.to_dict()


def _charge_id(intent) -> str | None:
    charge = intent.latest_charge
    if charge is None or isinstance(charge, str):
        return charge
    return charge.id


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for `payload` as Stripe and localstripe compute it
    (`t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<payload>")`) — for tests and tools that
    deliver events themselves."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"
