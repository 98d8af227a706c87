"""API: framework agreements, first stage (/api/v1/agreements)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from mall.errors import Forbidden, NotFound
from mall.roles import Role
from mall.web import api_actor, api_roles, db, now, paginate
from suppliers import agreements
from suppliers.agreements_schemas import (
    AgreementDetailOut,
    AgreementIn,
    AgreementOut,
    AgreementPage,
    AgreementQuery,
    EvaluateIn,
    LeaveIn,
    MemberOut,
    MemberStatusIn,
    NoticeOut,
    ResponseIn,
    ResponseOut,
    ScoresIn,
    SupplementIn,
    TerminateIn,
)
from suppliers.models import AgreementMember, FrameworkAgreement

blp = Blueprint("agreements_api", __name__, url_prefix="/agreements",
                description="框架协议（征集、评审入围、成员）")


def visible_agreement(agreement_id: int) -> FrameworkAgreement:
    agreement = agreements.get(db(), agreement_id)
    if not agreements.can_see(api_actor(), agreement):
        raise NotFound("框架协议不存在", code="agreement_not_found")
    return agreement


@blp.route("")
class Agreements(MethodView):
    @api_roles()
    @blp.arguments(AgreementQuery, location="query")
    @blp.response(200, AgreementPage)
    def get(self, args):
        """Published agreements; an agency also sees its own drafts."""
        query = agreements.list_query(api_actor(), status=args.get("status"),
                                      kind=args.get("kind"))
        # each listed agreement carries its items (AgreementOut.items): load them in one query
        query = query.options(selectinload(FrameworkAgreement.items))
        return paginate(db(), query, args["page"], args["per_page"])

    @api_roles(Role.AGENCY)
    @blp.arguments(AgreementIn)
    @blp.response(201, AgreementOut)
    def post(self, data):
        """An agency drafts a solicitation with its items."""
        return agreements.create(db(), api_actor(), now=now(), **data)


@blp.route("/<int:agreement_id>")
class AgreementItem(MethodView):
    @api_roles()
    @blp.response(200, AgreementDetailOut)
    def get(self, agreement_id):
        """The agreement with its items; only the number of responses (they are sealed)."""
        agreement = visible_agreement(agreement_id)
        agreement.response_count = agreements.response_count(db(), agreement)
        return agreement


@blp.route("/<int:agreement_id>/publish")
class Publish(MethodView):
    @api_roles(Role.AGENCY)
    @blp.response(200, AgreementOut)
    def post(self, agreement_id):
        """Publish the solicitation (closed) or start the agreement (open)."""
        return agreements.publish(db(), api_actor(), agreement_id, now=now())


@blp.route("/<int:agreement_id>/open")
class OpenResponses(MethodView):
    @api_roles(Role.AGENCY)
    @blp.response(200, AgreementOut)
    def post(self, agreement_id):
        """Open the responses after the deadline (开启)."""
        return agreements.open_responses(db(), api_actor(), agreement_id, now=now())


@blp.route("/<int:agreement_id>/responses")
class Responses(MethodView):
    @api_roles(Role.AGENCY, Role.SUPPLIER, Role.BUYER, Role.OPERATOR, Role.REGULATOR,
               Role.ADMIN)
    @blp.response(200, ResponseOut(many=True))
    def get(self, agreement_id):
        """Sealed until the deadline: a supplier reads its own, the owning agency all after."""
        agreement = visible_agreement(agreement_id)
        return agreements.responses_for(db(), api_actor(), agreement, now())

    @api_roles(Role.SUPPLIER)
    @blp.arguments(ResponseIn)
    @blp.response(201, ResponseOut)
    def post(self, data, agreement_id):
        """Submit or replace the supplier's response before the deadline."""
        visible_agreement(agreement_id)
        prices = {p["item_id"]: p["unit_price"] for p in data["prices"]}
        return agreements.submit_response(db(), api_actor(), agreement_id, prices=prices,
                                          sme_declared=data["sme_declared"],
                                          documents=data["documents"], now=now())


@blp.route("/<int:agreement_id>/scores")
class Scores(MethodView):
    @api_roles(Role.AGENCY)
    @blp.arguments(ScoresIn)
    @blp.response(200, ResponseOut(many=True))
    def put(self, data, agreement_id):
        """质量优先法: the evaluation committee's scores, entered by the agency."""
        scores = {s["response_id"]: s["score"] for s in data["scores"]}
        return agreements.enter_scores(db(), api_actor(), agreement_id, scores, now=now())


@blp.route("/<int:agreement_id>/evaluate")
class Evaluate(MethodView):
    @api_roles(Role.AGENCY)
    @blp.arguments(EvaluateIn)
    @blp.response(200, ResponseOut(many=True))
    def post(self, data, agreement_id):
        """Rank the responses and mark the shortlist (at least 20% and one eliminated)."""
        return agreements.evaluate(db(), api_actor(), agreement_id, now=now(),
                                   shortlist_size=data["shortlist_size"])


@blp.route("/<int:agreement_id>/result")
class Result(MethodView):
    @api_roles(Role.AGENCY)
    @blp.response(200, AgreementOut)
    def post(self, agreement_id):
        """Publish the result notice; the shortlisted become members with agreed prices."""
        return agreements.publish_result(db(), api_actor(), agreement_id, now=now())


@blp.route("/<int:agreement_id>/supplement")
class Supplement(MethodView):
    @api_roles(Role.AGENCY)
    @blp.arguments(SupplementIn)
    @blp.response(200, AgreementOut)
    def post(self, data, agreement_id):
        """补充征集 (closed agreements in force)."""
        return agreements.supplement(db(), api_actor(), agreement_id,
                                     response_deadline=data["response_deadline"], now=now())


@blp.route("/<int:agreement_id>/terminate")
class Terminate(MethodView):
    @api_roles(Role.AGENCY)
    @blp.arguments(TerminateIn)
    @blp.response(200, AgreementOut)
    def post(self, data, agreement_id):
        return agreements.terminate(db(), api_actor(), agreement_id, now=now(), **data)


@blp.route("/<int:agreement_id>/members")
class Members(MethodView):
    @api_roles()
    @blp.response(200, MemberOut(many=True))
    def get(self, agreement_id):
        """Members in rotation order with their agreed prices (协议价格)."""
        visible_agreement(agreement_id)
        return agreements.members(db(), agreement_id)


@blp.route("/<int:agreement_id>/members/<int:member_id>/status")
class MemberStatusChange(MethodView):
    @api_roles(Role.AGENCY)
    @blp.arguments(MemberStatusIn)
    @blp.response(200, MemberOut)
    def post(self, data, agreement_id, member_id):
        """Suspend, reinstate or remove a member with a coded reason."""
        member = db().get(AgreementMember, member_id)
        if member is None or member.agreement_id != agreement_id:
            raise NotFound("协议成员不存在", code="member_not_found")
        return agreements.member_transition(db(), api_actor(), member_id, data["action"],
                                            reason_code=data["reason_code"],
                                            note=data["note"], now=now())


@blp.route("/<int:agreement_id>/join")
class Join(MethodView):
    @api_roles(Role.SUPPLIER)
    @blp.response(201, MemberOut)
    def post(self, agreement_id):
        """开放式: accept the published prices and join."""
        visible_agreement(agreement_id)
        return agreements.join(db(), api_actor(), agreement_id, now=now())


@blp.route("/<int:agreement_id>/leave")
class Leave(MethodView):
    @api_roles(Role.SUPPLIER)
    @blp.arguments(LeaveIn)
    @blp.response(200, MemberOut)
    def post(self, data, agreement_id):
        """Leave: any time in an open agreement, only with a coded cause in a closed one."""
        visible_agreement(agreement_id)
        member = agreements.member_for(db(), agreement_id, api_actor().supplier_id)
        if member is None:
            raise Forbidden("贵单位不是该框架协议的成员", code="not_member")
        return agreements.member_transition(db(), api_actor(), member.id, "leave",
                                            reason_code=data["reason_code"],
                                            note=data["note"], now=now())


@blp.route("/<int:agreement_id>/notices")
class Notices(MethodView):
    @api_roles()
    @blp.response(200, NoticeOut(many=True))
    def get(self, agreement_id):
        visible_agreement(agreement_id)
        return agreements.notices(db(), agreement_id)
