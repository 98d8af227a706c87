"""API: budget units and budget lines (/api/v1/units)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from mall.errors import NotFound
from mall.roles import Role
from mall.schemas import PageArgs
from mall.web import api_actor, api_roles, db, paginate
from orders import budget
from orders.models import BudgetUnit
from orders.schemas import LineIn, LineOut, LineQuery, UnitIn, UnitOut, UnitPage

blp = Blueprint("units_api", __name__, url_prefix="/units", description="预算单位与预算指标")

OVERSEERS = (Role.OPERATOR, Role.REGULATOR, Role.ADMIN)


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
