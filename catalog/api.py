"""API: the 品目 categories (/api/v1/categories)."""

from __future__ import annotations

import io
from pathlib import Path

from flask import current_app, request, send_file, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import select

from catalog import images, offers, review, upload
from catalog.categories import by_code
from catalog.models import Category, Offer, OfferStatus
from catalog.schemas import (
    BulkApproveIn,
    BulkPriceIn,
    OfferEdit,
    OfferIn,
    OfferOut,
    OfferPage,
    OfferQuery,
    QueueItemOut,
    RestockIn,
    TemplateArgs,
    TransitionIn,
    UploadArgs,
    VersionOut,
)
from mall.clock import local_today
from mall.errors import NotFound, ValidationFailed
from mall.roles import Role
from mall.schemas import PageArgs, Schema
from mall.web import api_actor, api_roles, config, db, paginate

blp = Blueprint("categories_api", __name__, url_prefix="/categories", description="品目")


class CategoryOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    parent_id = fields.Integer(allow_none=True)
    depth = fields.Integer()
    mandatory_green = fields.Boolean()
    priority_green = fields.Boolean()
    canteen_food = fields.Boolean()


class CategoryQuery(Schema):
    parent = fields.String(load_default=None, metadata={"description": "parent code"})


@blp.route("")
class Categories(MethodView):
    @blp.arguments(CategoryQuery, location="query")
    @blp.response(200, CategoryOut(many=True))
    def get(self, args):
        """The public 品目 list (whole tree, or the children of `parent`)."""
        query = select(Category).order_by(Category.code)
        if args["parent"]:
            parent = by_code(db(), args["parent"])
            if parent is None:
                raise NotFound("品目不存在", code="category_not_found")
            query = query.where(Category.parent_id == parent.id)
        return list(db().scalars(query))


@blp.route("/<code>")
class CategoryItem(MethodView):
    @blp.response(200, CategoryOut)
    def get(self, code):
        category = by_code(db(), code)
        if category is None:
            raise NotFound("品目不存在", code="category_not_found")
        return category


# --- offers (商品报价) -------------------------------------------------------------------

offers_blp = Blueprint("offers_api", __name__, url_prefix="/offers", description="商品报价")
review_blp = Blueprint("review_api", __name__, url_prefix="/review", description="商品审核")
SELLERS = (Role.SUPPLIER,)
REVIEWERS = (Role.OPERATOR, Role.ADMIN)


def visible_offer(session, actor, offer_id: int) -> Offer:
    """Suppliers see their own offers and active ones; operators all; others active only.

    An offer the actor may not see is reported as missing (no existence leak).
    """
    offer = session.get(Offer, offer_id)
    if offer is None or not (
            offer.status == OfferStatus.ACTIVE.value or actor.role in REVIEWERS
            or (actor.role == Role.SUPPLIER and actor.supplier_id == offer.supplier_id)):
        raise NotFound("商品报价不存在", code="offer_not_found")
    return offer


@offers_blp.route("")
class OffersCollection(MethodView):
    @api_roles()
    @offers_blp.arguments(OfferQuery, location="query")
    @offers_blp.response(200, OfferPage)
    def get(self, args):
        """Suppliers list their own offers; operators all; other roles active offers."""
        actor = api_actor()
        query = select(Offer).order_by(Offer.id)
        if actor.role == Role.SUPPLIER:
            query = query.where(Offer.supplier_id == actor.supplier_id)
        elif actor.role not in REVIEWERS:
            query = query.where(Offer.status == OfferStatus.ACTIVE.value)
        if args["status"]:
            query = query.where(Offer.status == args["status"])
        return paginate(db(), query, args["page"], args["per_page"])

    @api_roles(*SELLERS)
    @offers_blp.arguments(OfferIn)
    @offers_blp.response(201, OfferOut)
    def post(self, data):
        """Create a listing (draft, or pending review with `submit: true`)."""
        actor = api_actor()
        certificates, submit = data.pop("certificates"), data.pop("submit")
        return offers.create_offer(db(), actor, supplier_id=actor.supplier_id, data=data,
                                   certificates=certificates, submit=submit)


@offers_blp.route("/<int:offer_id>")
class OfferItem(MethodView):
    @api_roles()
    @offers_blp.response(200, OfferOut)
    def get(self, offer_id):
        return visible_offer(db(), api_actor(), offer_id)

    @api_roles(*SELLERS)
    @offers_blp.arguments(OfferEdit)
    @offers_blp.response(200, OfferOut)
    def patch(self, data, offer_id):
        """Edit; a price rise or key change of an active offer waits for review."""
        offers.edit_offer(db(), api_actor(), offer_id, data)
        return offers.get_offer(db(), offer_id)


@offers_blp.route("/<int:offer_id>/versions")
class OfferVersions(MethodView):
    @api_roles(Role.SUPPLIER, *REVIEWERS)
    @offers_blp.response(200, VersionOut(many=True))
    def get(self, offer_id):
        offer = offers.get_offer(db(), offer_id)
        offers.check_owner(api_actor(), offer)
        return offers.versions(db(), offer_id)


@offers_blp.route("/<int:offer_id>/transitions")
class OfferTransition(MethodView):
    @api_roles(Role.SUPPLIER, *REVIEWERS)
    @offers_blp.arguments(TransitionIn)
    @offers_blp.response(200, OfferOut)
    def post(self, data, offer_id):
        """submit / delist (supplier); approve / reject / takedown (operator)."""
        actor, action = api_actor(), data["action"]
        if action == "approve":
            return review.approve(db(), actor, offer_id)
        if action == "reject":
            return review.reject(db(), actor, offer_id, data["reason_code"], data["note"])
        return offers.transition(db(), actor, offer_id, action,
                                 reason_code=data["reason_code"], note=data["note"])


@offers_blp.route("/<int:offer_id>/stock")
class OfferStock(MethodView):
    @api_roles(*SELLERS)
    @offers_blp.arguments(RestockIn)
    @offers_blp.response(200, OfferOut)
    def post(self, data, offer_id):
        return offers.restock(db(), api_actor(), offer_id, data["stock"])


@offers_blp.route("/bulk-price")
class OfferBulkPrice(MethodView):
    @api_roles(*SELLERS)
    @offers_blp.arguments(BulkPriceIn)
    @offers_blp.response(200)
    def post(self, data):
        """Set or change by percent; all-or-nothing. Returns applied / pending_review ids."""
        return offers.bulk_price_change(db(), api_actor(), data["offer_ids"],
                                        mode=data["mode"], value=data["value"])


@review_blp.route("/queue")
class ReviewQueue(MethodView):
    @api_roles(*REVIEWERS)
    @review_blp.arguments(PageArgs, location="query")
    @review_blp.response(200, QueueItemOut(many=True))
    def get(self, args):
        """Pending listings and pending edits, each with its automatic findings."""
        return queue_items(db(), args["per_page"], (args["page"] - 1) * args["per_page"])


@review_blp.route("/bulk-approve")
class ReviewBulkApprove(MethodView):
    @api_roles(*REVIEWERS)
    @review_blp.arguments(BulkApproveIn)
    @review_blp.response(200)
    def post(self, data):
        """Approve the offers without findings; the others are returned with their codes."""
        return review.bulk_approve_clean(db(), api_actor(), data["offer_ids"], local_today(),
                                         median_ratio=config().review_median_ratio)


def queue_items(session, limit: int, offset: int, text: str | None = None) -> list[dict]:
    today, ratio = local_today(), config().review_median_ratio
    items = []
    for offer in review.queue(session, limit=limit, offset=offset, text=text):
        pending = offers.pending_version(session, offer.id)
        items.append({"offer": offer, "kind": "change" if pending else "new",
                      "proposed": review.under_review(session, offer),
                      "findings": review.findings(session, offer, today, median_ratio=ratio)})
    return items


class ImageOut(Schema):
    image = fields.String()
    url = fields.String()


@offers_blp.route("/<int:offer_id>/images")
class OfferImages(MethodView):
    @api_roles(*SELLERS)
    @offers_blp.response(201, ImageOut)
    def post(self, offer_id):
        """Upload a product image (multipart field `file`; PNG/JPEG/WebP, ≤ 2 MB)."""
        offer = offers.get_offer(db(), offer_id)
        offers.check_owner(api_actor(), offer)
        file = request.files.get("file")
        content = file.read(images.MAX_BYTES + 1) if file else b""
        name = images.add_image(db(), api_actor(), offer, content, image_dir())
        return {"image": name, "url": url_for("catalog.image", name=name)}


def image_dir() -> Path:
    return Path(current_app.instance_path) / "images"


class UploadReportOut(Schema):
    applied = fields.Boolean()
    created = fields.Integer()
    offer_ids = fields.List(fields.Integer())
    valid_rows = fields.Integer()
    error_rows = fields.Integer()
    errors = fields.List(fields.Dict())


@offers_blp.route("/upload")
class OfferUpload(MethodView):
    @api_roles(*SELLERS)
    @offers_blp.arguments(UploadArgs, location="query")
    @offers_blp.response(200, UploadReportOut)
    def post(self, args):
        """Bulk upload (multipart field `file`, CSV or XLSX). With errors and without
        `apply_valid_rows=true` nothing is written and every bad cell is reported (422)."""
        file = request.files.get("file")
        if file is None or not file.filename:
            raise ValidationFailed("请选择要上传的 CSV 或 XLSX 文件", errors={"file": ["请选择文件"]})
        actor = api_actor()
        report = upload.upload(db(), actor, actor.supplier_id, file.read(), file.filename,
                               apply_valid_rows=args["apply_valid_rows"], submit=args["submit"])
        if not report["applied"]:
            raise ValidationFailed(f"文件有 {len(report['errors'])} 处错误，未导入任何商品",
                                   code="upload_rejected", status=422,
                                   errors={"rows": report["errors"]})
        return report


@offers_blp.route("/upload-template")
class OfferUploadTemplate(MethodView):
    @offers_blp.arguments(TemplateArgs, location="query")
    def get(self, args):
        """The bulk-upload template (XLSX or CSV) with two example rows."""
        if args["format"] == "csv":
            return send_file(io.BytesIO(upload.template_csv()), mimetype="text/csv",
                             as_attachment=True, download_name="offers-template.csv")
        return send_file(io.BytesIO(upload.template_xlsx()), as_attachment=True,
                         download_name="offers-template.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument"
                                  ".spreadsheetml.sheet")
