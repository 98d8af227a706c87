"""Pages: supplier self-registration, profile, and the operator's review list."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import fields
from sqlalchemy import select

from mall.clock import local_today
from mall.errors import DomainError
from mall.roles import Role
from mall.web import db, form_data, load_form, page_roles, safe_next
from suppliers import status
from suppliers.api import register_with_account, sees_private
from suppliers.counties import county
from suppliers.models import SIZE_LABELS, STATUS_LABELS, Supplier
from suppliers.schemas import RegistrationIn, StatusChangeIn

bp = Blueprint("suppliers", __name__, template_folder="templates")


class StatusChangeForm(StatusChangeIn):
    back = fields.String(load_default=None)


@bp.route("/suppliers/register", methods=["GET", "POST"])
def register():
    error, form, code = None, {}, 200
    if request.method == "POST":
        form = form_data()
        try:
            supplier = register_with_account(db(), load_form(RegistrationIn()))
            flash(f"注册成功：{supplier.name}。请等待平台运营审核后登录使用。", "success")
            return redirect(url_for("mall.login"))
        except DomainError as err:
            error, code = err, err.status
    return render_template("suppliers/register.html", error=error, form=form,
                           sizes=SIZE_LABELS), code


@bp.get("/suppliers/<int:supplier_id>")
@page_roles()
def profile(supplier_id: int):
    supplier = db().get(Supplier, supplier_id)
    if supplier is None:
        abort(404)
    return render_template("suppliers/profile.html", s=supplier,
                           private=sees_private(current_user, supplier_id),
                           county=county(supplier.region_code),
                           effective=status.effective_status(supplier, local_today()),
                           labels=STATUS_LABELS, reasons=status.SANCTION_REASONS,
                           reject_reasons=status.REJECT_REASONS)


@bp.get("/operator/suppliers")
@page_roles(Role.OPERATOR, Role.ADMIN)
def review():
    wanted = request.args.get("status", "pending")
    query = select(Supplier).order_by(Supplier.created_at.desc(), Supplier.id.desc())
    if wanted in STATUS_LABELS:
        query = query.where(Supplier.status == wanted)
    rows = db().scalars(query.limit(200))
    return render_template("suppliers/review.html", suppliers=list(rows), wanted=wanted,
                           labels=STATUS_LABELS, reject_reasons=status.REJECT_REASONS,
                           reasons=status.SANCTION_REASONS)


@bp.post("/operator/suppliers/<int:supplier_id>/status")
@page_roles(Role.OPERATOR, Role.ADMIN)
def change_status(supplier_id: int):
    try:
        data = load_form(StatusChangeForm())
        supplier = status.transition(db(), current_user, supplier_id, data["action"],
                                     reason_code=data.get("reason_code"),
                                     note=data.get("note"), until=data.get("until"),
                                     today=local_today())
        flash(f"{supplier.name}：{status.ACTION_LABELS[data['action']]}，当前状态"
              f"“{supplier.status_label}”", "success")
    except DomainError as err:
        details = "；".join(f"{k}: {'、'.join(map(str, v))}" for k, v in err.errors.items())
        flash(f"操作未执行：{err.message}" + (f"（{details}）" if details else ""), "error")
        return redirect(url_for("suppliers.profile", supplier_id=supplier_id)), 303
    return redirect(safe_next(request.form.get("back")) or url_for("suppliers.review"))
