"""Marshmallow schemas for supplier registration, profiles and status decisions."""

from __future__ import annotations

from marshmallow import fields, validate

from mall.schemas import Choice, PageArgs, Pagination, Schema, Text
from suppliers.models import SIZE_LABELS, STATUS_LABELS, SupplierSize, SupplierStatus
from suppliers.status import ACTION_LABELS, TRANSITIONS

PHONE = validate.Regexp(r"^[0-9+\-() ]{7,20}$", error="联系电话格式不正确")
ACCOUNT = validate.Regexp(r"^[0-9 ]{8,32}$", error="银行账号应为 8 到 32 位数字")


class RegistrationIn(Schema):
    uscc = fields.String(required=True, metadata={"description": "统一社会信用代码"})
    name = Text(max_len=200)
    region_code = fields.String(required=True)
    size = Choice(list(SupplierSize), labels=SIZE_LABELS)
    contact_name = Text(max_len=50)
    contact_phone = fields.String(required=True, validate=PHONE)
    contact_email = fields.Email(load_default=None, allow_none=True)
    bank_name = Text(max_len=100)
    bank_account = fields.String(required=True, validate=ACCOUNT)
    username = Text(max_len=64, min_len=3)
    password = Text(max_len=200, min_len=8)


class SupplierOut(Schema):
    id = fields.Integer()
    uscc = fields.String()
    name = fields.String()
    region_code = fields.String()
    size = fields.String()
    is_832 = fields.Boolean()
    status = fields.String()
    status_reason_code = fields.String(allow_none=True)
    status_note = fields.String(allow_none=True)
    status_until = fields.Date(allow_none=True)


class SupplierPrivateOut(SupplierOut):
    contact_name = fields.String()
    contact_phone = fields.String()
    contact_email = fields.String(allow_none=True)
    bank_name = fields.String()
    bank_account = fields.String()


class SupplierPage(Pagination):
    items = fields.List(fields.Nested(SupplierOut))


class SupplierQuery(PageArgs):
    status = Choice(list(SupplierStatus), labels=STATUS_LABELS, required=False,
                    load_default=None)


class StatusChangeIn(Schema):
    action = Choice(list(TRANSITIONS), labels=ACTION_LABELS)
    reason_code = fields.String(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=500, error="说明不超过 500 字"))
    until = fields.Date(load_default=None, allow_none=True)
