"""Marshmallow schemas for framework agreements (/api/v1/agreements) and their page forms."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import fields, validate

from mall.clock import SHANGHAI
from mall.schemas import Amount, Choice, PageArgs, Pagination, Schema, Text
from suppliers.agreements import (
    LEAVE_CAUSES,
    MEMBER_REASONS,
    TERMINATE_REASONS,
)
from suppliers.models import (
    AGREEMENT_KIND_LABELS,
    AGREEMENT_STATUS_LABELS,
    CALLOFF_METHOD_LABELS,
    EVALUATION_LABELS,
    AgreementKind,
    AgreementStatus,
    CallOffMethod,
    EvaluationMethod,
)

CATEGORY_CODE = validate.Regexp(r"^[ABC]\d{2,14}$", error="品目代码格式如 A02010105")


def LocalDateTime(**kw) -> fields.AwareDateTime:
    """A date and time; without an offset it is read as Beijing time (Asia/Shanghai)."""
    return fields.AwareDateTime(default_timezone=SHANGHAI,
                                error_messages={"invalid": "时间格式无效，应为 YYYY-MM-DDTHH:MM"},
                                **kw)


def Ratio(*, low: str, high: str, default: str, message: str) -> fields.Decimal:
    return fields.Decimal(load_default=Decimal(default), places=2, as_string=True,
                          validate=validate.Range(min=Decimal(low), max=Decimal(high),
                                                  error=message))


class ItemIn(Schema):
    name = Text(max_len=200)
    category_code = fields.String(required=True, validate=CATEGORY_CODE)
    spec = Text(required=False, load_default="", min_len=0, max_len=2000)
    unit = Text(required=False, load_default="台", max_len=16)
    est_quantity = fields.Integer(required=True, validate=validate.Range(
        min=1, max=10_000_000, error="预估数量应在 1 到 10000000 之间"))
    max_unit_price = Amount()


class AgreementIn(Schema):
    title = Text(max_len=200)
    kind = Choice(list(AgreementKind), labels=AGREEMENT_KIND_LABELS)
    description = Text(required=False, load_default="", min_len=0, max_len=5000)
    evaluation_method = Choice(list(EvaluationMethod), labels=EVALUATION_LABELS,
                               required=False, load_default=EvaluationMethod.PRICE.value)
    # The 20% floor is a procurement rule (refused with its own code), not a format check.
    elimination_ratio = Ratio(low="0", high="0.90", default="0.20",
                              message="淘汰比例应在 0 到 0.90 之间")
    sme_deduction = Ratio(low="0.10", high="0.20", default="0.10",
                          message="小微企业价格扣除比例应在 0.10 到 0.20 之间")
    calloff_methods = fields.List(
        Choice(list(CallOffMethod), labels=CALLOFF_METHOD_LABELS), required=True,
        validate=validate.Length(min=1, error="至少选择一种采购方式"))
    bid_working_days = fields.Integer(load_default=3, validate=validate.Range(
        min=1, max=20, error="二次竞价最短期限应为 1 到 20 个工作日"))
    response_deadline = LocalDateTime(load_default=None, allow_none=True)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    items = fields.List(fields.Nested(ItemIn), required=True,
                        validate=validate.Length(min=1, max=50, error="标的数量应为 1 到 50 个"))


class ItemOut(Schema):
    id = fields.Integer()
    line_no = fields.Integer()
    name = fields.String()
    category_code = fields.String()
    spec = fields.String()
    unit = fields.String()
    est_quantity = fields.Integer()
    max_unit_price = fields.Decimal(as_string=True)


class AgreementOut(Schema):
    id = fields.Integer()
    number = fields.String(allow_none=True)
    title = fields.String()
    kind = fields.String()
    status = fields.String()
    description = fields.String()
    evaluation_method = fields.String()
    elimination_ratio = fields.Decimal(as_string=True)
    sme_deduction = fields.Decimal(as_string=True)
    calloff_methods = fields.List(fields.String())
    bid_working_days = fields.Integer()
    response_deadline = fields.DateTime(allow_none=True)
    round = fields.Integer()
    valid_from = fields.Date()
    valid_until = fields.Date()
    published_at = fields.DateTime(allow_none=True)
    result_published_at = fields.DateTime(allow_none=True)
    items = fields.List(fields.Nested(ItemOut))


class AgreementDetailOut(AgreementOut):
    response_count = fields.Integer()


class AgreementPage(Pagination):
    items = fields.List(fields.Nested(AgreementOut))


class AgreementQuery(PageArgs):
    status = Choice(list(AgreementStatus), labels=AGREEMENT_STATUS_LABELS, required=False,
                    load_default=None)
    kind = Choice(list(AgreementKind), labels=AGREEMENT_KIND_LABELS, required=False,
                  load_default=None)


class PriceIn(Schema):
    item_id = fields.Integer(required=True)
    unit_price = Amount()


class ResponseIn(Schema):
    prices = fields.List(fields.Nested(PriceIn), required=True,
                         validate=validate.Length(min=1, error="须对每个标的报价"))
    sme_declared = fields.Boolean(load_default=False)
    documents = Text(required=False, load_default="", min_len=0, max_len=5000)


class PriceOut(Schema):
    item_id = fields.Integer()
    unit_price = fields.Decimal(as_string=True)


class ResponseOut(Schema):
    id = fields.Integer()
    agreement_id = fields.Integer()
    round = fields.Integer()
    supplier_id = fields.Integer()
    supplier_name = fields.Function(lambda r: r.supplier.name)
    declared_size = fields.String(allow_none=True)
    documents = fields.String()
    submitted_at = fields.DateTime()
    quoted_total = fields.Decimal(as_string=True)
    quality_score = fields.Decimal(as_string=True, allow_none=True)
    evaluated_price = fields.Decimal(as_string=True, allow_none=True)
    rank = fields.Integer(allow_none=True)
    shortlisted = fields.Boolean()
    valid = fields.Boolean()
    invalid_reason = fields.String(allow_none=True)
    prices = fields.List(fields.Nested(PriceOut))


class ScoreIn(Schema):
    response_id = fields.Integer(required=True)
    score = fields.Decimal(required=True, places=2, as_string=True, validate=validate.Range(
        min=Decimal("0"), max=Decimal("100"), error="得分应在 0 到 100 之间"))


class ScoresIn(Schema):
    scores = fields.List(fields.Nested(ScoreIn), required=True,
                         validate=validate.Length(min=1, error="至少录入一个得分"))


class EvaluateIn(Schema):
    shortlist_size = fields.Integer(load_default=None, allow_none=True,
                                    validate=validate.Range(min=1, error="入围数量至少为 1"))


class SupplementIn(Schema):
    response_deadline = LocalDateTime(required=True)


class TerminateIn(Schema):
    reason_code = Choice(list(TERMINATE_REASONS), labels=TERMINATE_REASONS)
    note = Text(required=False, load_default=None, max_len=500)


class MemberStatusIn(Schema):
    action = Choice(["suspend", "reinstate", "remove"],
                    labels={"suspend": "暂停", "reinstate": "恢复", "remove": "移出"})
    reason_code = Choice(list(MEMBER_REASONS), labels=MEMBER_REASONS, required=False,
                         load_default=None)
    note = Text(required=False, load_default=None, max_len=500)


class LeaveIn(Schema):
    reason_code = Choice(list(LEAVE_CAUSES), labels=LEAVE_CAUSES, required=False,
                         load_default=None)
    note = Text(required=False, load_default=None, max_len=500)


class MemberPriceOut(Schema):
    item_id = fields.Integer()
    agreed_price = fields.Decimal(as_string=True)


class MemberOut(Schema):
    id = fields.Integer()
    agreement_id = fields.Integer()
    supplier_id = fields.Integer()
    supplier_name = fields.Function(lambda m: m.supplier.name)
    supplier_size = fields.Function(lambda m: m.supplier.size)
    rank = fields.Integer(allow_none=True)
    rotation_position = fields.Integer()
    status = fields.String()
    status_reason_code = fields.String(allow_none=True)
    status_note = fields.String(allow_none=True)
    joined_at = fields.DateTime()
    prices = fields.List(fields.Nested(MemberPriceOut))


class NoticeOut(Schema):
    id = fields.Integer()
    agreement_id = fields.Integer()
    kind = fields.String()
    ref_id = fields.Integer(allow_none=True)
    title = fields.String()
    body = fields.String()
    published_at = fields.DateTime()
