"""Pages: a unit's budget lines (预算指标)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from mall.errors import DomainError
from mall.roles import Role
from mall.web import db, form_data, load_form, page_roles
from orders import budget
from orders.models import BUDGET_PURPOSE_LABELS, BudgetUnit
from orders.schemas import LineIn

bp = Blueprint("orders", __name__, template_folder="templates")


@bp.get("/budget")
@page_roles(Role.BUYER)
def my_budget():
    return redirect(url_for("orders.unit_budget", unit_id=current_user.budget_unit_id))


@bp.get("/units")
@page_roles(Role.OPERATOR, Role.REGULATOR, Role.ADMIN)
def units():
    rows = db().scalars(select(BudgetUnit).order_by(BudgetUnit.code))
    return render_template("orders/units.html", units=list(rows))


@bp.route("/units/<int:unit_id>/budget", methods=["GET", "POST"])
@page_roles(Role.BUYER, Role.OPERATOR, Role.REGULATOR, Role.ADMIN)
def unit_budget(unit_id: int):
    session = db()
    unit = session.get(BudgetUnit, unit_id)
    if unit is None:
        abort(404)
    if not budget.can_see_unit(current_user, unit_id):
        abort(403)
    error, form, status = None, {}, 200
    if request.method == "POST":
        if current_user.role != Role.ADMIN:
            abort(403)
        form = form_data()
        try:
            data = load_form(LineIn())
            budget.create_line(session, current_user, unit_id=unit_id, **data)
            flash("已新增预算指标", "success")
            return redirect(url_for("orders.unit_budget", unit_id=unit_id))
        except DomainError as err:
            error, status = err, err.status
    lines = budget.lines_for(session, current_user, unit_id)
    return render_template("orders/unit_budget.html", unit=unit, lines=lines, error=error,
                           form=form, purposes=BUDGET_PURPOSE_LABELS), status
