"""Pages: home per role, login/logout, API tokens, and admin pages for users and units."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select

from mall import accounts
from mall.api import UserIn
from mall.errors import DomainError
from mall.roles import Role
from mall.schemas import Schema, Text
from mall.web import commit_despite_error, config, db, form_data, load_form, page_roles, safe_next
from orders import budget
from orders.models import BUDGET_PURPOSE_LABELS, UNIT_LEVEL_LABELS, BudgetLine, BudgetUnit
from orders.schemas import UnitIn
from suppliers.models import Supplier

bp = Blueprint("mall", __name__, template_folder="templates")


class LoginForm(Schema):
    username = Text(max_len=64)
    password = Text(max_len=200)
    next = Text(required=False, max_len=300)


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("mall.login"))
    session = db()
    ctx: dict = {"role": current_user.role}
    if current_user.role == Role.BUYER:
        ctx["unit"] = session.get(BudgetUnit, current_user.budget_unit_id)
        ctx["lines"] = budget.lines_for(session, current_user, current_user.budget_unit_id)
    elif current_user.role == Role.SUPPLIER:
        ctx["supplier"] = session.get(Supplier, current_user.supplier_id)
    else:
        ctx["supplier_counts"] = dict(session.execute(
            select(Supplier.status, func.count()).group_by(Supplier.status)).all())
        ctx["size_counts"] = dict(session.execute(
            select(Supplier.size, func.count()).where(Supplier.status == "active")
            .group_by(Supplier.size)).all())
        ctx["count_832"] = session.scalar(select(func.count()).where(
            Supplier.is_832.is_(True), Supplier.status == "active"))
        ctx["unit_count"] = session.scalar(select(func.count()).select_from(BudgetUnit))
        ctx["budget_total"] = session.execute(select(
            func.coalesce(func.sum(BudgetLine.amount), 0),
            func.coalesce(func.sum(BudgetLine.frozen), 0),
            func.coalesce(func.sum(BudgetLine.spent), 0))).one()
        ctx["user_counts"] = dict(session.execute(
            select(accounts.User.role, func.count()).group_by(accounts.User.role)).all())
    return render_template("home.html", **ctx)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next"))
    error = None
    data = form_data()
    try:
        data = load_form(LoginForm())
        cfg = config()
        commit_despite_error()  # keep the failed-login counter
        user = accounts.authenticate(db(), data["username"], data["password"],
                                     max_failures=cfg.login_max_failures,
                                     lock_minutes=cfg.login_lock_minutes)
    except DomainError as err:
        error = err
    if error is not None:
        return render_template("login.html", error=error, username=data.get("username"),
                               next=data.get("next")), error.status
    login_user(user)
    flash(f"欢迎，{user.display_name}", "success")
    return redirect(safe_next(data.get("next")) or url_for("mall.home"))


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("mall.login"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    session = db()
    new_token = None
    if request.method == "POST":
        if request.form.get("revoke"):
            accounts.revoke_token(session, current_user, int(request.form["revoke"]))
            flash("令牌已吊销", "info")
        else:
            name = (request.form.get("name") or "").strip()[:100] or "API 令牌"
            _, new_token = accounts.issue_token(session, current_user, name)
    rows = session.scalars(select(accounts.ApiToken).where(
        accounts.ApiToken.user_id == current_user.id).order_by(accounts.ApiToken.id.desc()))
    return render_template("account/tokens.html", tokens=list(rows), new_token=new_token)


@bp.route("/admin/users", methods=["GET", "POST"])
@page_roles(Role.ADMIN)
def admin_users():
    session = db()
    error, form = None, {}
    status = 200
    if request.method == "POST":
        form = form_data()
        try:
            user = accounts.create_user(session, current_user, **load_form(UserIn()))
            flash(f"已创建用户 {user.username}", "success")
            return redirect(url_for("mall.admin_users"))
        except DomainError as err:
            error, status = err, err.status
    users = session.scalars(select(accounts.User).order_by(accounts.User.id))
    units = session.scalars(select(BudgetUnit).order_by(BudgetUnit.code))
    suppliers = session.scalars(select(Supplier).order_by(Supplier.name))
    return render_template("admin/users.html", users=list(users), units=list(units),
                           suppliers=list(suppliers), error=error, form=form), status


@bp.route("/admin/units", methods=["GET", "POST"])
@page_roles(Role.ADMIN)
def admin_units():
    session = db()
    error, form, status = None, {}, 200
    if request.method == "POST":
        form = form_data()
        try:
            unit = budget.create_unit(session, current_user, **load_form(UnitIn()))
            flash(f"已创建预算单位 {unit.name}", "success")
            return redirect(url_for("mall.admin_units"))
        except DomainError as err:
            error, status = err, err.status
    units = session.scalars(select(BudgetUnit).order_by(BudgetUnit.code))
    return render_template("admin/units.html", units=list(units), error=error, form=form,
                           levels=UNIT_LEVEL_LABELS, purposes=BUDGET_PURPOSE_LABELS), status
