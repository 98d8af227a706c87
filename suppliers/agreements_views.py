"""Pages: framework agreements for agencies (solicitations, evaluation, results, members),
suppliers (open solicitations, responses, joining and leaving) and buyers (agreements and
their items, members and agreed prices). Sealed responses stay sealed here as in the API."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from mall.clock import local_today
from mall.errors import DomainError
from mall.roles import Role
from mall.web import db, load, now, page_roles, undo_and_flash
from suppliers import agreements
from suppliers.agreements_schemas import (
    AgreementIn,
    EvaluateIn,
    LeaveIn,
    MemberStatusIn,
    ResponseIn,
    ScoresIn,
    SupplementIn,
    TerminateIn,
)
from suppliers.models import (
    AGREEMENT_KIND_LABELS,
    AGREEMENT_STATUS_LABELS,
    CALLOFF_METHOD_LABELS,
    EVALUATION_LABELS,
    AgreementMember,
    FrameworkAgreement,
)

bp = Blueprint("agreements", __name__, template_folder="templates")

ITEM_ROWS = 3
ITEM_FIELDS = ("name", "category_code", "spec", "unit", "est_quantity", "max_unit_price")


def _field(name: str) -> str | None:
    value = (request.form.get(name) or "").strip()
    return value or None


def _fail(err: DomainError, agreement_id: int):
    undo_and_flash(err)
    return redirect(url_for("agreements.detail", agreement_id=agreement_id)), 303


def _visible(agreement_id: int) -> FrameworkAgreement:
    agreement = db().get(FrameworkAgreement, agreement_id)
    if agreement is None or not agreements.can_see(current_user, agreement):
        abort(404)
    return agreement


@bp.get("/agreements")
@page_roles()
def index():
    """Agencies: their own and all published; suppliers: open solicitations and agreements in
    force; buyers: agreements in force."""
    wanted = request.args.get("status")
    query = agreements.list_query(
        current_user, status=wanted if wanted in AGREEMENT_STATUS_LABELS else None)
    rows = list(db().scalars(query.limit(200)))
    mine = set()
    if current_user.role == Role.SUPPLIER:
        mine = set(db().scalars(select(AgreementMember.agreement_id).where(
            AgreementMember.supplier_id == current_user.supplier_id)))
    return render_template("agreements/index.html", agreements=rows, wanted=wanted,
                           labels=AGREEMENT_STATUS_LABELS, mine=mine)


def _agreement_form() -> dict:
    data: dict = {k: _field(k) for k in (
        "title", "kind", "description", "evaluation_method", "elimination_ratio",
        "sme_deduction", "bid_working_days", "response_deadline", "valid_from",
        "valid_until")}
    data = {k: v for k, v in data.items() if v is not None}
    data["calloff_methods"] = request.form.getlist("calloff_methods")
    items = []
    for i in range(ITEM_ROWS):
        row = {k: _field(f"item-{i}-{k}") for k in ITEM_FIELDS}
        if any(row.values()):
            items.append({k: v for k, v in row.items() if v is not None})
    data["items"] = items
    return data


@bp.route("/agency/agreements/new", methods=["GET", "POST"])
@page_roles(Role.AGENCY)
def new():
    error, form, status = None, {}, 200
    if request.method == "POST":
        form = request.form
        try:
            data = load(AgreementIn(), _agreement_form())
            agreement = agreements.create(db(), current_user, now=now(), **data)
            flash(f"已保存征集草稿 {agreement.number}，请核对后发布", "success")
            return redirect(url_for("agreements.detail", agreement_id=agreement.id))
        except DomainError as err:
            error, status = err, err.status
    default_deadline = agreements.default_deadline(now()).strftime("%Y-%m-%dT%H:%M")
    return render_template("agreements/new.html", error=error, form=form, rows=ITEM_ROWS,
                           kinds=AGREEMENT_KIND_LABELS, methods=CALLOFF_METHOD_LABELS,
                           evaluations=EVALUATION_LABELS, default_deadline=default_deadline,
                           ), status


@bp.get("/agreements/<int:agreement_id>")
@page_roles()
def detail(agreement_id: int):
    session = db()
    agreement = _visible(agreement_id)
    moment = now()
    owner = agreements.is_owner(current_user, agreement)
    ctx: dict = {
        "a": agreement, "owner": owner, "now": moment,
        "sealed": not agreements.deadline_passed(agreement, moment),
        "response_count": agreements.response_count(session, agreement),
        "members": agreements.members(session, agreement.id),
        "notices": agreements.notices(session, agreement.id),
        "categories": agreements.categories_named(session,
                                                  [i.category_code for i in agreement.items]),
        "in_force": agreements.in_force(agreement, local_today(moment)),
        "member_reasons": agreements.MEMBER_REASONS, "leave_causes": agreements.LEAVE_CAUSES,
        "terminate_reasons": agreements.TERMINATE_REASONS,
        "default_deadline": agreements.default_deadline(moment, 10).strftime("%Y-%m-%dT%H:%M"),
    }
    if current_user.role == Role.SUPPLIER:
        own = agreements.responses_for(session, current_user, agreement, moment)
        ctx["own_response"] = own[0] if own else None
        ctx["own_prices"] = {p.item_id: p.unit_price for p in own[0].prices} if own else {}
        ctx["membership"] = agreements.member_for(session, agreement.id,
                                                  current_user.supplier_id)
    return render_template("agreements/detail.html", **ctx)


@bp.get("/agreements/<int:agreement_id>/responses")
@page_roles(Role.AGENCY)
def responses(agreement_id: int):
    """The owning agency's evaluation page: responses, scores, ranking and shortlist."""
    agreement = _visible(agreement_id)
    try:
        rows = agreements.responses_for(db(), current_user, agreement, now())
    except DomainError as err:
        return render_template("error.html", error=err), err.status
    return render_template("agreements/responses.html", a=agreement, responses=rows,
                           limit=agreements.max_shortlist(sum(r.valid for r in rows),
                                                          agreement.elimination_ratio)
                           if rows else 0)


def _agency_action(agreement_id: int, action, success: str, schema=None, target=None):
    try:
        data = load(schema, {k: v for k, v in request.form.items()
                             if k != "csrf_token" and v.strip()}) if schema else {}
        action(data)
        flash(success, "success")
    except DomainError as err:
        return _fail(err, agreement_id)
    return redirect(target or url_for("agreements.detail", agreement_id=agreement_id)), 303


@bp.post("/agreements/<int:agreement_id>/publish")
@page_roles(Role.AGENCY)
def publish(agreement_id: int):
    return _agency_action(agreement_id, lambda _: agreements.publish(
        db(), current_user, agreement_id, now=now()), "已发布")


@bp.post("/agreements/<int:agreement_id>/open")
@page_roles(Role.AGENCY)
def open_responses(agreement_id: int):
    return _agency_action(agreement_id, lambda _: agreements.open_responses(
        db(), current_user, agreement_id, now=now()), "已开启响应文件，进入评审",
        target=url_for("agreements.responses", agreement_id=agreement_id))


@bp.post("/agreements/<int:agreement_id>/scores")
@page_roles(Role.AGENCY)
def scores(agreement_id: int):
    data = {"scores": [{"response_id": k.removeprefix("score-"), "score": v.strip()}
                       for k, v in request.form.items()
                       if k.startswith("score-") and v.strip()]}
    try:
        loaded = load(ScoresIn(), data)
        agreements.enter_scores(db(), current_user, agreement_id,
                                {s["response_id"]: s["score"] for s in loaded["scores"]},
                                now=now())
        flash("已保存评审得分", "success")
    except DomainError as err:
        return _fail(err, agreement_id)
    return redirect(url_for("agreements.responses", agreement_id=agreement_id)), 303


@bp.post("/agreements/<int:agreement_id>/evaluate")
@page_roles(Role.AGENCY)
def evaluate(agreement_id: int):
    return _agency_action(
        agreement_id, lambda d: agreements.evaluate(db(), current_user, agreement_id, now=now(),
                                                    shortlist_size=d["shortlist_size"]),
        "评审完成，已确定入围名单", EvaluateIn(),
        target=url_for("agreements.responses", agreement_id=agreement_id))


@bp.post("/agreements/<int:agreement_id>/result")
@page_roles(Role.AGENCY)
def result(agreement_id: int):
    return _agency_action(agreement_id, lambda _: agreements.publish_result(
        db(), current_user, agreement_id, now=now()), "已发布入围结果公告并告知轮候顺序")


@bp.post("/agreements/<int:agreement_id>/supplement")
@page_roles(Role.AGENCY)
def supplement(agreement_id: int):
    return _agency_action(agreement_id, lambda d: agreements.supplement(
        db(), current_user, agreement_id, response_deadline=d["response_deadline"], now=now()),
        "已发布补充征集公告", SupplementIn())


@bp.post("/agreements/<int:agreement_id>/terminate")
@page_roles(Role.AGENCY)
def terminate(agreement_id: int):
    return _agency_action(agreement_id, lambda d: agreements.terminate(
        db(), current_user, agreement_id, now=now(), **d), "框架协议已终止", TerminateIn())


@bp.post("/agreements/<int:agreement_id>/members/<int:member_id>/status")
@page_roles(Role.AGENCY)
def member_status(agreement_id: int, member_id: int):
    member = db().get(AgreementMember, member_id)
    if member is None or member.agreement_id != agreement_id:
        abort(404)
    return _agency_action(agreement_id, lambda d: agreements.member_transition(
        db(), current_user, member_id, d["action"], reason_code=d["reason_code"],
        note=d["note"], now=now()), "已更新成员状态", MemberStatusIn())


@bp.post("/agreements/<int:agreement_id>/respond")
@page_roles(Role.SUPPLIER)
def respond(agreement_id: int):
    agreement = _visible(agreement_id)
    data = {"prices": [{"item_id": item.id, "unit_price": _field(f"price-{item.id}") or ""}
                       for item in agreement.items],
            "sme_declared": bool(request.form.get("sme_declared")),
            "documents": _field("documents") or ""}
    try:
        loaded = load(ResponseIn(), data)
        agreements.submit_response(
            db(), current_user, agreement_id,
            prices={p["item_id"]: p["unit_price"] for p in loaded["prices"]},
            sme_declared=loaded["sme_declared"], documents=loaded["documents"], now=now())
        flash("响应文件已提交（截止前密封，可在截止前修改）", "success")
    except DomainError as err:
        return _fail(err, agreement_id)
    return redirect(url_for("agreements.detail", agreement_id=agreement_id)), 303


@bp.post("/agreements/<int:agreement_id>/join")
@page_roles(Role.SUPPLIER)
def join(agreement_id: int):
    _visible(agreement_id)
    try:
        member = agreements.join(db(), current_user, agreement_id, now=now())
        flash(f"已加入框架协议，轮候顺序第 {member.rotation_position} 位", "success")
    except DomainError as err:
        return _fail(err, agreement_id)
    return redirect(url_for("agreements.detail", agreement_id=agreement_id)), 303


@bp.post("/agreements/<int:agreement_id>/leave")
@page_roles(Role.SUPPLIER)
def leave(agreement_id: int):
    _visible(agreement_id)
    member = agreements.member_for(db(), agreement_id, current_user.supplier_id)
    if member is None:
        abort(403)
    try:
        data = load(LeaveIn(), {k: v for k, v in request.form.items()
                                if k != "csrf_token" and v.strip()})
        agreements.member_transition(db(), current_user, member.id, "leave",
                                     reason_code=data["reason_code"], note=data["note"],
                                     now=now())
        flash("已退出框架协议", "info")
    except DomainError as err:
        return _fail(err, agreement_id)
    return redirect(url_for("agreements.detail", agreement_id=agreement_id)), 303

