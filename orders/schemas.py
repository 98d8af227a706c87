"""Marshmallow schemas for budget units and lines."""

from __future__ import annotations

from marshmallow import fields, validate

from mall.schemas import Amount, Choice, PageArgs, Pagination, Schema, Text
from orders.models import (
    ACCEPTANCE_RESULT_LABELS,
    BUDGET_PURPOSE_LABELS,
    ORDER_STATUS_LABELS,
    PAYMENT_METHOD_LABELS,
    UNIT_LEVEL_LABELS,
    AcceptanceResult,
    BudgetPurpose,
    OrderSource,
    OrderStatus,
    PaymentMethod,
    UnitLevel,
)

REGION = validate.Regexp(r"^[1-8]\d{5}$", error="行政区划代码应为 6 位数字，如 330100")


class UnitIn(Schema):
    code = Text(max_len=32)
    name = Text(max_len=200)
    region_code = fields.String(required=True, validate=REGION)
    level = Choice(list(UnitLevel), labels=UNIT_LEVEL_LABELS)
    parent_id = fields.Integer(load_default=None, allow_none=True)
    purchase_limit = Amount(required=False, load_default=None, allow_none=True)


class UnitOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    region_code = fields.String()
    level = fields.String()
    parent_id = fields.Integer(allow_none=True)
    purchase_limit = fields.Decimal(as_string=True, allow_none=True)


class UnitPage(Pagination):
    items = fields.List(fields.Nested(UnitOut))


class LineIn(Schema):
    fiscal_year = fields.Integer(required=True, validate=validate.Range(
        min=2000, max=2100, error="预算年度应在 2000 到 2100 之间"))
    name = Text(max_len=200)
    purpose = Choice(list(BudgetPurpose), labels=BUDGET_PURPOSE_LABELS)
    amount = Amount()


class LineOut(Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    fiscal_year = fields.Integer()
    name = fields.String()
    purpose = fields.String()
    amount = fields.Decimal(as_string=True)
    frozen = fields.Decimal(as_string=True)
    spent = fields.Decimal(as_string=True)
    available = fields.Decimal(as_string=True)


class LineQuery(Schema):
    fiscal_year = fields.Integer(load_default=None)


# --- cart, checkout, orders ---------------------------------------------------------------

PHONE = validate.Regexp(r"^[0-9+\-() ]{5,20}$", error="联系电话格式不正确")
QUANTITY = validate.Range(min=1, max=100000, error="数量应在 1 到 100000 之间")


class CartLineIn(Schema):
    offer_id = fields.Integer(required=True)
    quantity = fields.Integer(load_default=1, validate=QUANTITY)


class CartQuantityIn(Schema):
    quantity = fields.Integer(required=True, validate=QUANTITY)


class SavedCartIn(Schema):
    name = Text(max_len=60)


class ProblemOut(Schema):
    code = fields.String()
    message = fields.String()


class CartLineOut(Schema):
    offer_id = fields.Integer(attribute="offer.id")
    title = fields.String(attribute="offer.title")
    quantity = fields.Integer(attribute="line.quantity")
    seen_price = fields.Decimal(as_string=True, attribute="line.seen_price")
    price = fields.Decimal(as_string=True, attribute="offer.price")
    amount = fields.Decimal(as_string=True)
    price_changed = fields.Boolean()
    stock = fields.Integer(attribute="offer.stock")
    problems = fields.List(fields.Nested(ProblemOut))


class CartGroupOut(Schema):
    supplier_id = fields.Integer(attribute="supplier.id")
    supplier_name = fields.String(attribute="supplier.name")
    total = fields.Decimal(as_string=True)
    lines = fields.List(fields.Nested(CartLineOut))


class CartOut(Schema):
    groups = fields.List(fields.Nested(CartGroupOut))
    total = fields.Decimal(as_string=True)
    warnings = fields.List(fields.String())
    notices = fields.List(fields.String(), metadata={"description": "化整为零 flags"})
    ready = fields.Boolean(metadata={"description": "every line passes the checkout rules"})


class SavedCartOut(Schema):
    id = fields.Integer()
    name = fields.String()
    line_count = fields.Function(lambda cart: len(cart.lines))
    updated_at = fields.DateTime()


class CheckoutIn(Schema):
    budget_line_id = fields.Integer(required=True)
    payment_method = Choice(list(PaymentMethod), labels=PAYMENT_METHOD_LABELS)
    delivery_address = Text(max_len=300)
    contact_name = Text(max_len=50)
    contact_phone = fields.String(required=True, validate=PHONE)
    buyer_note = Text(max_len=500, required=False, load_default=None, allow_none=True)


class OrderLineOut(Schema):
    id = fields.Integer()
    offer_id = fields.Integer(allow_none=True)
    title = fields.String()
    category_code = fields.String()
    category_name = fields.String()
    unit_price = fields.Decimal(as_string=True)
    quantity = fields.Integer()
    amount = fields.Decimal(as_string=True)
    is_832 = fields.Boolean()
    is_green = fields.Boolean()
    is_sme = fields.Boolean()
    is_small_micro = fields.Boolean()


class AcceptanceOut(Schema):
    result = fields.String()
    accepted_amount = fields.Decimal(as_string=True)
    inspector = fields.String()
    notes = fields.String()
    accepted_on = fields.Date()


class OrderSummaryOut(Schema):
    id = fields.Integer()
    number = fields.String()
    status = fields.String()
    status_label = fields.String()
    unit_id = fields.Integer()
    supplier_id = fields.Integer()
    budget_line_id = fields.Integer()
    payment_method = fields.String()
    source = fields.String()
    calloff_id = fields.Integer(allow_none=True)
    total = fields.Decimal(as_string=True)
    accepted_amount = fields.Decimal(as_string=True, allow_none=True)
    paid_amount = fields.Decimal(as_string=True, allow_none=True)
    split_flag = fields.Boolean()
    split_note = fields.String(allow_none=True)
    confirm_by = fields.Date()
    due_date = fields.Date(allow_none=True)
    days_to_pay = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class EventOut(Schema):
    at = fields.DateTime()
    action = fields.String()
    actor_role = fields.String(allow_none=True)
    after = fields.Dict()


class OrderOut(OrderSummaryOut):
    status_note = fields.String(allow_none=True)
    buyer_id = fields.Integer()
    delivery_address = fields.String()
    contact_name = fields.String()
    contact_phone = fields.String()
    buyer_note = fields.String(allow_none=True)
    carrier = fields.String(allow_none=True)
    tracking_no = fields.String(allow_none=True)
    confirmed_at = fields.DateTime(allow_none=True)
    shipped_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(OrderLineOut))
    acceptance = fields.Nested(AcceptanceOut, allow_none=True)
    actions = fields.List(fields.String(), metadata={"description": "what the caller may do now"})
    events = fields.List(fields.Nested(EventOut))


class OrderPage(Pagination):
    items = fields.List(fields.Nested(OrderSummaryOut))


class CheckoutOut(Schema):
    created = fields.Boolean(metadata={"description": "false: the key was used before"})
    orders = fields.List(fields.Nested(OrderOut))
    warnings = fields.List(fields.String())


class OrderQuery(PageArgs):
    status = Choice(list(OrderStatus), labels=ORDER_STATUS_LABELS, required=False)
    overdue = fields.Boolean(load_default=False)
    split_flag = fields.Boolean(load_default=None, allow_none=True)
    source = Choice(list(OrderSource), required=False)
    unit_id = fields.Integer(load_default=None)
    supplier_id = fields.Integer(load_default=None)


class ReasonIn(Schema):
    reason = Text(max_len=500)


class ShipIn(Schema):
    carrier = Text(max_len=100, required=False, load_default=None, allow_none=True)
    tracking_no = Text(max_len=100, required=False, load_default=None, allow_none=True)


class AcceptIn(Schema):
    result = Choice(list(AcceptanceResult), labels=ACCEPTANCE_RESULT_LABELS)
    inspector = Text(max_len=50)
    notes = fields.String(load_default="", validate=validate.Length(
        max=2000, error="验收意见不超过 2000 字"))
    accepted_amount = Amount(required=False, load_default=None, allow_none=True)
