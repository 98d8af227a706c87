"""Marshmallow schemas for payments, treasury instructions and contracts (API and pages)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from mall.schemas import Amount, Choice, PageArgs, Pagination, Schema, Text
from orders.models import INSTRUCTION_STATUS_LABELS, InstructionStatus

ACCOUNT = validate.Regexp(r"^\d{6,32}$", error="银行账号应为 6 到 32 位数字")


class RefundIn(Schema):
    amount = Amount()
    reason = Text(max_len=500)
    # The client's idempotency key: the same key refunds once, however often it is sent.
    key = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_-]{1,64}$", error="幂等键应为 1 到 64 位字母、数字、- 或 _"))


class DecisionIn(Schema):
    reason = Text(required=False, max_len=500)


class FinancingIn(Schema):
    financier = Text(max_len=100)
    payee_bank = Text(max_len=100)
    payee_account = fields.String(required=True, validate=ACCOUNT)


class PayeeIn(Schema):
    payee_bank = Text(max_len=100)
    payee_account = fields.String(required=True, validate=ACCOUNT)


class InstructionQuery(PageArgs):
    status = Choice(list(InstructionStatus), labels=INSTRUCTION_STATUS_LABELS, required=False)


class EntryOut(ma.Schema):
    id = fields.Integer()
    kind = fields.String()
    kind_label = fields.String()
    seq = fields.Integer()
    amount = fields.Decimal(as_string=True)
    status = fields.String()
    status_label = fields.String()
    idempotency_key = fields.String()
    provider_ref = fields.String(allow_none=True)
    retryable = fields.Boolean()
    error = fields.String(allow_none=True)
    attempts = fields.Integer()
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)


class PaymentOut(ma.Schema):
    order_id = fields.Integer()
    method = fields.String()
    provider = fields.String()
    provider_ref = fields.String(allow_none=True)
    status = fields.String()
    status_label = fields.String()
    authorised_amount = fields.Decimal(as_string=True)
    captured_amount = fields.Decimal(as_string=True)
    refunded_amount = fields.Decimal(as_string=True)
    authorisation_expires_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    entries = fields.List(fields.Nested(EntryOut))


class RetryOut(ma.Schema):
    entries = fields.List(fields.Integer())
    payment = fields.Nested(PaymentOut)


class InstructionOut(ma.Schema):
    id = fields.Integer()
    number = fields.String()
    order_id = fields.Integer()
    kind = fields.String()
    amount = fields.Decimal(as_string=True)
    payee_name = fields.String()
    payee_bank = fields.String()
    payee_account = fields.String()
    status = fields.String()
    status_label = fields.String()
    reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class InstructionPage(Pagination):
    items = fields.List(fields.Nested(InstructionOut))


class ContractOut(ma.Schema):
    id = fields.Integer()
    number = fields.String()
    order_id = fields.Integer()
    total = fields.Decimal(as_string=True)
    total_in_words = fields.String()
    payment_term_days = fields.Integer()
    payee_bank = fields.String()
    payee_account = fields.String()
    financed = fields.Boolean()
    financier = fields.String(allow_none=True)
    signed_on = fields.Date()


class WebhookOut(ma.Schema):
    received = fields.Boolean()
    duplicate = fields.Boolean()

