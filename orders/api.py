"""API: budget units and budget lines (/api/v1/units)."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from mall.errors import NotFound
from mall.roles import OVERSEERS, Role
from mall.schemas import PageArgs
from mall.web import api_actor, api_roles, config, db, paginate
from orders import budget, cart, checkout, flow
from orders.checkout import Delivery
from orders.models import BudgetUnit, Order
from orders.payment_views import on_order_transition
from orders.rules import Policy
from orders.schemas import (
    AcceptIn,
    CartLineIn,
    CartOut,
    CartQuantityIn,
    CheckoutIn,
    CheckoutOut,
    LineIn,
    LineOut,
    LineQuery,
    OrderOut,
    OrderPage,
    OrderQuery,
    ReasonIn,
    SavedCartIn,
    SavedCartOut,
    ShipIn,
    UnitIn,
    UnitOut,
    UnitPage,
)

blp = Blueprint("units_api", __name__, url_prefix="/units", description="预算单位与预算指标")


@blp.route("")
class Units(MethodView):
    @api_roles(Role.BUYER, *OVERSEERS)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, UnitPage)
    def get(self, args):
        """Buyers see their own unit; operators, regulators and admins see all."""
        actor = api_actor()
        query = select(BudgetUnit).order_by(BudgetUnit.code)
        if actor.role == Role.BUYER:
            query = query.where(BudgetUnit.id == actor.budget_unit_id)
        return paginate(db(), query, args["page"], args["per_page"])

    @api_roles(Role.ADMIN)
    @blp.arguments(UnitIn)
    @blp.response(201, UnitOut)
    def post(self, data):
        return budget.create_unit(db(), api_actor(), **data)


@blp.route("/<int:unit_id>/budget-lines")
class UnitLines(MethodView):
    @api_roles(Role.BUYER, *OVERSEERS)
    @blp.arguments(LineQuery, location="query")
    @blp.response(200, LineOut(many=True))
    def get(self, args, unit_id):
        if db().get(BudgetUnit, unit_id) is None:
            raise NotFound("预算单位不存在", code="unit_not_found")
        return budget.lines_for(db(), api_actor(), unit_id, args["fiscal_year"])

    @api_roles(Role.ADMIN)
    @blp.arguments(LineIn)
    @blp.response(201, LineOut)
    def post(self, data, unit_id):
        return budget.create_line(db(), api_actor(), unit_id=unit_id, **data)


# --- cart (/api/v1/cart) and orders (/api/v1/orders) ----------------------------------------

cart_blp = Blueprint("cart_api", __name__, url_prefix="/cart", description="购物车与常用清单")
orders_blp = Blueprint("orders_api", __name__, url_prefix="/orders",
                       description="订单：下单、确认、发货、验收、退货、付款期限")


def _policy() -> Policy:
    return Policy.from_config(config())


def _cart_view():
    return cart.show(db(), api_actor(), _policy())


@cart_blp.route("")
class CartItem(MethodView):
    @api_roles(Role.BUYER)
    @cart_blp.response(200, CartOut)
    def get(self):
        """The current cart split per supplier; prices and availability checked again."""
        return _cart_view()


@cart_blp.route("/lines")
class CartLines(MethodView):
    @api_roles(Role.BUYER)
    @cart_blp.arguments(CartLineIn)
    @cart_blp.response(201, CartOut)
    def post(self, data):
        """Add an offer at today's price (more of it if already there)."""
        cart.add(db(), api_actor(), data["offer_id"], data["quantity"])
        return _cart_view()


@cart_blp.route("/lines/<int:offer_id>")
class CartLineItem(MethodView):
    @api_roles(Role.BUYER)
    @cart_blp.arguments(CartQuantityIn)
    @cart_blp.response(200, CartOut)
    def patch(self, data, offer_id):
        cart.set_quantity(db(), api_actor(), offer_id, data["quantity"])
        return _cart_view()

    @api_roles(Role.BUYER)
    @cart_blp.response(200, CartOut)
    def delete(self, offer_id):
        cart.remove(db(), api_actor(), offer_id)
        return _cart_view()


@cart_blp.route("/acknowledge-prices")
class CartAcknowledge(MethodView):
    @api_roles(Role.BUYER)
    @cart_blp.response(200, CartOut)
    def post(self):
        """Accept today's prices for every line (needed after a price change)."""
        cart.acknowledge_prices(db(), api_actor())
        return _cart_view()


@cart_blp.route("/saved")
class SavedCarts(MethodView):
    @api_roles(Role.BUYER)
    @cart_blp.response(200, SavedCartOut(many=True))
    def get(self):
        return cart.saved_carts(db(), api_actor())

    @api_roles(Role.BUYER)
    @cart_blp.arguments(SavedCartIn)
    @cart_blp.response(201, SavedCartOut)
    def post(self, data):
        """Save the current cart under a name."""
        return cart.save_as(db(), api_actor(), data["name"])


@cart_blp.route("/saved/<int:cart_id>")
class SavedCartItem(MethodView):
    @api_roles(Role.BUYER)
    @cart_blp.response(204)
    def delete(self, cart_id):
        cart.delete_saved(db(), api_actor(), cart_id)


@cart_blp.route("/saved/<int:cart_id>/restore")
class SavedCartRestore(MethodView):
    @api_roles(Role.BUYER)
    @cart_blp.response(200, CartOut)
    def post(self, cart_id):
        """Put a saved cart's lines into the current cart (changed prices are pointed out)."""
        cart.restore(db(), api_actor(), cart_id)
        return _cart_view()


def _detail(order):
    actor = api_actor()
    order.actions = flow.allowed_actions(actor, order)
    order.events = flow.timeline(db(), order.id)
    return order


@orders_blp.route("")
class OrdersCollection(MethodView):
    @api_roles()
    @orders_blp.arguments(OrderQuery, location="query")
    @orders_blp.response(200, OrderPage)
    def get(self, args):
        """Buyers list their unit's orders, suppliers their own, overseers all."""
        if args["overdue"]:  # 逾期未付款, oldest due date first; the other filters still apply
            query = flow.overdue_query(api_actor())
        else:
            query = flow.scope(select(Order), api_actor()).order_by(Order.id.desc())
        if args.get("status"):
            query = query.where(Order.status == args["status"])
        if args.get("source"):
            query = query.where(Order.source == args["source"])
        for name in ("unit_id", "supplier_id"):
            if args[name] is not None:
                query = query.where(getattr(Order, name) == args[name])
        if args["split_flag"] is not None:
            query = query.where(Order.split_flag.is_(args["split_flag"]))
        return paginate(db(), query, args["page"], args["per_page"])

    @api_roles(Role.BUYER)
    @orders_blp.arguments(CheckoutIn)
    @orders_blp.response(201, CheckoutOut)
    @orders_blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": True,
                                 "schema": {"type": "string"},
                                 "description": "the same key returns the same orders"}])
    def post(self, data):
        """Check out the current cart: one order per supplier (header Idempotency-Key)."""
        delivery = Delivery(data["delivery_address"], data["contact_name"],
                            data["contact_phone"], data["buyer_note"])
        result = checkout.checkout_cart(
            db(), api_actor(), budget_line_id=data["budget_line_id"],
            payment_method=data["payment_method"],
            idempotency_key=request.headers.get("Idempotency-Key", ""), delivery=delivery,
            policy=_policy())
        body = {"created": result.created, "orders": [_detail(o) for o in result.orders],
                "warnings": result.warnings}
        return (body, 201) if result.created else (body, 200)


@orders_blp.route("/overdue")
class OverdueOrders(MethodView):
    @api_roles()
    @orders_blp.arguments(PageArgs, location="query")
    @orders_blp.response(200, OrderPage)
    def get(self, args):
        """Accepted orders past the payment term (逾期未付款), scoped to the caller."""
        return paginate(db(), flow.overdue_query(api_actor()), args["page"], args["per_page"])


@orders_blp.route("/<int:order_id>")
class OrderItem(MethodView):
    @api_roles()
    @orders_blp.response(200, OrderOut)
    def get(self, order_id):
        return _detail(flow.get_order(db(), api_actor(), order_id))


def _action(name: str, schema=None, doc: str = ""):
    """POST /orders/<id>/<name>: one state-machine action, answered with the order."""

    def run(order_id, data):
        actor = api_actor()
        cfg = config()
        if name == "accept":
            flow.accept(db(), actor, order_id, term_days=cfg.payment_term_days, **data)
        elif name in ("refuse", "cancel", "request_return"):
            getattr(flow, name)(db(), actor, order_id, reason=data["reason"])
        elif name == "ship":
            flow.ship(db(), actor, order_id, **data)
        else:
            getattr(flow, name)(db(), actor, order_id)
        order = flow.get_order(db(), actor, order_id)
        on_order_transition(actor, order, name)  # payments follow (orders.payments)
        return _detail(order)

    path = f"/<int:order_id>/{name.replace('_', '-')}"
    if schema is None:
        @api_roles()
        @orders_blp.response(200, OrderOut)
        def view(order_id):
            return run(order_id, {})
    else:
        @api_roles()
        @orders_blp.arguments(schema)
        @orders_blp.response(200, OrderOut)
        def view(data, order_id):
            return run(order_id, data)
    view.__name__ = f"order_{name}"
    view.__doc__ = doc
    orders_blp.route(path, methods=["POST"], endpoint=f"order_{name}")(view)


_action("confirm", doc="Supplier confirms the order (供应商确认).")
_action("refuse", ReasonIn, doc="Supplier refuses; stock and budget are given back.")
_action("cancel", ReasonIn, doc="Buyer cancels before shipping; stock and budget given back.")
_action("ship", ShipIn, doc="Supplier ships (carrier and tracking number optional).")
_action("deliver", doc="Delivered (supplier or buyer).")
_action("accept", AcceptIn, doc="Buyer's acceptance 验收: pass, partial (accepted amount) or fail.")
_action("request_return", ReasonIn, doc="Buyer requests a return after delivery or failed "
        "acceptance.")
_action("confirm_return", doc="Supplier confirms the goods came back; budget released.")
_action("complete", doc="Close a paid order.")
