"""Pages: the 品目 tree; suppliers' listings (create, edit, submit, delist, restock, bulk price,
bulk upload); the operator's review queue, take-downs and price watch; offer comparison."""

from __future__ import annotations

import io
import re

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    send_from_directory,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalog import certificates, images, offers, pricewatch, review, upload
from catalog.api import image_dir, queue_items, visible_offer
from catalog.categories import tree
from catalog.models import (
    CERT_LABELS,
    OFFER_STATUS_LABELS,
    Category,
    Offer,
    OfferStatus,
    OfferVersion,
    PriceStats,
    Product,
)
from catalog.schemas import BulkPriceIn, OfferEdit, OfferIn
from mall.clock import local_today
from mall.errors import DomainError, ValidationFailed
from mall.roles import Role
from mall.web import config, db, load, page_roles, safe_next
from suppliers.models import Supplier

bp = Blueprint("catalog", __name__, template_folder="templates")

OFFER_FORM_FIELDS = ("category_code", "brand", "model", "title", "price", "market_price",
                     "market_price_source", "stock", "min_order_qty", "delivery_regions",
                     "lead_time_days", "warranty_months", "description")


@bp.get("/categories")
def category_tree():
    return render_template("catalog/tree.html", rows=tree(db()))


def _specs(text: str) -> dict:
    """'CPU=i5-12500\\n内存=16GB' → {"CPU": "i5-12500", "内存": "16GB"}."""
    out = {}
    for line in text.replace("；", "\n").replace(";", "\n").splitlines():
        if line.strip():
            if "=" not in line:
                raise ValidationFailed("规格参数每行应为“名称=值”", errors={"specs": [line]})
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def _offer_form(schema, *, new: bool) -> dict:
    """Page form → the API's schema, so pages and API validate the same way."""
    form = request.form
    data = {k: form[k].strip() for k in OFFER_FORM_FIELDS if form.get(k, "").strip()}
    if form.get("specs", "").strip():
        data["specs"] = _specs(form["specs"])
    data["claims_green"] = form.get("claims_green") == "on"
    if new:
        data["submit"] = form.get("submit") == "1"
        if form.get("cert_number", "").strip():
            data["certificates"] = [{
                "kind": form.get("cert_kind", ""), "number": form["cert_number"].strip(),
                "certifier": form.get("cert_certifier", "").strip(),
                "valid_until": form.get("cert_valid_until", "").strip()}]
    return load(schema, data)


# --- supplier pages ----------------------------------------------------------------------

@bp.get("/supplier/offers")
@page_roles(Role.SUPPLIER)
def my_offers():
    wanted = request.args.get("status")
    query = select(Offer).where(Offer.supplier_id == current_user.supplier_id)
    if wanted in OFFER_STATUS_LABELS:
        query = query.where(Offer.status == wanted)
    rows = list(db().scalars(query.options(selectinload(Offer.product))
                             .order_by(Offer.updated_at.desc(), Offer.id.desc()).limit(300)))
    pending_ids = set(db().scalars(select(OfferVersion.offer_id).where(
        OfferVersion.state == "pending", OfferVersion.offer_id.in_([o.id for o in rows]))))
    return render_template("catalog/my_offers.html", offers=rows, wanted=wanted,
                           labels=OFFER_STATUS_LABELS, pending_ids=pending_ids,
                           reasons=offers.TAKEDOWN_REASONS | offers.REJECT_REASONS)


@bp.route("/supplier/offers/new", methods=["GET", "POST"])
@page_roles(Role.SUPPLIER)
def new_offer():
    error, status = None, 200
    if request.method == "POST":
        try:
            data = _offer_form(OfferIn(), new=True)
            certs, submit = data.pop("certificates"), data.pop("submit")
            offer = offers.create_offer(db(), current_user, supplier_id=current_user.supplier_id,
                                        data=data, certificates=certs, submit=submit)
            flash(f"已保存商品“{offer.title}”" + ("，已提交审核" if submit else "（草稿）"), "success")
            return redirect(url_for("catalog.my_offers"))
        except DomainError as err:
            error, status = err, err.status
    return render_template("catalog/offer_form.html", error=error, form=request.form,
                           offer=None, cert_labels=CERT_LABELS), status


@bp.route("/supplier/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@page_roles(Role.SUPPLIER)
def edit_offer(offer_id: int):
    offer = offers.get_offer(db(), offer_id)
    offers.check_owner(current_user, offer)
    error, status = None, 200
    if request.method == "POST":
        try:
            version = offers.edit_offer(db(), current_user, offer_id,
                                        _offer_form(OfferEdit(), new=False))
            if version is None:
                flash("没有改动", "info")
            elif version.state == "pending":
                flash("涨价或关键信息变更已提交审核，审核通过前按原信息在售", "warning")
            else:
                flash("已保存修改", "success")
            return redirect(url_for("catalog.my_offers"))
        except DomainError as err:
            error, status = err, err.status
    form = request.form if request.method == "POST" else _form_from(offer)
    return render_template("catalog/offer_form.html", error=error, form=form, offer=offer,
                           cert_labels=CERT_LABELS,
                           history=offers.versions(db(), offer_id)), status


def _form_from(offer: Offer) -> dict:
    data = offers.snapshot(offer)
    data["specs"] = "\n".join(f"{k}={v}" for k, v in (data["specs"] or {}).items())
    data["delivery_regions"] = ",".join(data["delivery_regions"]).replace("*", "全国")
    data["claims_green"] = "on" if data["claims_green"] else ""
    return {k: ("" if v is None else v) for k, v in data.items()}


@bp.post("/supplier/offers/<int:offer_id>/action")
@page_roles(Role.SUPPLIER)
def offer_action(offer_id: int):
    action = request.form.get("action")
    try:
        if action == "restock":
            stock = request.form.get("stock", "")
            if not stock.isdigit():
                raise ValidationFailed("库存应为非负整数", errors={"stock": ["库存应为非负整数"]})
            offers.restock(db(), current_user, offer_id, int(stock))
            flash("库存已更新", "success")
        elif action in ("submit", "delist"):
            offers.transition(db(), current_user, offer_id, action)
            flash(f"已{offers.ACTION_LABELS[action]}", "success")
        else:
            raise ValidationFailed("未知操作")
    except DomainError as err:
        return render_template("error.html", error=err), err.status
    return redirect(url_for("catalog.my_offers"))


@bp.post("/supplier/offers/bulk-price")
@page_roles(Role.SUPPLIER)
def bulk_price():
    try:
        data = load(BulkPriceIn(), {"offer_ids": request.form.getlist("offer_ids"),
                                    "mode": request.form.get("mode", ""),
                                    "value": request.form.get("value", "")})
        result = offers.bulk_price_change(db(), current_user, data["offer_ids"],
                                          mode=data["mode"], value=data["value"])
    except DomainError as err:
        return render_template("error.html", error=err), err.status
    flash(f"调价完成：立即生效 {len(result['applied'])} 个，涨价待审核 "
          f"{len(result['pending_review'])} 个", "success")
    return redirect(url_for("catalog.my_offers"))


@bp.route("/supplier/offers/upload", methods=["GET", "POST"])
@page_roles(Role.SUPPLIER)
def upload_offers():
    report, status = None, 200
    if request.method == "POST":
        file = request.files.get("file")
        try:
            if file is None or not file.filename:
                raise ValidationFailed("请选择要上传的 CSV 或 XLSX 文件",
                                       errors={"file": ["请选择文件"]})
            report = upload.upload(db(), current_user, current_user.supplier_id, file.read(),
                                   file.filename,
                                   apply_valid_rows=request.form.get("apply_valid_rows") == "1",
                                   submit=request.form.get("draft") != "1")
            if report["applied"]:
                flash(f"已导入 {report['created']} 个商品", "success")
            else:
                status = 422
        except DomainError as err:
            report, status = {"applied": False, "message": err.message, "errors": []}, err.status
    return render_template("catalog/upload.html", report=report), status


@bp.get("/supplier/offers/template.<fmt>")
@page_roles(Role.SUPPLIER, Role.OPERATOR, Role.ADMIN)
def upload_template(fmt: str):
    if fmt == "xlsx":
        return send_file(io.BytesIO(upload.template_xlsx()), as_attachment=True,
                         download_name="商品批量上传模板.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument."
                                  "spreadsheetml.sheet")
    if fmt == "csv":
        return send_file(io.BytesIO(upload.template_csv()), as_attachment=True,
                         download_name="商品批量上传模板.csv", mimetype="text/csv")
    abort(404)


# --- operator pages ----------------------------------------------------------------------

@bp.get("/operator/review")
@page_roles(Role.OPERATOR, Role.ADMIN)
def review_queue():
    page = max(1, request.args.get("page", 1, type=int))
    text = request.args.get("q", "").strip()[:50] or None
    items = queue_items(db(), 50, (page - 1) * 50, text)
    return render_template("catalog/review.html", items=items, page=page, q=text or "",
                           reasons=offers.REJECT_REASONS)


@bp.post("/operator/review/<int:offer_id>")
@page_roles(Role.OPERATOR, Role.ADMIN)
def decide(offer_id: int):
    decision = request.form.get("decision")
    try:
        if decision == "approve":
            offer = review.approve(db(), current_user, offer_id)
            flash(f"已通过：{offer.title}", "success")
        elif decision == "reject":
            offer = review.reject(db(), current_user, offer_id,
                                  request.form.get("reason_code", ""),
                                  request.form.get("note", "").strip()[:500] or None)
            flash(f"已驳回：{offer.title}", "warning")
        else:
            raise ValidationFailed("请选择通过或驳回")
    except DomainError as err:
        return render_template("error.html", error=err), err.status
    return redirect(safe_next(request.form.get("back")) or url_for("catalog.review_queue"))


@bp.post("/operator/review/bulk-approve")
@page_roles(Role.OPERATOR, Role.ADMIN)
def bulk_approve():
    ids = [int(i) for i in request.form.getlist("offer_ids") if i.isdigit()]
    if not ids:
        flash("请先勾选商品", "warning")
        return redirect(url_for("catalog.review_queue"))
    result = review.bulk_approve_clean(db(), current_user, ids, local_today(),
                                       median_ratio=config().review_median_ratio)
    flash(f"批量通过 {len(result['approved'])} 个；{len(result['skipped'])} 个有疑点未通过，请逐个审核",
          "success")
    return redirect(url_for("catalog.review_queue"))


@bp.post("/operator/offers/<int:offer_id>/takedown")
@page_roles(Role.OPERATOR, Role.ADMIN)
def takedown(offer_id: int):
    try:
        offer = review.take_down(db(), current_user, offer_id,
                                 request.form.get("reason_code", ""),
                                 request.form.get("note", "").strip()[:500] or None)
    except DomainError as err:
        return render_template("error.html", error=err), err.status
    flash(f"已强制下架：{offer.title}", "warning")
    return redirect(url_for("catalog.compare", product_id=offer.product_id))


@bp.get("/operator/prices")
@page_roles(Role.OPERATOR, Role.ADMIN, Role.REGULATOR)
def price_watch():
    rows = pricewatch.outliers(db(), ratio=config().review_median_ratio)
    return render_template("catalog/prices.html", rows=rows,
                           ratio=config().review_median_ratio,
                           reasons=offers.TAKEDOWN_REASONS)


# --- everyone ----------------------------------------------------------------------------

@bp.get("/products/<int:product_id>")
@page_roles()
def compare(product_id: int):
    """Every active offer of one product side by side (比价)."""
    session = db()
    product = session.get(Product, product_id)
    if product is None:
        abort(404)
    rows = session.execute(
        select(Offer, Supplier).join(Supplier, Supplier.id == Offer.supplier_id)
        .options(selectinload(Offer.certificates))
        .where(Offer.product_id == product_id, Offer.status == OfferStatus.ACTIVE.value)
        .order_by(Offer.price, Offer.id)).all()
    today = local_today()
    return render_template(
        "catalog/compare.html", product=product, rows=rows, today=today,
        stats=session.get(PriceStats, product_id), certificates=certificates,
        category=session.get(Category, product.category_id), reasons=offers.TAKEDOWN_REASONS)


@bp.get("/images/<name>")
def image(name: str):
    """Stored product images (content-addressed names, so they can be cached forever)."""
    if not re.fullmatch(r"[0-9a-f]{64}\.(png|jpg|webp)", name):
        abort(404)
    return send_from_directory(image_dir(), name, max_age=31536000)


@bp.post("/supplier/offers/<int:offer_id>/images")
@page_roles(Role.SUPPLIER)
def upload_image(offer_id: int):
    offer = offers.get_offer(db(), offer_id)
    offers.check_owner(current_user, offer)
    file = request.files.get("file")
    try:
        images.add_image(db(), current_user, offer,
                         file.read(images.MAX_BYTES + 1) if file else b"", image_dir())
    except DomainError as err:
        return render_template("error.html", error=err), err.status
    flash("图片已上传", "success")
    return redirect(url_for("catalog.edit_offer", offer_id=offer_id))


@bp.get("/offers/<int:offer_id>")
@page_roles()
def offer_detail(offer_id: int):
    offer = visible_offer(db(), current_user, offer_id)
    today = local_today()
    ok, why = certificates.buyable(offer, today)
    return render_template("catalog/offer.html", offer=offer, buyable=ok, why=why,
                           labels=certificates.green_labels(offer, today),
                           supplier=db().get(Supplier, offer.supplier_id),
                           status_labels=OFFER_STATUS_LABELS, cert_labels=CERT_LABELS)
