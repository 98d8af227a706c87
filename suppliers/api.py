"""API: supplier self-registration, profiles and operator decisions (/api/v1/suppliers)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from mall import accounts
from mall.clock import local_today
from mall.errors import NotFound
from mall.roles import Role
from mall.web import api_actor, api_roles, db, paginate
from suppliers import registration, status
from suppliers.models import Supplier
from suppliers.schemas import (
    RegistrationIn,
    StatusChangeIn,
    SupplierOut,
    SupplierPage,
    SupplierPrivateOut,
    SupplierQuery,
)

blp = Blueprint("suppliers_api", __name__, url_prefix="/suppliers", description="供应商")

REVIEWERS = (Role.OPERATOR, Role.ADMIN)


def register_with_account(session, data: dict) -> Supplier:
    """Self-registration: the supplier (pending review) and its first user account."""
    username, password = data.pop("username"), data.pop("password")
    accounts.check_password_strength(password)
    supplier = registration.register(session, None, **data)
    accounts.create_user(session, None, username=username, display_name=supplier.name,
                         role=Role.SUPPLIER, password=password, supplier_id=supplier.id)
    return supplier


def sees_private(actor, supplier_id: int) -> bool:
    return actor.role in REVIEWERS or (actor.role == Role.SUPPLIER
                                       and actor.supplier_id == supplier_id)


@blp.route("/register")
class Register(MethodView):
    @blp.arguments(RegistrationIn)
    @blp.response(201, SupplierPrivateOut)
    def post(self, data):
        """Anyone may register a supplier; it stays pending until an operator approves."""
        return register_with_account(db(), data)


@blp.route("")
class Suppliers(MethodView):
    @api_roles()
    @blp.arguments(SupplierQuery, location="query")
    @blp.response(200, SupplierPage)
    def get(self, args):
        """Operators, agencies, regulators and admins list all; a supplier sees itself;
        buyers see active suppliers."""
        actor = api_actor()
        query = select(Supplier).order_by(Supplier.id)
        if actor.role == Role.SUPPLIER:
            query = query.where(Supplier.id == actor.supplier_id)
        elif actor.role == Role.BUYER:
            query = query.where(Supplier.status == "active")
        if args["status"]:
            query = query.where(Supplier.status == args["status"])
        return paginate(db(), query, args["page"], args["per_page"])


@blp.route("/<int:supplier_id>")
class SupplierItem(MethodView):
    @api_roles()
    @blp.response(200, SupplierPrivateOut)
    def get(self, supplier_id):
        """Contact and bank details only for the supplier itself and operators."""
        supplier = db().get(Supplier, supplier_id)
        if supplier is None:
            raise NotFound("供应商不存在", code="supplier_not_found")
        if not sees_private(api_actor(), supplier_id):
            return supplier.public()  # no contact or bank details
        return supplier


@blp.route("/<int:supplier_id>/status")
class SupplierStatus(MethodView):
    @api_roles(*REVIEWERS)
    @blp.arguments(StatusChangeIn)
    @blp.response(200, SupplierOut)
    def post(self, data, supplier_id):
        """Approve, reject, suspend, ban or reinstate, with a coded reason where needed."""
        return status.transition(db(), api_actor(), supplier_id, data["action"],
                                 reason_code=data["reason_code"], note=data["note"],
                                 until=data["until"], today=local_today())
