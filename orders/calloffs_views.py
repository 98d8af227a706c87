"""Pages: framework-agreement call-offs for buyers (start, follow, award, results, savings),
suppliers (invitations to bid, rotation turns and position) and agencies/regulators (call-offs
of an agreement, 直接选定 summary). Bids stay sealed here as in the API."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from mall.clock import local_today
from mall.errors import DomainError
from mall.roles import Role
from mall.web import config, db, form_fields, load, now, page_roles, undo_and_flash
from orders import calloffs, rules
from orders.calloffs_schemas import BidIn, CallOffIn, DeclineIn
from orders.models import (
    CALLOFF_STATUS_LABELS,
    PAYMENT_METHOD_LABELS,
    BudgetLine,
    BudgetUnit,
    CallOff,
)
from suppliers import agreements
from suppliers.models import (
    CALLOFF_METHOD_LABELS,
    AgreementItem,
    AgreementMember,
    CallOffMethod,
    FrameworkAgreement,
    Supplier,
)

bp = Blueprint("calloffs", __name__, template_folder="templates")


def _place_order():
    return partial(calloffs.order_for_award, policy=rules.Policy.from_config(config()))


def _back(calloff_id: int):
    return redirect(url_for("calloffs.detail", calloff_id=calloff_id)), 303


def _fail(err: DomainError, calloff_id: int):
    undo_and_flash(err)
    return _back(calloff_id)


def _agreement(agreement_id: int) -> FrameworkAgreement:
    agreement = db().get(FrameworkAgreement, agreement_id)
    if agreement is None or not agreements.can_see(current_user, agreement):
        abort(404)
    return agreement


@bp.get("/calloffs")
@page_roles()
def index():
    session = db()
    query = calloffs.list_query(current_user)
    agreement = None
    summary = None
    agreement_id = request.args.get("agreement_id", type=int)
    if agreement_id:
        agreement = _agreement(agreement_id)
        query = query.where(CallOff.agreement_id == agreement_id)
        summary = calloffs.direct_summary(session, agreement_id)
        if current_user.role == Role.BUYER:  # the published summary, not other units' rows
            summary["calloffs"] = [c for c in summary["calloffs"]
                                   if c.unit_id == current_user.budget_unit_id]
    rows = list(session.scalars(query.limit(200)))
    names = _names(session, rows + (summary["calloffs"] if summary else []))
    return render_template("calloffs/index.html", calloffs=rows, agreement=agreement,
                           summary=summary, names=names, labels=CALLOFF_STATUS_LABELS,
                           methods=CALLOFF_METHOD_LABELS, reasons=calloffs.DIRECT_REASONS)


def _names(session, rows) -> dict:
    item_ids = {c.item_id for c in rows}
    supplier_ids = {c.awarded_supplier_id for c in rows if c.awarded_supplier_id}
    unit_ids = {c.unit_id for c in rows}
    agreement_ids = {c.agreement_id for c in rows}
    return {
        "items": dict(session.execute(select(AgreementItem.id, AgreementItem.name)
                                      .where(AgreementItem.id.in_(item_ids))).all()),
        "suppliers": dict(session.execute(select(Supplier.id, Supplier.name)
                                          .where(Supplier.id.in_(supplier_ids))).all()),
        "units": dict(session.execute(select(BudgetUnit.id, BudgetUnit.name)
                                      .where(BudgetUnit.id.in_(unit_ids))).all()),
        "agreements": dict(session.execute(
            select(FrameworkAgreement.id, FrameworkAgreement.title)
            .where(FrameworkAgreement.id.in_(agreement_ids))).all()),
    }


@bp.route("/agreements/<int:agreement_id>/calloffs/new", methods=["GET", "POST"])
@page_roles(Role.BUYER)
def new(agreement_id: int):
    session = db()
    agreement = _agreement(agreement_id)
    error, form, status = None, {}, 200
    if request.method == "POST":
        form = request.form
        data = form_fields("item_id", "method", "quantity", "budget_line_id", "budget_amount",
                           "requirement", "deadline", "member_id", "unit_price", "reason_code",
                           "reason_note", "payment_method")
        data["agreement_id"] = agreement_id
        if data.get("method") != "direct":
            for name in ("member_id", "unit_price", "reason_code", "reason_note"):
                data.pop(name, None)
        try:
            calloff = calloffs.start(session, current_user, now=now(),
                                     place_order=_place_order(), **load(CallOffIn(), data))
            flash(f"已发起采购 {calloff.number}：{calloff.status_label}", "success")
            return redirect(url_for("calloffs.detail", calloff_id=calloff.id))
        except DomainError as err:
            error, status = err, err.status
    lines = list(session.scalars(select(BudgetLine).where(
        BudgetLine.unit_id == current_user.budget_unit_id).order_by(BudgetLine.id)))
    members = agreements.members(session, agreement.id, active_only=True)
    return render_template("calloffs/new.html", a=agreement, lines=lines, members=members,
                           methods={m: CALLOFF_METHOD_LABELS[CallOffMethod(m)]
                                    for m in agreement.calloff_methods},
                           reasons=calloffs.DIRECT_REASONS, payments=PAYMENT_METHOD_LABELS,
                           error=error, form=form), status


@bp.get("/calloffs/<int:calloff_id>")
@page_roles()
def detail(calloff_id: int):
    session = db()
    calloff = calloffs.get(session, calloff_id)
    if not calloffs.can_see(session, current_user, calloff):
        abort(403)
    moment = now()
    agreement = session.get(FrameworkAgreement, calloff.agreement_id)
    item = session.get(AgreementItem, calloff.item_id)
    try:
        bids = calloffs.bids_visible(session, current_user, calloff, moment)
        sealed = False
    except DomainError:
        bids, sealed = [], True
    my_member = None
    if current_user.role == Role.SUPPLIER:
        my_member = agreements.member_for(session, agreement.id, current_user.supplier_id)
    offered = session.get(AgreementMember, calloff.offered_member_id) \
        if calloff.offered_member_id else None
    turns = [t for t in calloffs.turns(session, agreement.id) if t.calloff_id == calloff.id]
    member_names = {m.id: m.supplier.name for m in agreements.members(session, agreement.id)}
    supplier_names = dict(session.execute(select(Supplier.id, Supplier.name).where(
        Supplier.id.in_({b.supplier_id for b in bids} | {calloff.awarded_supplier_id or 0})))
        .all())
    notices = [n for n in agreements.notices(session, agreement.id) if n.ref_id == calloff.id]
    return render_template(
        "calloffs/detail.html", c=calloff, a=agreement, item=item, bids=bids, sealed=sealed,
        bid_count=calloffs.bid_count(session, calloff), my_member=my_member, offered=offered,
        turns=turns, member_names=member_names, supplier_names=supplier_names,
        notices=notices, now=moment, invited=calloffs.is_invited(
            session, calloff, getattr(current_user, "supplier_id", None)),
        late=calloffs.result_late(calloff, local_today(moment)), methods=CALLOFF_METHOD_LABELS,
        decline_reasons=calloffs.DECLINE_REASONS, direct_reasons=calloffs.DIRECT_REASONS,
        payments=PAYMENT_METHOD_LABELS,
        agreed=my_member.price_for(calloff.item_id) if my_member else None)


@bp.post("/calloffs/<int:calloff_id>/bid")
@page_roles(Role.SUPPLIER)
def bid(calloff_id: int):
    try:
        data = load(BidIn(), form_fields("unit_price"))
        calloffs.submit_bid(db(), current_user, calloff_id, data["unit_price"], now=now())
        flash("报价已提交（截止前密封，可在截止前修改）", "success")
    except DomainError as err:
        return _fail(err, calloff_id)
    return _back(calloff_id)


@bp.post("/calloffs/<int:calloff_id>/award")
@page_roles(Role.BUYER)
def award(calloff_id: int):
    try:
        calloff = calloffs.close_bidding(db(), current_user, calloff_id, now=now(),
                                         place_order=_place_order())
        flash(f"竞价结束：{calloff.status_label}", "success")
    except DomainError as err:
        return _fail(err, calloff_id)
    return _back(calloff_id)


@bp.post("/calloffs/<int:calloff_id>/accept")
@page_roles(Role.SUPPLIER)
def accept(calloff_id: int):
    try:
        calloffs.accept(db(), current_user, calloff_id, now=now(), place_order=_place_order())
        flash("已确认承接，成交结果已公告", "success")
    except DomainError as err:
        return _fail(err, calloff_id)
    return _back(calloff_id)


@bp.post("/calloffs/<int:calloff_id>/decline")
@page_roles(Role.SUPPLIER)
def decline(calloff_id: int):
    try:
        data = load(DeclineIn(), form_fields("reason_code"))
        calloffs.decline(db(), current_user, calloff_id, reason_code=data["reason_code"],
                         now=now(), place_order=_place_order())
        flash("已放弃本次轮候，已记录并顺延至下一位", "info")
    except DomainError as err:
        return _fail(err, calloff_id)
    return _back(calloff_id)


@bp.post("/calloffs/<int:calloff_id>/lapse")
@page_roles(Role.BUYER)
def lapse(calloff_id: int):
    try:
        calloffs.lapse(db(), current_user, calloff_id, now=now(), place_order=_place_order())
        flash("已按逾期未确认记录，顺延至下一位", "info")
    except DomainError as err:
        return _fail(err, calloff_id)
    return _back(calloff_id)


@bp.post("/calloffs/<int:calloff_id>/cancel")
@page_roles(Role.BUYER)
def cancel(calloff_id: int):
    try:
        calloffs.cancel(db(), current_user, calloff_id, now=now())
        flash("已取消采购任务", "info")
    except DomainError as err:
        return _fail(err, calloff_id)
    return _back(calloff_id)


@bp.get("/agreements/<int:agreement_id>/rotation")
@page_roles()
def rotation(agreement_id: int):
    session = db()
    agreement = _agreement(agreement_id)
    cycle, waiting = calloffs.next_in_turn(session, agreement.id)
    members = agreements.members(session, agreement.id)
    mine = None
    if current_user.role == Role.SUPPLIER:
        mine = next((m for m in members if m.supplier_id == current_user.supplier_id), None)
    return render_template("calloffs/rotation.html", a=agreement, cycle=cycle,
                           waiting={m.id for m in waiting}, members=members, mine=mine,
                           next_member=waiting[0] if waiting else (members[0] if members
                                                                   else None),
                           turns=calloffs.turns(session, agreement.id),
                           names={m.id: m.supplier.name for m in members})


@bp.get("/calloffs/savings")
@page_roles(Role.BUYER, Role.REGULATOR, Role.ADMIN)
def savings():
    session = db()
    unit_id = current_user.budget_unit_id if current_user.role == Role.BUYER else None
    rows = calloffs.savings(session, unit_id=unit_id)
    totals = {k: sum((r[k] for r in rows), 0) for k in (
        "budget_amount", "agreed_total", "awarded_total", "saving_vs_budget",
        "saving_vs_agreed")}
    units = dict(session.execute(select(BudgetUnit.id, BudgetUnit.name)).all())
    return render_template("calloffs/savings.html", rows=rows, totals=totals, units=units,
                           methods=CALLOFF_METHOD_LABELS)
