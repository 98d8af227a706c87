"""Marshmallow schemas for offers, review decisions and uploads."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from catalog.models import CERT_LABELS, OFFER_STATUS_LABELS, CertificateKind, OfferStatus
from catalog.offers import ACTION_LABELS, TRANSITIONS
from mall.schemas import Amount, Choice, PageArgs, Pagination, Schema, Text

COUNT = {"validate": validate.Range(min=0, max=10_000_000, error="应为 0 到 10000000 之间的整数")}


class CertificateIn(Schema):
    kind = Choice(list(CertificateKind), labels=CERT_LABELS)
    number = Text(max_len=60)
    certifier = Text(max_len=100)
    scope = Text(max_len=200, required=False, load_default="")
    valid_until = fields.Date(required=True)


class OfferFields(Schema):
    title = Text(max_len=200, min_len=4, required=False)
    price = Amount(required=False)
    market_price = Amount(required=False, allow_none=True)
    market_price_source = Text(max_len=200, required=False, allow_none=True)
    stock = fields.Integer(**COUNT)
    min_order_qty = fields.Integer(validate=validate.Range(min=1, max=100000,
                                                           error="起订量应为 1 到 100000"))
    delivery_regions = fields.Raw(metadata={"description": "全国, or a list of region codes"})
    lead_time_days = fields.Integer(validate=validate.Range(min=0, max=365,
                                                            error="供货周期应为 0 到 365 天"))
    warranty_months = fields.Integer(validate=validate.Range(min=0, max=120,
                                                             error="质保期应为 0 到 120 个月"))
    claims_green = fields.Boolean()
    category_code = fields.String(validate=validate.Regexp(r"^[ABC]\d{0,10}$",
                                                           error="品目编码格式不正确"))
    brand = Text(max_len=60, required=False)
    model = Text(max_len=100, required=False)
    specs = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=40)),
                        values=fields.String(validate=validate.Length(max=200)))
    description = fields.String(validate=validate.Length(max=5000, error="描述不超过 5000 字"))


class OfferIn(OfferFields):
    """A new listing: the product (category, brand, model) and the offer terms."""

    category_code = fields.String(required=True, validate=validate.Regexp(
        r"^[ABC]\d{0,10}$", error="品目编码格式不正确"))
    brand = Text(max_len=60)
    model = Text(max_len=100)
    title = Text(max_len=200, min_len=4)
    price = Amount()
    stock = fields.Integer(load_default=0, **COUNT)
    delivery_regions = fields.Raw(load_default="全国")
    certificates = fields.List(fields.Nested(CertificateIn), load_default=list)
    submit = fields.Boolean(load_default=False)


class OfferEdit(OfferFields):
    """Any subset of the listing fields."""

    @validates_schema
    def not_empty(self, data, **_kw):
        if not data:
            raise ValidationError("没有要修改的字段")


class OfferOut(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    supplier_id = fields.Integer()
    title = fields.String()
    price = fields.Decimal(as_string=True)
    market_price = fields.Decimal(as_string=True, allow_none=True)
    market_price_source = fields.String(allow_none=True)
    stock = fields.Integer()
    min_order_qty = fields.Integer()
    delivery_regions = fields.List(fields.String())
    lead_time_days = fields.Integer()
    warranty_months = fields.Integer()
    claims_green = fields.Boolean()
    status = fields.String()
    status_reason_code = fields.String(allow_none=True)
    status_note = fields.String(allow_none=True)
    version = fields.Integer()


class OfferPage(Pagination):
    items = fields.List(fields.Nested(OfferOut))


class OfferQuery(PageArgs):
    status = Choice(list(OfferStatus), labels=OFFER_STATUS_LABELS, required=False,
                    load_default=None)


class TransitionIn(Schema):
    action = Choice(list(TRANSITIONS), labels=ACTION_LABELS)
    reason_code = fields.String(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=500, error="说明不超过 500 字"))


class RestockIn(Schema):
    stock = fields.Integer(required=True, **COUNT)


class BulkPriceIn(Schema):
    offer_ids = fields.List(fields.Integer(), required=True,
                            validate=validate.Length(min=1, max=1000, error="一次 1 到 1000 个商品"))
    mode = Choice(["set", "percent"], labels={"set": "设为", "percent": "按百分比"})
    value = fields.Decimal(required=True, places=2, as_string=True,
                           validate=validate.Range(min=-90, max=1_000_000,
                                                   error="调价幅度或价格超出范围"))


class BulkApproveIn(Schema):
    offer_ids = fields.List(fields.Integer(), required=True,
                            validate=validate.Length(min=1, max=500, error="一次 1 到 500 个商品"))


class VersionOut(Schema):
    number = fields.Integer()
    state = fields.String()
    data = fields.Dict()
    changed_by = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class FindingOut(Schema):
    code = fields.String()
    message = fields.String()


class QueueItemOut(Schema):
    offer = fields.Nested(OfferOut)
    kind = fields.String(metadata={"description": "new (新上架) or change (变更)"})
    proposed = fields.Dict()
    findings = fields.List(fields.Nested(FindingOut))


class UploadArgs(Schema):
    apply_valid_rows = fields.Boolean(load_default=False)
    submit = fields.Boolean(load_default=True)


class TemplateArgs(Schema):
    format = Choice(["xlsx", "csv"], required=False, load_default="xlsx")
