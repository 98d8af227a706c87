"""Marshmallow schemas of the search API and pages (查询参数与结果)."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import ValidationError, fields, validate, validates_schema

from mall.schemas import Choice, PageArgs, Schema
from search.query import CERT_KINDS, SIZES, SORT_LABELS, SORTS
from suppliers.models import SIZE_LABELS

STORES = ("832", "green")
STORE_LABELS = {"832": "832 馆", "green": "绿色馆"}
CERT_KIND_LABELS = {"energy": "节能", "environment": "环境标志"}


def _price(**kw):
    return fields.Decimal(places=2, as_string=True, load_default=None, allow_none=True,
                          validate=validate.Range(min=Decimal("0"),
                                                  max=Decimal("999999999999.99"),
                                                  error="价格应为不小于 0 的金额"), **kw)


class SearchArgs(PageArgs):
    q = fields.String(load_default="", validate=validate.Length(
        max=100, error="搜索词不超过 100 个字符"), metadata={"description": "free text"})
    category = fields.String(load_default=None, validate=validate.Regexp(
        r"^[ABC]\d{0,10}$", error="品目编码格式不正确"),
        metadata={"description": "品目 code; includes its sub-categories"})
    brand = fields.List(fields.String(validate=validate.Length(min=1, max=60,
                                                               error="品牌长度应为 1 到 60")),
                        load_default=list, validate=validate.Length(max=20, error="最多 20 个品牌"))
    price_min = _price()
    price_max = _price()
    size = fields.List(Choice(SIZES, labels=SIZE_LABELS), load_default=list)
    is_832 = fields.Boolean(load_default=False, metadata={"description": "832 suppliers only"})
    green = fields.Boolean(load_default=False,
                           metadata={"description": "valid green certificate only"})
    cert = Choice(CERT_KINDS, labels=CERT_KIND_LABELS, required=False, load_default=None)
    region = fields.String(load_default=None, validate=validate.Regexp(
        r"^\d{6}$", error="地区应为 6 位行政区划代码"),
        metadata={"description": "deliverable to this region"})
    deliverable = fields.Boolean(load_default=False,
                                 metadata={"description": "deliverable to my unit's region"})
    in_stock = fields.Boolean(load_default=False)
    province = fields.String(load_default=None, validate=validate.Regexp(
        r"^\d{2}$", error="省份应为 2 位代码"))
    county = fields.String(load_default=None, validate=validate.Regexp(
        r"^\d{6}$", error="县应为 6 位行政区划代码"))
    store = Choice(STORES, labels=STORE_LABELS, required=False, load_default=None)
    sort = Choice(SORTS, labels=SORT_LABELS, required=False, load_default="relevance")
    slots = fields.Boolean(load_default=True, metadata={"description": "priority slots"})

    @validates_schema
    def _price_range(self, data, **_kw):
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and Decimal(low) > Decimal(high):
            raise ValidationError("最低价不能高于最高价", field_name="price_max")


class SuggestArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(
        min=1, max=50, error="请输入 1 到 50 个字符"))


class OfferHitOut(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    title = fields.String()
    highlight = fields.String(metadata={"description": "title with <mark> around matches"})
    brand = fields.String()
    model = fields.String()
    category_code = fields.String()
    category_name = fields.String()
    price = fields.String()
    stock = fields.Integer()
    sales_count = fields.Integer()
    delivery_regions = fields.List(fields.String())
    supplier_id = fields.Integer()
    supplier_name = fields.String()
    supplier_size = fields.String()
    is_832 = fields.Boolean()
    green = fields.List(fields.String(), metadata={"description": "valid certificate kinds"})
    priority = fields.List(fields.String(), metadata={"description": "why in a priority slot"})
    url = fields.String()


class GroupOut(Schema):
    product_id = fields.Integer()
    offer_count = fields.Integer()
    min_price = fields.String()
    offer = fields.Nested(OfferHitOut)


class FacetValueOut(Schema):
    value = fields.String()
    label = fields.String()
    count = fields.Integer()


class SearchOut(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer(metadata={"description": "product groups (without the slots)"})
    total_offers = fields.Integer()
    capped = fields.Boolean(metadata={"description": "more matched than counted (refine)"})
    slots = fields.List(fields.Nested(OfferHitOut))
    items = fields.List(fields.Nested(GroupOut))
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FacetValueOut)))


class SuggestOut(Schema):
    suggestions = fields.List(fields.String())


class IndexStatusOut(Schema):
    backend = fields.String()
    documents = fields.Integer()
    outbox_pending = fields.Integer()
