"""The one payment gateway interface (支付网关) and its result and error types.

Two implementations: `orders.stripe_gateway.StripeGateway` (公务卡 through Stripe) and
`orders.treasury.TreasuryGateway` (国库集中支付: a payment instruction finance confirms).
Amounts cross this boundary as Decimal CNY with two places; each implementation converts
(Stripe wants integer fen). Every call carries an idempotency key chosen by the caller, so
repeating a call after a failure never moves money twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from mall.money import CENT


class GatewayError(Exception):
    """Base of every gateway failure. `retryable` tells the ledger whether the same call with
    the same idempotency key may be tried again."""

    retryable = False

    def __init__(self, message: str, *, provider_code: str | None = None):
        super().__init__(message)
        self.message = message
        self.provider_code = provider_code


class GatewayUnavailable(GatewayError):
    """The provider could not be reached or answered 5xx/429 (网络故障): retry later."""

    retryable = True


class PaymentDeclined(GatewayError):
    """The card issuer declined (拒付): a new authorisation is needed, not a retry."""


class GatewayRejected(GatewayError):
    """The provider refused the request as invalid for the payment's current state."""


class ResultStatus(StrEnum):
    AUTHORISED = "authorised"  # funds held (预授权)
    CAPTURED = "captured"  # money taken (扣款)
    VOIDED = "voided"  # authorisation released (撤销)
    REFUNDED = "refunded"  # money given back (退款)
    PENDING = "pending"  # recorded, waiting for a person (国库支付指令待确认)


@dataclass(frozen=True)
class GatewayResult:
    """What a gateway call did: the provider's reference (pi_…, re_…, ZF-…) and the amount."""

    status: ResultStatus
    reference: str
    amount: Decimal
    provider_status: str = ""
    details: dict = field(default_factory=dict)


class PaymentGateway(Protocol):
    """Authorise → capture (full or partial) | cancel; refund after capture; re-authorise an
    authorisation that would expire. `reference` is the provider's id of the payment."""

    name: str

    def authorise(self, *, amount: Decimal, order_ref: str, idempotency_key: str,
                  metadata: dict | None = None) -> GatewayResult: ...

    def capture(self, reference: str, *, amount: Decimal, idempotency_key: str
                ) -> GatewayResult: ...

    def cancel(self, reference: str, *, idempotency_key: str) -> GatewayResult: ...

    def refund(self, reference: str, *, amount: Decimal, idempotency_key: str
               ) -> GatewayResult: ...

    def reauthorise(self, reference: str, *, amount: Decimal, order_ref: str,
                    idempotency_key: str) -> GatewayResult: ...


def check_amount(amount: Decimal) -> Decimal:
    """A positive CNY amount with at most two places (raises ValueError otherwise)."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"amount must be a Decimal, got {amount!r}")
    if amount <= 0 or amount != amount.quantize(CENT):
        raise ValueError(f"amount must be positive with at most two places: {amount}")
    return amount.quantize(CENT)


def to_fen(amount: Decimal) -> int:
    """Decimal CNY → integer fen (分), exact."""
    return int(check_amount(amount) * 100)


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(CENT)
