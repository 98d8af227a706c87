"""Marshmallow base for every API body and page form, with messages in Simplified Chinese."""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import fields, validate

# Default messages people read (the library's are English). Set once, here.
_MESSAGES = {
    fields.Field: {"required": "此项为必填项", "null": "此项不能为空",
                   "validator_failed": "取值无效"},
    fields.String: {"invalid": "应为文本"},
    fields.Integer: {"invalid": "应为整数"},
    fields.Decimal: {"invalid": "应为数字金额", "special": "应为有效数字"},
    fields.Boolean: {"invalid": "应为是或否"},
    fields.Date: {"invalid": "日期格式应为 YYYY-MM-DD"},
    fields.DateTime: {"invalid": "时间格式无效"},
    fields.Email: {"invalid": "电子邮箱格式不正确"},
    fields.List: {"invalid": "应为列表"},
    fields.Nested: {"type": "格式无效"},
}
for _cls, _msgs in _MESSAGES.items():
    _cls.default_error_messages = {**_cls.default_error_messages, **_msgs}
ma.Schema._default_error_messages = {**ma.Schema._default_error_messages,
                                     "unknown": "不允许的字段", "type": "请求体格式无效"}


class Schema(ma.Schema):
    class Meta:
        unknown = ma.RAISE
        ordered = True


def Text(*, required: bool = True, max_len: int = 200, min_len: int = 1, **kw) -> fields.String:
    """A trimmed text field with a length check and Chinese messages."""
    return fields.String(
        required=required,
        validate=validate.Length(min=min_len, max=max_len,
                                 error=f"长度应在 {min_len} 到 {max_len} 个字符之间"),
        **kw)


def Choice(values, *, labels: dict | None = None, required: bool = True, **kw) -> fields.String:
    names = "、".join(str((labels or {}).get(v, v)) for v in values)
    return fields.String(required=required,
                         validate=validate.OneOf([str(v) for v in values],
                                                 error=f"应为以下之一：{names}"), **kw)


def Amount(*, required: bool = True, minimum: str = "0.01", **kw) -> fields.Decimal:
    """A CNY amount: Decimal with two places, as a string in JSON."""
    return fields.Decimal(
        required=required, places=2, as_string=True,
        validate=validate.Range(min=Decimal(minimum), max=Decimal("999999999999.99"),
                                error=f"金额应不小于 {minimum} 元"), **kw)


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, error="页码从 1 开始"))
    per_page = fields.Integer(load_default=20,
                              validate=validate.Range(min=1, max=100,
                                                      error="每页 1 到 100 条"))


class Pagination(ma.Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
