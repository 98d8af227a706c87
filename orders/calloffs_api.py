"""API: framework-agreement call-offs, second stage (/api/v1/calloffs)."""

from __future__ import annotations

from functools import partial

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields

from mall.errors import Forbidden, NotFound
from mall.roles import Role
from mall.schemas import Schema
from mall.web import api_actor, api_roles, config, db, now, paginate
from orders import calloffs, rules
from orders.calloffs_schemas import (
    BidIn,
    BidOut,
    CallOffIn,
    CallOffOut,
    CallOffPage,
    CallOffQuery,
    DeclineIn,
    DirectSummaryOut,
    SavingsOut,
    SavingsQuery,
)
from orders.models import CallOff
from suppliers import agreements

blp = Blueprint("calloffs_api", __name__, url_prefix="/calloffs",
                description="框架协议采购（直接选定、二次竞价、顺序轮候）")


class AgreementArg(Schema):
    agreement_id = fields.Integer(required=True)


class TurnOut(Schema):
    cycle = fields.Integer()
    position = fields.Integer()
    member_id = fields.Integer()
    calloff_id = fields.Integer()
    outcome = fields.String()
    reason = fields.String(allow_none=True)
    at = fields.DateTime()


class RotationMemberOut(Schema):
    member_id = fields.Integer(attribute="id")
    supplier_id = fields.Integer()
    supplier_name = fields.Function(lambda m: m.supplier.name)
    rotation_position = fields.Integer()
    status = fields.String()


class RotationOut(Schema):
    agreement_id = fields.Integer()
    cycle = fields.Integer()
    order = fields.List(fields.Nested(RotationMemberOut))
    waiting = fields.List(fields.Integer())
    turns = fields.List(fields.Nested(TurnOut))


def place_order():
    """Awards become orders with the configured order policy (confirmation, payment term)."""
    return partial(calloffs.order_for_award, policy=rules.Policy.from_config(config()))


@blp.route("")
class CallOffs(MethodView):
    @api_roles()
    @blp.arguments(CallOffQuery, location="query")
    @blp.response(200, CallOffPage)
    def get(self, args):
        """A buyer's unit's call-offs; a supplier's invitations, turns and awards; an agency's
        agreements' call-offs; regulators all."""
        query = calloffs.list_query(api_actor())
        if args["status"]:
            query = query.where(CallOff.status == args["status"])
        if args["agreement_id"]:
            query = query.where(CallOff.agreement_id == args["agreement_id"])
        return paginate(db(), query, args["page"], args["per_page"])

    @api_roles(Role.BUYER)
    @blp.arguments(CallOffIn)
    @blp.response(201, CallOffOut)
    def post(self, data):
        """Start a call-off: 直接选定 is awarded at once; 二次竞价 invites; 顺序轮候 offers."""
        return calloffs.start(db(), api_actor(), now=now(), place_order=place_order(), **data)


@blp.route("/savings")
class Savings(MethodView):
    @api_roles(Role.BUYER, Role.AGENCY, Role.REGULATOR, Role.ADMIN)
    @blp.arguments(SavingsQuery, location="query")
    @blp.response(200, SavingsOut(many=True))
    def get(self, args):
        """Budget vs awarded and agreed vs awarded per awarded call-off (节支)."""
        actor = api_actor()
        unit_id = actor.budget_unit_id if actor.role == Role.BUYER else None
        if actor.role == Role.AGENCY:
            if not args["agreement_id"]:
                raise Forbidden("请指定本机构的框架协议", code="agreement_forbidden")
            agreements.check_owner(actor, agreements.get(db(), args["agreement_id"]))
        return calloffs.savings(db(), unit_id=unit_id, agreement_id=args["agreement_id"])


@blp.route("/direct-summary")
class DirectSummary(MethodView):
    @api_roles()
    @blp.arguments(AgreementArg, location="query")
    @blp.response(200, DirectSummaryOut)
    def get(self, args):
        """直接选定 summary of one agreement."""
        agreement = agreements.get(db(), args["agreement_id"])
        if not agreements.can_see(api_actor(), agreement):
            raise NotFound("框架协议不存在", code="agreement_not_found")
        return calloffs.direct_summary(db(), agreement.id)


@blp.route("/rotation")
class Rotation(MethodView):
    @api_roles()
    @blp.arguments(AgreementArg, location="query")
    @blp.response(200, RotationOut)
    def get(self, args):
        """The fixed rotation order, the current cycle and every turn so far."""
        agreement = agreements.get(db(), args["agreement_id"])
        if not agreements.can_see(api_actor(), agreement):
            raise NotFound("框架协议不存在", code="agreement_not_found")
        cycle, waiting = calloffs.next_in_turn(db(), agreement.id)
        return {"agreement_id": agreement.id, "cycle": cycle,
                "order": calloffs.rotation(db(), agreement.id),
                "waiting": [m.id for m in waiting],
                "turns": calloffs.turns(db(), agreement.id)}


@blp.route("/<int:calloff_id>")
class CallOffItem(MethodView):
    @api_roles()
    @blp.response(200, CallOffOut)
    def get(self, calloff_id):
        return calloffs.visible(db(), api_actor(), calloff_id)


@blp.route("/<int:calloff_id>/bids")
class Bids(MethodView):
    @api_roles()
    @blp.response(200, BidOut(many=True))
    def get(self, calloff_id):
        """Sealed until the deadline: a supplier reads its own bid, nobody else any."""
        calloff = calloffs.get(db(), calloff_id)
        return calloffs.bids_visible(db(), api_actor(), calloff, now())

    @api_roles(Role.SUPPLIER)
    @blp.arguments(BidIn)
    @blp.response(201, BidOut)
    def post(self, data, calloff_id):
        """Bid (or rebid) before the deadline, at no more than the agreed price."""
        return calloffs.submit_bid(db(), api_actor(), calloff_id, data["unit_price"], now=now())


@blp.route("/<int:calloff_id>/award")
class Award(MethodView):
    @api_roles(Role.BUYER)
    @blp.response(200, CallOffOut)
    def post(self, calloff_id):
        """二次竞价 after the deadline: the lowest bid wins (earliest bid breaks ties)."""
        return calloffs.close_bidding(db(), api_actor(), calloff_id, now=now(),
                                      place_order=place_order())


@blp.route("/<int:calloff_id>/accept")
class Accept(MethodView):
    @api_roles(Role.SUPPLIER)
    @blp.response(200, CallOffOut)
    def post(self, calloff_id):
        """顺序轮候: the member in turn accepts at its agreed price."""
        return calloffs.accept(db(), api_actor(), calloff_id, now=now(),
                               place_order=place_order())


@blp.route("/<int:calloff_id>/decline")
class Decline(MethodView):
    @api_roles(Role.SUPPLIER)
    @blp.arguments(DeclineIn)
    @blp.response(200, CallOffOut)
    def post(self, data, calloff_id):
        """顺序轮候: the member in turn declines (recorded); the turn passes on."""
        return calloffs.decline(db(), api_actor(), calloff_id, reason_code=data["reason_code"],
                                now=now(), place_order=place_order())


@blp.route("/<int:calloff_id>/lapse")
class Lapse(MethodView):
    @api_roles(Role.BUYER)
    @blp.response(200, CallOffOut)
    def post(self, calloff_id):
        """顺序轮候: the member in turn did not answer in time; the turn passes on."""
        return calloffs.lapse(db(), api_actor(), calloff_id, now=now(),
                              place_order=place_order())


@blp.route("/<int:calloff_id>/cancel")
class Cancel(MethodView):
    @api_roles(Role.BUYER)
    @blp.response(200, CallOffOut)
    def post(self, calloff_id):
        return calloffs.cancel(db(), api_actor(), calloff_id, now=now())
