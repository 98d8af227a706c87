"""Pages: a unit's budget lines (预算指标); the cart, checkout, orders (buyer and supplier),
acceptance form and overdue lists."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mall.clock import local_today
from mall.errors import DomainError
from mall.roles import Role
from mall.web import (
    config,
    db,
    form_data,
    form_fields,
    load,
    load_form,
    page_roles,
    paginate,
    safe_next,
)
from orders import budget, cart, checkout, flow
from orders.checkout import Delivery
from orders.models import (
    ACCEPTANCE_RESULT_LABELS,
    BUDGET_PURPOSE_LABELS,
    ORDER_STATUS_LABELS,
    PAYMENT_METHOD_LABELS,
    BudgetUnit,
    Order,
    PaymentMethod,
)
from orders.payment_views import on_order_transition
from orders.rules import Policy
from orders.schemas import (
    AcceptIn,
    CartLineIn,
    CartQuantityIn,
    CheckoutIn,
    LineIn,
    ReasonIn,
    SavedCartIn,
    ShipIn,
)
from suppliers.models import Supplier

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


# --- cart, checkout and orders pages -----------------------------------------------------------

def _policy() -> Policy:
    return Policy.from_config(config())


def _back(default: str):
    return redirect(safe_next(request.form.get("next")) or default)


@bp.get("/cart")
@page_roles(Role.BUYER)
def cart_page():
    view = cart.show(db(), current_user, _policy())
    return render_template("orders/cart.html", view=view,
                           saved=cart.saved_carts(db(), current_user))


def _cart_action(fn, success: str):
    try:
        result = fn()
    except DomainError as err:
        db().rollback()  # the redirect would commit: keep nothing of a refused change
        flash(err.message, "danger")
        return _back(url_for("orders.cart_page"))
    flash(success.format(result=result), "success")
    return _back(url_for("orders.cart_page"))


@bp.post("/cart/add")
@page_roles(Role.BUYER)
def cart_add():
    def run():
        data = load(CartLineIn(), form_fields("offer_id", "quantity"))
        return cart.add(db(), current_user, data["offer_id"], data["quantity"])
    return _cart_action(run, "已加入购物车")


@bp.post("/cart/lines/<int:offer_id>/quantity")
@page_roles(Role.BUYER)
def cart_quantity(offer_id: int):
    def run():
        data = load(CartQuantityIn(), form_fields("quantity"))
        return cart.set_quantity(db(), current_user, offer_id, data["quantity"])
    return _cart_action(run, "已修改数量")


@bp.post("/cart/lines/<int:offer_id>/remove")
@page_roles(Role.BUYER)
def cart_remove(offer_id: int):
    return _cart_action(lambda: cart.remove(db(), current_user, offer_id), "已移出购物车")


@bp.post("/cart/acknowledge")
@page_roles(Role.BUYER)
def cart_acknowledge():
    return _cart_action(lambda: cart.acknowledge_prices(db(), current_user),
                        "已确认 {result} 个商品的新价格")


@bp.post("/cart/save")
@page_roles(Role.BUYER)
def cart_save():
    def run():
        data = load(SavedCartIn(), form_fields("name"))
        return cart.save_as(db(), current_user, data["name"]).name
    return _cart_action(run, "已保存为常用清单“{result}”")


@bp.post("/cart/saved/<int:cart_id>/restore")
@page_roles(Role.BUYER)
def cart_restore(cart_id: int):
    return _cart_action(lambda: cart.restore(db(), current_user, cart_id),
                        "已将常用清单中的 {result} 个商品加入购物车")


@bp.post("/cart/saved/<int:cart_id>/delete")
@page_roles(Role.BUYER)
def cart_delete_saved(cart_id: int):
    return _cart_action(lambda: cart.delete_saved(db(), current_user, cart_id), "已删除常用清单")


def _checkout_defaults(session) -> dict:
    """A fresh idempotency key; delivery details from the buyer's last order, if any."""
    form = {"idempotency_key": uuid.uuid4().hex, "payment_method": PaymentMethod.CARD.value}
    last = session.scalar(select(Order).where(Order.buyer_id == current_user.id,
                                              Order.delivery_address != "")
                          .order_by(Order.id.desc()).limit(1))
    if last is not None:
        form |= {"delivery_address": last.delivery_address, "contact_name": last.contact_name,
                 "contact_phone": last.contact_phone}
    return form


@bp.route("/checkout", methods=["GET", "POST"])
@page_roles(Role.BUYER)
def checkout_page():
    session = db()
    error, status = None, 200
    form = dict(request.form) if request.method == "POST" else _checkout_defaults(session)
    if request.method == "POST":
        try:
            data = load(CheckoutIn(), form_fields("budget_line_id", "payment_method",
                                                  "delivery_address", "contact_name",
                                                  "contact_phone", "buyer_note"))
            result = checkout.checkout_cart(
                session, current_user, budget_line_id=data["budget_line_id"],
                payment_method=data["payment_method"],
                idempotency_key=request.form.get("idempotency_key", ""),
                delivery=Delivery(data["delivery_address"], data["contact_name"],
                                  data["contact_phone"], data["buyer_note"]),
                policy=_policy())
            numbers = "、".join(o.number for o in result.orders)
            flash(f"已提交 {len(result.orders)} 个订单：{numbers}" if result.created
                  else f"订单已提交过（{numbers}），未重复下单", "success")
            for warning in result.warnings:
                flash(warning, "warning")
            return redirect(url_for("orders.order_list"))
        except DomainError as err:
            error, status = err, err.status
    view = cart.show(session, current_user, _policy())
    lines = budget.lines_for(session, current_user, current_user.budget_unit_id)
    return render_template("orders/checkout.html", view=view, lines=lines, error=error,
                           form=form, methods=PAYMENT_METHOD_LABELS), status


ORDER_FILTERS = {"status": ORDER_STATUS_LABELS}


@bp.get("/orders")
@page_roles(Role.BUYER, Role.SUPPLIER, Role.OPERATOR, Role.REGULATOR, Role.ADMIN)
def order_list():
    wanted = request.args.get("status")
    query = flow.scope(select(Order), current_user)
    if wanted in ORDER_STATUS_LABELS:
        query = query.where(Order.status == wanted)
    flagged = request.args.get("split") == "1"
    if flagged:
        query = query.where(Order.split_flag.is_(True))
    page = max(1, request.args.get("page", 1, type=int))
    result = paginate(db(), query.order_by(Order.id.desc()), page, 50)
    return render_template("orders/order_list.html", result=result, wanted=wanted,
                           flagged=flagged, labels=ORDER_STATUS_LABELS, today=local_today(),
                           suppliers=_supplier_names(result["items"]),
                           units=_unit_names(result["items"]))


def _supplier_names(orders_) -> dict[int, str]:
    ids = {o.supplier_id for o in orders_}
    return dict(db().execute(select(Supplier.id, Supplier.name).where(Supplier.id.in_(ids))).all())


def _unit_names(orders_) -> dict[int, str]:
    ids = {o.unit_id for o in orders_}
    return dict(db().execute(select(BudgetUnit.id, BudgetUnit.name)
                             .where(BudgetUnit.id.in_(ids))).all())


@bp.get("/orders/overdue")
@page_roles(Role.BUYER, Role.SUPPLIER, Role.OPERATOR, Role.REGULATOR, Role.ADMIN)
def overdue_list():
    today = local_today()
    # the page shows each order's acceptance date: load them with the rows, not one per row
    rows = list(db().scalars(flow.overdue_query(current_user, today)
                             .options(selectinload(Order.acceptance)).limit(500)))
    return render_template("orders/overdue.html", rows=rows, today=today,
                           days_overdue=flow.days_overdue, suppliers=_supplier_names(rows),
                           units=_unit_names(rows))


def _render_order(order, error=None, status: int = 200):
    session = db()
    supplier = session.get(Supplier, order.supplier_id)
    return render_template(
        "orders/order_detail.html", order=order, supplier=supplier,
        actions=flow.allowed_actions(current_user, order), events=flow.timeline(session, order.id),
        action_labels=flow.ACTION_LABELS, error=error, form=request.form,
        results=ACCEPTANCE_RESULT_LABELS, days_overdue=flow.days_overdue(order)), status


@bp.get("/orders/<int:order_id>")
@page_roles(Role.BUYER, Role.SUPPLIER, Role.OPERATOR, Role.REGULATOR, Role.ADMIN)
def order_detail(order_id: int):
    return _render_order(flow.get_order(db(), current_user, order_id))


ACTION_FORMS = {"refuse": ReasonIn, "cancel": ReasonIn, "request_return": ReasonIn,
                "ship": ShipIn, "accept": AcceptIn}


@bp.post("/orders/<int:order_id>/<action>")
@page_roles(Role.BUYER, Role.SUPPLIER)
def order_action(order_id: int, action: str):
    session = db()
    order = flow.get_order(session, current_user, order_id)
    if action not in flow.TRANSITIONS or action in ("auto_cancel", "pay", "fail_acceptance"):
        abort(404)
    try:
        schema = ACTION_FORMS.get(action)
        data = load(schema(), form_data()) if schema else {}
        if action == "accept":
            flow.accept(session, current_user, order_id,
                        term_days=config().payment_term_days, **data)
        elif action in ("refuse", "cancel", "request_return"):
            getattr(flow, action)(session, current_user, order_id, reason=data["reason"])
        elif action == "ship":
            flow.ship(session, current_user, order_id, **data)
        else:
            getattr(flow, action)(session, current_user, order_id)
        on_order_transition(current_user, order, action)  # payments follow (orders.payments)
    except DomainError as err:
        session.rollback()
        order = flow.get_order(session, current_user, order_id)
        return _render_order(order, err, err.status)
    flash(f"订单 {order.number}：{flow.ACTION_LABELS[action]}成功", "success")
    return redirect(url_for("orders.order_detail", order_id=order_id))
