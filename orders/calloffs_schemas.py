"""Marshmallow schemas for framework-agreement call-offs (/api/v1/calloffs) and page forms."""

from __future__ import annotations

from marshmallow import fields, validate

from mall.schemas import Amount, Choice, PageArgs, Pagination, Schema, Text
from orders.calloffs import DECLINE_REASONS, DIRECT_REASONS
from orders.models import (
    CALLOFF_STATUS_LABELS,
    PAYMENT_METHOD_LABELS,
    CallOffStatus,
    PaymentMethod,
)
from suppliers.agreements_schemas import LocalDateTime
from suppliers.models import CALLOFF_METHOD_LABELS, CallOffMethod


class CallOffIn(Schema):
    agreement_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    method = Choice(list(CallOffMethod), labels=CALLOFF_METHOD_LABELS)
    quantity = fields.Integer(required=True, validate=validate.Range(
        min=1, max=10_000_000, error="数量应在 1 到 10000000 之间"))
    budget_line_id = fields.Integer(required=True)
    budget_amount = Amount()
    requirement = Text(required=False, load_default="", min_len=0, max_len=5000)
    deadline = LocalDateTime(load_default=None, allow_none=True)
    member_id = fields.Integer(load_default=None, allow_none=True)
    unit_price = Amount(required=False, load_default=None, allow_none=True)
    reason_code = Choice(list(DIRECT_REASONS), labels=DIRECT_REASONS, required=False,
                         load_default=None)
    reason_note = Text(required=False, load_default=None, max_len=500)
    payment_method = Choice(list(PaymentMethod), labels=PAYMENT_METHOD_LABELS, required=False,
                            load_default=PaymentMethod.TREASURY.value)


class BidIn(Schema):
    unit_price = Amount()


class DeclineIn(Schema):
    reason_code = Choice(list(DECLINE_REASONS), labels=DECLINE_REASONS)


class CallOffQuery(PageArgs):
    status = Choice(list(CallOffStatus), labels=CALLOFF_STATUS_LABELS, required=False,
                    load_default=None)
    agreement_id = fields.Integer(load_default=None)


class CallOffOut(Schema):
    id = fields.Integer()
    number = fields.String(allow_none=True)
    agreement_id = fields.Integer()
    item_id = fields.Integer()
    unit_id = fields.Integer()
    budget_line_id = fields.Integer()
    method = fields.String()
    requirement = fields.String()
    quantity = fields.Integer()
    budget_amount = fields.Decimal(as_string=True)
    deadline = fields.DateTime(allow_none=True)
    status = fields.String()
    reason_code = fields.String(allow_none=True)
    reason_note = fields.String(allow_none=True)
    offered_member_id = fields.Integer(allow_none=True)
    awarded_supplier_id = fields.Integer(allow_none=True)
    agreed_unit_price = fields.Decimal(as_string=True, allow_none=True)
    awarded_unit_price = fields.Decimal(as_string=True, allow_none=True)
    awarded_total = fields.Decimal(as_string=True, allow_none=True)
    awarded_at = fields.DateTime(allow_none=True)
    result_due_by = fields.Date(allow_none=True)
    result_published_at = fields.DateTime(allow_none=True)
    payment_method = fields.String()
    order_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class CallOffPage(Pagination):
    items = fields.List(fields.Nested(CallOffOut))


class BidOut(Schema):
    id = fields.Integer()
    calloff_id = fields.Integer()
    supplier_id = fields.Integer()
    unit_price = fields.Decimal(as_string=True)
    submitted_at = fields.DateTime()


class SavingsOut(Schema):
    calloff_id = fields.Integer()
    number = fields.String()
    agreement_id = fields.Integer()
    unit_id = fields.Integer()
    method = fields.String()
    quantity = fields.Integer()
    budget_amount = fields.Decimal(as_string=True)
    agreed_total = fields.Decimal(as_string=True)
    awarded_total = fields.Decimal(as_string=True)
    saving_vs_budget = fields.Decimal(as_string=True)
    saving_vs_agreed = fields.Decimal(as_string=True)
    awarded_at = fields.DateTime()


class SavingsQuery(Schema):
    agreement_id = fields.Integer(load_default=None)


class DirectSummaryOut(Schema):
    agreement_id = fields.Integer()
    count = fields.Integer()
    total = fields.Decimal(as_string=True)
    by_reason = fields.Dict(keys=fields.String(), values=fields.Integer())
    calloffs = fields.List(fields.Nested(CallOffOut))
