"""Marshmallow schemas for budget units and lines."""

from __future__ import annotations

from marshmallow import fields, validate

from mall.schemas import Amount, Choice, Pagination, Schema, Text
from orders.models import BUDGET_PURPOSE_LABELS, UNIT_LEVEL_LABELS, BudgetPurpose, UnitLevel

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
