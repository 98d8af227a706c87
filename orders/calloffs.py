"""Framework-agreement call-offs, second stage (框架协议第二阶段：确定成交供应商).

A buyer starts a call-off under an agreement in force with requirement, item, quantity, budget
line, budget amount and (for 二次竞价 / 顺序轮候) a deadline. Three methods:

- 直接选定 (direct): the buyer picks a member holding the item at no more than its agreed price
  and records a coded reason (price, quality, service, ratings); awarded at once. Direct
  selections are summarised per agreement (`direct_summary`) instead of a notice each.
- 二次竞价 (bidding): every active member holding the item is invited; the deadline is at least
  the agreement's number of Chinese working days away (`mall.workdays`); bids are sealed until
  the deadline; a bid above the member's agreed price or above the call-off budget is refused;
  after the deadline the lowest unit price wins, ties to the earliest bid (the time of the last
  resubmission), then the lower supplier id. No valid bid: the call-off fails (流标).
- 顺序轮候 (rotation): members take turns in the rotation order fixed and notified when the
  agreement started. Turns are recorded per cycle in `RotationTurn` (one row per member per
  cycle, unique in the database): the call-off is offered to the next member in order that has
  had no turn in the current cycle; accepting awards it at the agreed price, declining is
  recorded and the turn passes on. A suspended member's turn is recorded as skipped. When every
  member has had its turn the next cycle starts from the first position. If every active member
  declines the same call-off it fails.

Results of 二次竞价 and 顺序轮候 are published as notices (成交结果公告) when awarded; the due
date is 2 working days after the bid deadline (bidding) or the award (rotation), and a notice
published later is reported as late (`result_late`).

Call-off state machine (`TRANSITIONS`, one `transition()` that locks the row and audits):
new ─invite→ bidding; new|offered ─offer→ offered; new|bidding|offered ─award→ awarded;
bidding|offered ─fail→ failed; bidding|offered ─cancel→ cancelled. A member in turn that does
not answer by the deadline is passed over by `lapse` (buyer or `mall jobs`), recorded as a
decline (逾期未确认), and the next member gets a fresh window of the same length.

The award becomes an order in the ordinary order pipeline (`order_for_award` →
`orders.checkout.place_calloff_order`): exempt from the purchase limit, the budget frozen by the
order; everything after (confirmation, acceptance, payment, contract) is the ordinary flow. Savings for the reports: `savings()` per awarded call-off.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from mall import audit
from mall.accounts import User
from mall.clock import local_today, to_local
from mall.db import get_by_id
from mall.errors import Conflict, Forbidden, RuleViolation, field_error
from mall.money import fmt_cny
from mall.roles import Role
from mall.workdays import add_working_days, working_days_between
from orders import budget, checkout, rules
from orders.models import (
    BudgetLine,
    CallOff,
    CallOffBid,
    CallOffInvite,
    CallOffStatus,
    Order,
    PaymentMethod,
    RotationTurn,
)
from suppliers import agreements
from suppliers.models import (
    CALLOFF_METHOD_LABELS,
    AgreementItem,
    AgreementMember,
    CallOffMethod,
    FrameworkAgreement,
    MemberPrice,
    MemberStatus,
    NoticeKind,
    Supplier,
)
from suppliers.status import can_trade, can_trade_clause

C = CallOffStatus

TRANSITIONS: dict[str, tuple[set[CallOffStatus], CallOffStatus]] = {
    "invite": ({C.NEW}, C.BIDDING),
    "offer": ({C.NEW, C.OFFERED}, C.OFFERED),
    "award": ({C.NEW, C.BIDDING, C.OFFERED}, C.AWARDED),
    "fail": ({C.BIDDING, C.OFFERED}, C.FAILED),
    "cancel": ({C.BIDDING, C.OFFERED}, C.CANCELLED),
}

ACTION_LABELS = {"invite": "邀请竞价", "offer": "轮候通知", "award": "确定成交", "fail": "未成交",
                 "cancel": "取消"}

DIRECT_REASONS = {
    "price": "价格优势",
    "quality": "质量优势",
    "service": "服务优势（响应速度、售后等）",
    "rating": "履约评价较好",
}

DECLINE_REASONS = {
    "capacity": "产能或库存不足",
    "delivery": "无法按期交货",
    "region": "不在服务区域",
    "other": "其他",
}

RESULT_WORKING_DAYS = 2  # 成交结果 published within 2 working days
MIN_BIDDERS = 2  # 二次竞价 needs at least two active members holding the item


class BidsSealed(Forbidden):
    code = "bids_sealed"


# --- reading ----------------------------------------------------------------------------


def get(session: Session, calloff_id: int, *, lock: bool = False) -> CallOff:
    return get_by_id(session, CallOff, calloff_id, lock=lock, missing="采购任务不存在",
                     code="calloff_not_found")


def is_invited(session: Session, calloff: CallOff, supplier_id: int | None) -> bool:
    if supplier_id is None:
        return False
    if calloff.awarded_supplier_id == supplier_id:
        return True
    if calloff.method == CallOffMethod.BIDDING:
        return session.scalar(select(CallOffInvite.id).where(
            CallOffInvite.calloff_id == calloff.id,
            CallOffInvite.supplier_id == supplier_id)) is not None
    if calloff.method == CallOffMethod.ROTATION:
        return session.scalar(select(RotationTurn.id).join(
            AgreementMember, AgreementMember.id == RotationTurn.member_id).where(
            RotationTurn.calloff_id == calloff.id,
            AgreementMember.supplier_id == supplier_id)) is not None
    return False


def can_see(session: Session, actor, calloff: CallOff) -> bool:
    if actor.role == Role.BUYER:
        return actor.budget_unit_id == calloff.unit_id
    if actor.role == Role.SUPPLIER:
        return is_invited(session, calloff, actor.supplier_id)
    if actor.role == Role.AGENCY:
        agreement = session.get(FrameworkAgreement, calloff.agreement_id)
        return agreements.is_owner(actor, agreement)
    return actor.role in (Role.REGULATOR, Role.ADMIN)


def visible(session: Session, actor, calloff_id: int) -> CallOff:
    calloff = get(session, calloff_id)
    if not can_see(session, actor, calloff):
        raise Forbidden("无权查看该采购任务", code="calloff_forbidden")
    return calloff


def list_query(actor):
    """The call-offs an actor may list, newest first."""
    query = select(CallOff).order_by(CallOff.created_at.desc(), CallOff.id.desc())
    if actor.role == Role.BUYER:
        return query.where(CallOff.unit_id == actor.budget_unit_id)
    if actor.role == Role.SUPPLIER:
        sid = actor.supplier_id
        invited = select(CallOffInvite.calloff_id).where(CallOffInvite.supplier_id == sid)
        turned = select(RotationTurn.calloff_id).join(
            AgreementMember, AgreementMember.id == RotationTurn.member_id).where(
            AgreementMember.supplier_id == sid)
        return query.where(CallOff.id.in_(invited) | CallOff.id.in_(turned)
                           | (CallOff.awarded_supplier_id == sid))
    if actor.role == Role.AGENCY:
        owned = select(FrameworkAgreement.id).where(
            FrameworkAgreement.agency_user_id == actor.id)
        return query.where(CallOff.agreement_id.in_(owned))
    if actor.role in (Role.REGULATOR, Role.ADMIN):
        return query
    return query.where(CallOff.id.is_(None))


def bids_visible(session: Session, actor, calloff: CallOff, now: datetime) -> list[CallOffBid]:
    """Sealed bids: before the deadline a supplier reads only its own bid, nobody else any;
    after it the buyer, the owning agency and regulators read all."""
    query = select(CallOffBid).where(CallOffBid.calloff_id == calloff.id).order_by(
        CallOffBid.unit_price, CallOffBid.submitted_at, CallOffBid.supplier_id)
    if actor.role == Role.SUPPLIER:
        return list(session.scalars(query.where(CallOffBid.supplier_id == actor.supplier_id)))
    if not can_see(session, actor, calloff):
        raise Forbidden("无权查看该采购任务", code="calloff_forbidden")
    if calloff.method == CallOffMethod.BIDDING and calloff.status == C.BIDDING \
            and now < calloff.deadline:
        raise BidsSealed("竞价截止前报价密封，任何人不得查看", status=403)
    return list(session.scalars(query))


def bid_count(session: Session, calloff: CallOff) -> int:
    return session.scalar(select(func.count()).select_from(CallOffBid).where(
        CallOffBid.calloff_id == calloff.id)) or 0


def result_late(calloff: CallOff, today=None) -> bool:
    """Was (or is) the result notice later than its due date (2 working days)?"""
    if calloff.result_due_by is None:
        return False
    if calloff.result_published_at is None:
        return (today or local_today()) > calloff.result_due_by
    return local_today(calloff.result_published_at) > calloff.result_due_by


# --- the state machine ------------------------------------------------------------------


def transition(session: Session, actor, calloff_id: int, action: str, *, now: datetime,
               details: dict | None = None) -> CallOff:
    if action not in TRANSITIONS:
        raise field_error("action", f"未知操作：{action}")
    calloff = get(session, calloff_id, lock=True)
    sources, target = TRANSITIONS[action]
    if CallOffStatus(calloff.status) not in sources:
        raise Conflict(f"采购任务当前状态为“{calloff.status_label}”，不能{ACTION_LABELS[action]}",
                       code="calloff_transition_refused")
    before = {"status": calloff.status}
    calloff.status = target.value
    audit.record(session, actor, f"calloff.{action}", "calloff", calloff.id, before=before,
                 after={"status": calloff.status, "at": now, **(details or {})})
    return calloff


# --- starting a call-off ----------------------------------------------------------------


def _members_holding(session: Session, agreement_id: int, item_id: int, *,
                     active_only: bool = False) -> list[AgreementMember]:
    query = (select(AgreementMember).join(MemberPrice, MemberPrice.member_id == AgreementMember.id)
             .where(AgreementMember.agreement_id == agreement_id, MemberPrice.item_id == item_id)
             .options(selectinload(AgreementMember.supplier),
                      selectinload(AgreementMember.prices))
             .order_by(AgreementMember.rotation_position))
    if active_only:
        query = query.where(AgreementMember.status == MemberStatus.ACTIVE.value)
    return list(session.scalars(query))


def _members_holding_exists(session: Session, agreement_id: int, item_id: int) -> bool:
    return session.scalar(
        select(AgreementMember.id).join(MemberPrice, MemberPrice.member_id == AgreementMember.id)
        .where(AgreementMember.agreement_id == agreement_id, MemberPrice.item_id == item_id,
               AgreementMember.status == MemberStatus.ACTIVE.value).limit(1)) is not None


def _eligible_exists(session: Session, calloff: CallOff, today, declined: set[int]) -> bool:
    """Is any member able to take this rotation call-off: active, trading, holding the item,
    and not having declined it?"""
    query = (select(AgreementMember.id)
             .join(MemberPrice, MemberPrice.member_id == AgreementMember.id)
             .join(Supplier, Supplier.id == AgreementMember.supplier_id)
             .where(AgreementMember.agreement_id == calloff.agreement_id,
                    MemberPrice.item_id == calloff.item_id,
                    AgreementMember.status == MemberStatus.ACTIVE.value,
                    can_trade_clause(today)))
    if declined:
        query = query.where(AgreementMember.id.not_in(declined))
    return session.scalar(query.limit(1)) is not None


def start(session: Session, actor, *, agreement_id: int, item_id: int, method: str,
          quantity: int, budget_line_id: int, budget_amount: Decimal, requirement: str = "",
          deadline: datetime | None = None, member_id: int | None = None,
          unit_price: Decimal | None = None, reason_code: str | None = None,
          reason_note: str | None = None, payment_method: str = "treasury",
          now: datetime, place_order=None) -> CallOff:
    """Start a call-off; a direct selection is awarded at once (and its order placed)."""
    if actor is None or actor.role != Role.BUYER:
        raise Forbidden("只有采购人可以发起框架协议采购", code="role_forbidden")
    method = CallOffMethod(method)
    deadline = deadline.astimezone(UTC) if deadline is not None else None
    agreement = agreements.get(session, agreement_id)
    today = local_today(now)
    if not agreements.in_force(agreement, today):
        raise RuleViolation(f"框架协议“{agreement.title}”不在有效期内（{agreement.status_label}，"
                            f"有效期至 {agreement.valid_until}），不能发起采购",
                            code="agreement_not_in_force")
    if method.value not in agreement.calloff_methods:
        raise RuleViolation(f"该框架协议不允许{CALLOFF_METHOD_LABELS[method]}",
                            code="method_not_allowed", errors={"method": ["协议未约定该方式"]})
    item = session.get(AgreementItem, item_id)
    if item is None or item.agreement_id != agreement.id:
        raise field_error("item_id", "不是该框架协议的标的")
    if quantity < 1:
        raise field_error("quantity", "数量至少为 1")
    line = session.get(BudgetLine, budget_line_id)
    if line is None or line.unit_id != actor.budget_unit_id:
        raise field_error("budget_line_id", "请选择本单位的预算指标")
    if budget_amount > line.available:
        raise budget.InsufficientBudget(
            f"预算指标可用余额 {fmt_cny(line.available)} 不足本次采购预算 {fmt_cny(budget_amount)}",
            errors={"budget_amount": ["超过预算指标可用余额"]})
    active = []
    if method is CallOffMethod.BIDDING:
        active = _members_holding(session, agreement.id, item.id, active_only=True)
        if deadline is None:
            raise field_error("deadline", "二次竞价须设置报价截止时间")
        days = working_days_between(today, to_local(deadline).date())
        if days < agreement.bid_working_days:
            earliest = add_working_days(today, agreement.bid_working_days)
            raise RuleViolation(
                f"报价截止时间至少应在 {agreement.bid_working_days} 个工作日之后（不早于 {earliest}）",
                code="bid_window_too_short",
                errors={"deadline": [f"不早于 {earliest}"]})
        if len(active) < MIN_BIDDERS:
            raise RuleViolation("持有该标的的正常状态成员不足 2 家，不能二次竞价",
                                code="too_few_members")
    if method is CallOffMethod.ROTATION:
        if deadline is None or deadline <= now:
            raise field_error("deadline", "顺序轮候须设置供应商确认截止时间")
        if not _members_holding_exists(session, agreement.id, item.id):
            raise RuleViolation("没有正常状态的协议成员", code="no_active_members")
    calloff = CallOff(agreement_id=agreement.id, item_id=item.id, unit_id=actor.budget_unit_id,
                      buyer_user_id=actor.id, budget_line_id=line.id, method=method.value,
                      requirement=requirement, quantity=quantity, budget_amount=budget_amount,
                      deadline=deadline if method is not CallOffMethod.DIRECT else None,
                      payment_method=PaymentMethod(payment_method).value,
                      status=C.NEW.value, created_at=now)
    session.add(calloff)
    session.flush()
    calloff.number = f"CO{today.year}{calloff.id:06d}"
    audit.record(session, actor, "calloff.create", "calloff", calloff.id,
                 after={"agreement_id": agreement.id, "item_id": item.id,
                        "method": method.value, "quantity": quantity,
                        "budget_amount": budget_amount, "deadline": deadline})
    if method is CallOffMethod.DIRECT:
        _direct(session, actor, calloff, member_id=member_id, unit_price=unit_price,
                reason_code=reason_code, reason_note=reason_note, now=now,
                place_order=place_order)
    elif method is CallOffMethod.BIDDING:
        for m in active:
            session.add(CallOffInvite(calloff_id=calloff.id, member_id=m.id,
                                      supplier_id=m.supplier_id))
        transition(session, actor, calloff.id, "invite", now=now,
                   details={"invited": [m.supplier_id for m in active]})
    else:
        _offer_next(session, actor, calloff, now=now, place_order=place_order)
    return calloff


def _direct(session: Session, actor, calloff: CallOff, *, member_id, unit_price, reason_code,
            reason_note, now, place_order) -> None:
    member = session.get(AgreementMember, member_id) if member_id is not None else None
    if member is None or member.agreement_id != calloff.agreement_id \
            or member.price_for(calloff.item_id) is None:
        raise field_error("member_id", "请选择持有该标的的协议成员")
    if member.status != MemberStatus.ACTIVE:
        raise RuleViolation(f"协议成员“{member.supplier.name}”当前为“{member.status_label}”，"
                            "不能被选定", code="member_not_active")
    if not can_trade(member.supplier, local_today(now)):
        raise RuleViolation(f"供应商“{member.supplier.name}”当前不能参加政府采购活动",
                            code="supplier_not_active")
    if reason_code not in DIRECT_REASONS:
        raise field_error("reason_code", "请选择直接选定的理由", code="reason_required")
    agreed = member.price_for(calloff.item_id)
    price = agreed if unit_price is None else unit_price
    if price > agreed:
        raise RuleViolation(f"成交单价不得高于协议价格 {fmt_cny(agreed)}", code="price_above_agreed",
                            errors={"unit_price": [f"不得高于 {fmt_cny(agreed)}"]})
    if price <= 0:
        raise field_error("unit_price", "成交单价必须大于 0")
    calloff.reason_code = reason_code
    calloff.reason_note = reason_note
    _award(session, actor, calloff, member, price, now=now, place_order=place_order)


# --- 二次竞价 ----------------------------------------------------------------------------


def submit_bid(session: Session, actor, calloff_id: int, unit_price: Decimal, *,
               now: datetime) -> CallOffBid:
    if actor is None or actor.role != Role.SUPPLIER:
        raise Forbidden("只有供应商可以报价", code="role_forbidden")
    calloff = get(session, calloff_id)
    if calloff.method != CallOffMethod.BIDDING:
        raise Conflict("该采购任务不是二次竞价", code="not_bidding")
    invite = session.scalar(select(CallOffInvite).where(
        CallOffInvite.calloff_id == calloff.id, CallOffInvite.supplier_id == actor.supplier_id))
    if invite is None:
        raise Forbidden("贵单位未被邀请参加该二次竞价", code="not_invited")
    if calloff.status != C.BIDDING:
        raise Conflict(f"采购任务当前状态为“{calloff.status_label}”，不能报价", code="not_bidding")
    if now >= calloff.deadline:
        raise RuleViolation("已过报价截止时间", code="bid_late")
    member = session.get(AgreementMember, invite.member_id)
    if member.status != MemberStatus.ACTIVE:
        raise RuleViolation(f"贵单位在该协议中的状态为“{member.status_label}”，不能报价",
                            code="member_not_active")
    if not can_trade(session.get(Supplier, actor.supplier_id), local_today(now)):
        raise RuleViolation("供应商当前状态不能参加政府采购活动", code="supplier_not_active")
    agreed = member.price_for(calloff.item_id)
    if unit_price <= 0:
        raise field_error("unit_price", "报价必须大于 0")
    if unit_price > agreed:
        raise RuleViolation(f"报价不得高于贵单位的协议价格 {fmt_cny(agreed)}",
                            code="bid_above_agreed",
                            errors={"unit_price": [f"不得高于 {fmt_cny(agreed)}"]})
    if unit_price * calloff.quantity > calloff.budget_amount:
        raise RuleViolation(f"报价总额超过本次采购预算 {fmt_cny(calloff.budget_amount)}",
                            code="bid_over_budget",
                            errors={"unit_price": ["报价总额超过采购预算"]})
    bid = session.scalar(select(CallOffBid).where(
        CallOffBid.calloff_id == calloff.id, CallOffBid.supplier_id == actor.supplier_id)
        .with_for_update())
    if bid is None:
        bid = CallOffBid(calloff_id=calloff.id, member_id=member.id,
                         supplier_id=actor.supplier_id, unit_price=unit_price,
                         submitted_at=now)
        session.add(bid)
    else:
        bid.unit_price = unit_price
        bid.submitted_at = now
    session.flush()
    # Sealed: the audit trail records the bid's time, never its price, before the deadline.
    audit.record(session, actor, "calloff.bid", "calloff", calloff.id,
                 after={"bid_id": bid.id, "supplier_id": actor.supplier_id, "at": now})
    return bid


def close_bidding(session: Session, actor, calloff_id: int, *, now: datetime,
                  place_order=None) -> CallOff:
    """After the deadline: award the lowest valid bid (earliest bid breaks ties) or fail."""
    calloff = get(session, calloff_id)
    if actor is not None and not (actor.role == Role.BUYER
                                  and actor.budget_unit_id == calloff.unit_id):
        raise Forbidden("只有发起采购的单位可以确定成交", code="calloff_forbidden")
    if calloff.method != CallOffMethod.BIDDING or calloff.status != C.BIDDING:
        raise Conflict(f"采购任务当前状态为“{calloff.status_label}”，不能确定成交",
                       code="calloff_transition_refused")
    if now < calloff.deadline:
        raise BidsSealed("报价截止时间未到，不能开启报价", status=409)
    today = local_today(now)
    candidates = []
    for bid in session.scalars(select(CallOffBid).where(CallOffBid.calloff_id == calloff.id)):
        member = session.get(AgreementMember, bid.member_id)
        if member.status == MemberStatus.ACTIVE and can_trade(member.supplier, today):
            candidates.append((bid, member))
    calloff.result_due_by = add_working_days(to_local(calloff.deadline).date(),
                                             RESULT_WORKING_DAYS)
    if not candidates:
        transition(session, actor, calloff.id, "fail", now=now, details={"reason": "no_bids"})
        _publish_result(session, calloff, now, "无有效报价，本次二次竞价未成交。")
        return calloff
    bid, member = min(candidates, key=lambda c: (c[0].unit_price, c[0].submitted_at,
                                                 c[0].supplier_id))
    _award(session, actor, calloff, member, bid.unit_price, now=now, place_order=place_order)
    return calloff


def close_due_bidding(session: Session, now: datetime, place_order=None) -> list[int]:
    """`mall jobs`: close every 二次竞价 whose deadline has passed (results stay on time)."""
    ids = list(session.scalars(select(CallOff.id).where(
        CallOff.status == C.BIDDING.value, CallOff.deadline <= now).order_by(CallOff.id)))
    for calloff_id in ids:
        close_bidding(session, None, calloff_id, now=now, place_order=place_order)
    return ids


# --- 顺序轮候 ----------------------------------------------------------------------------


def current_cycle(session: Session, agreement_id: int) -> int:
    return session.scalar(select(func.max(RotationTurn.cycle)).where(
        RotationTurn.agreement_id == agreement_id)) or 1


def turns(session: Session, agreement_id: int) -> list[RotationTurn]:
    return list(session.scalars(select(RotationTurn).where(
        RotationTurn.agreement_id == agreement_id).order_by(RotationTurn.cycle,
                                                            RotationTurn.position)))


def rotation(session: Session, agreement_id: int) -> list[AgreementMember]:
    """Members in the rotation, in the fixed order (removed and exited members are out)."""
    return [m for m in agreements.members(session, agreement_id)
            if m.status in (MemberStatus.ACTIVE, MemberStatus.SUSPENDED)]


def _first_waiting(session: Session, agreement_id: int, cycle: int) -> AgreementMember | None:
    """The first member in rotation order without a turn in `cycle` (one row, not all)."""
    served = select(RotationTurn.member_id).where(RotationTurn.agreement_id == agreement_id,
                                                  RotationTurn.cycle == cycle)
    return session.scalar(
        select(AgreementMember).where(
            AgreementMember.agreement_id == agreement_id,
            AgreementMember.status.in_([MemberStatus.ACTIVE.value, MemberStatus.SUSPENDED.value]),
            AgreementMember.id.not_in(served))
        .options(selectinload(AgreementMember.supplier), selectinload(AgreementMember.prices))
        .order_by(AgreementMember.rotation_position).limit(1))


def next_in_turn(session: Session, agreement_id: int) -> tuple[int, list[AgreementMember]]:
    """The current cycle and the members still to have their turn in it, in rotation order
    (removed and exited members are out of the rotation)."""
    cycle = current_cycle(session, agreement_id)
    rota = rotation(session, agreement_id)
    served = set(session.scalars(select(RotationTurn.member_id).where(
        RotationTurn.agreement_id == agreement_id, RotationTurn.cycle == cycle)))
    return cycle, [m for m in rota if m.id not in served]


def _offer_next(session: Session, actor, calloff: CallOff, *, now: datetime,
                place_order) -> None:
    # One rotation at a time per agreement: concurrent call-offs take turns in order.
    # FOR NO KEY UPDATE does not conflict with the key-share locks of foreign-key inserts.
    session.execute(select(FrameworkAgreement.id).where(
        FrameworkAgreement.id == calloff.agreement_id).with_for_update(key_share=True))
    declined = set(session.scalars(select(RotationTurn.member_id).where(
        RotationTurn.calloff_id == calloff.id, RotationTurn.outcome == "declined")))
    today = local_today(now)
    if not _eligible_exists(session, calloff, today, declined):
        # every member able to take it has declined: nobody left to offer
        calloff.offered_member_id = None
        transition(session, actor, calloff.id, "fail", now=now,
                   details={"reason": "all_declined"})
        _publish_result(session, calloff, now, "所有轮候成员均放弃，本次顺序轮候未成交。")
        return
    while True:
        cycle = current_cycle(session, calloff.agreement_id)
        member = _first_waiting(session, calloff.agreement_id, cycle)
        if member is None:  # everyone had a turn: a new cycle starts at the first position
            cycle += 1
            member = _first_waiting(session, calloff.agreement_id, cycle)
        holds = member.price_for(calloff.item_id) is not None
        trades = can_trade(member.supplier, today)
        if member.status != MemberStatus.ACTIVE or not trades or not holds \
                or member.id in declined:
            reason = ("成员暂停" if member.status != MemberStatus.ACTIVE
                      else "供应商暂停交易" if not trades
                      else "未持有该标的" if not holds else "已放弃本次采购")
            session.add(RotationTurn(agreement_id=calloff.agreement_id, cycle=cycle,
                                     position=member.rotation_position, member_id=member.id,
                                     calloff_id=calloff.id, outcome="skipped", reason=reason,
                                     at=now))
            session.flush()
            continue
        session.add(RotationTurn(agreement_id=calloff.agreement_id, cycle=cycle,
                                 position=member.rotation_position, member_id=member.id,
                                 calloff_id=calloff.id, outcome="offered", at=now))
        calloff.offered_member_id = member.id
        session.flush()
        transition(session, actor, calloff.id, "offer", now=now,
                   details={"member_id": member.id, "cycle": cycle,
                            "position": member.rotation_position})
        return


def _turn_of(session: Session, actor, calloff: CallOff) -> tuple[RotationTurn, AgreementMember]:
    if actor is None or actor.role != Role.SUPPLIER:
        raise Forbidden("只有供应商可以确认轮候", code="role_forbidden")
    if calloff.method != CallOffMethod.ROTATION or calloff.status != C.OFFERED:
        raise Conflict(f"采购任务当前状态为“{calloff.status_label}”，不能确认",
                       code="not_offered")
    member = session.get(AgreementMember, calloff.offered_member_id)
    if member.supplier_id != actor.supplier_id:
        raise Forbidden("当前不是贵单位的轮候次序", code="not_your_turn")
    turn = session.scalar(select(RotationTurn).where(
        RotationTurn.calloff_id == calloff.id, RotationTurn.member_id == member.id,
        RotationTurn.outcome == "offered").with_for_update())
    return turn, member


def accept(session: Session, actor, calloff_id: int, *, now: datetime,
           place_order=None) -> CallOff:
    calloff = get(session, calloff_id, lock=True)
    turn, member = _turn_of(session, actor, calloff)
    if now >= calloff.deadline:
        raise RuleViolation("已过确认截止时间", code="turn_expired")
    if member.status != MemberStatus.ACTIVE:
        raise RuleViolation(f"贵单位在该协议中的状态为“{member.status_label}”", code="member_not_active")
    turn.outcome = "awarded"
    turn.at = now
    calloff.result_due_by = add_working_days(local_today(now), RESULT_WORKING_DAYS)
    _award(session, actor, calloff, member, member.price_for(calloff.item_id), now=now,
           place_order=place_order)
    return calloff


def decline(session: Session, actor, calloff_id: int, *, reason_code: str, now: datetime,
            place_order=None) -> CallOff:
    """The member in turn declines: recorded, and the turn passes to the next member."""
    calloff = get(session, calloff_id, lock=True)
    turn, member = _turn_of(session, actor, calloff)
    if reason_code not in DECLINE_REASONS:
        raise field_error("reason_code", "请选择放弃的原因", code="reason_required")
    turn.outcome = "declined"
    turn.reason = DECLINE_REASONS[reason_code]
    turn.at = now
    audit.record(session, actor, "calloff.decline", "calloff", calloff.id,
                 after={"member_id": member.id, "reason_code": reason_code, "cycle": turn.cycle})
    session.flush()
    _offer_next(session, actor, calloff, now=now, place_order=place_order)
    return calloff


def lapse(session: Session, actor, calloff_id: int, *, now: datetime,
          place_order=None) -> CallOff:
    """顺序轮候: the member in turn did not answer by the deadline. Recorded as declined
    (逾期未确认); the turn passes on with a fresh answer window of the same length."""
    calloff = get(session, calloff_id, lock=True)
    if actor is not None and not (actor.role == Role.BUYER
                                  and actor.budget_unit_id == calloff.unit_id):
        raise Forbidden("只有发起采购的单位可以顺延轮候", code="calloff_forbidden")
    if calloff.method != CallOffMethod.ROTATION or calloff.status != C.OFFERED:
        raise Conflict(f"采购任务当前状态为“{calloff.status_label}”，不能顺延", code="not_offered")
    if now < calloff.deadline:
        raise RuleViolation("确认截止时间未到，不能顺延", code="turn_not_expired")
    turn = session.scalar(select(RotationTurn).where(
        RotationTurn.calloff_id == calloff.id, RotationTurn.outcome == "offered")
        .with_for_update())
    window = calloff.deadline - turn.at
    turn.outcome = "declined"
    turn.reason = "逾期未确认"
    turn.at = now
    calloff.deadline = now + window
    audit.record(session, actor, "calloff.lapse", "calloff", calloff.id,
                 after={"member_id": turn.member_id, "cycle": turn.cycle,
                        "deadline": calloff.deadline})
    session.flush()
    _offer_next(session, actor, calloff, now=now, place_order=place_order)
    return calloff


def lapse_due_turns(session: Session, now: datetime) -> list[int]:
    """`mall jobs`: pass on every rotation turn whose answer deadline has passed."""
    ids = list(session.scalars(select(CallOff.id).where(
        CallOff.status == C.OFFERED.value, CallOff.deadline <= now).order_by(CallOff.id)))
    for calloff_id in ids:
        lapse(session, None, calloff_id, now=now)
    return ids


def cancel(session: Session, actor, calloff_id: int, *, now: datetime) -> CallOff:
    calloff = get(session, calloff_id)
    if actor is None or actor.role != Role.BUYER or actor.budget_unit_id != calloff.unit_id:
        raise Forbidden("只有发起采购的单位可以取消", code="calloff_forbidden")
    calloff = transition(session, actor, calloff_id, "cancel", now=now)
    if calloff.method == CallOffMethod.ROTATION and calloff.offered_member_id:
        turn = session.scalar(select(RotationTurn).where(
            RotationTurn.calloff_id == calloff.id, RotationTurn.outcome == "offered"))
        if turn is not None:  # the turn was used: the member keeps its place as served
            turn.outcome = "skipped"
            turn.reason = "采购人取消"
    return calloff


# --- award, notice and order --------------------------------------------------------------


def _award(session: Session, actor, calloff: CallOff, member: AgreementMember,
           unit_price: Decimal, *, now: datetime, place_order) -> None:
    total = unit_price * calloff.quantity
    calloff.awarded_member_id = member.id
    calloff.awarded_supplier_id = member.supplier_id
    calloff.agreed_unit_price = member.price_for(calloff.item_id)
    calloff.awarded_unit_price = unit_price
    calloff.awarded_total = total
    calloff.awarded_at = now
    calloff.offered_member_id = None
    transition(session, actor, calloff.id, "award", now=now,
               details={"supplier_id": member.supplier_id, "unit_price": unit_price,
                        "total": total})
    if calloff.method != CallOffMethod.DIRECT:
        supplier = member.supplier
        _publish_result(session, calloff, now,
                        f"成交供应商：{supplier.name}；成交单价 {fmt_cny(unit_price)}；数量 "
                        f"{calloff.quantity}；成交金额 {fmt_cny(total)}。")
    (place_order or order_for_award)(session, actor, calloff)


def _publish_result(session: Session, calloff: CallOff, now: datetime, body: str) -> None:
    agreement = session.get(FrameworkAgreement, calloff.agreement_id)
    item = session.get(AgreementItem, calloff.item_id)
    method = CALLOFF_METHOD_LABELS[CallOffMethod(calloff.method)]
    if calloff.result_due_by is None:
        calloff.result_due_by = add_working_days(local_today(now), RESULT_WORKING_DAYS)
    agreements._notice(session, agreement, NoticeKind.CALLOFF_RESULT,
                       f"{calloff.number} {item.name} {method}结果公告",
                       f"采购任务 {calloff.number}（{item.name}，{method}）：{body}", now,
                       ref_id=calloff.id)
    calloff.result_published_at = now


def order_for_award(session: Session, actor, calloff: CallOff,
                    policy: rules.Policy | None = None) -> Order:
    """The award becomes an order in the ordinary pipeline (orders.checkout): one line with
    no catalogue offer, exempt from the purchase limit, the budget frozen by the order; the
    call-off id is the idempotency key, so an award never places two orders."""
    buyer = session.get(User, calloff.buyer_user_id)
    item = session.get(AgreementItem, calloff.item_id)
    agreement = session.get(FrameworkAgreement, calloff.agreement_id)
    order = checkout.place_calloff_order(
        session, buyer=buyer, budget_line=calloff.budget_line_id,
        supplier=calloff.awarded_supplier_id,
        lines=[{"title": f"{item.name}（框架协议 {agreement.number}，{calloff.number}）",
                "category": item.category_code, "unit_price": calloff.awarded_unit_price,
                "quantity": calloff.quantity}],
        calloff_id=calloff.id, idempotency_key=f"calloff-{calloff.id}",
        payment_method=calloff.payment_method, policy=policy,
        today=local_today(calloff.awarded_at))
    calloff.order_id = order.id
    return order


# --- reports ------------------------------------------------------------------------------


def savings(session: Session, *, unit_id: int | None = None,
            agreement_id: int | None = None) -> list[dict]:
    """Per awarded call-off: budget vs awarded amount and agreed vs awarded amount (节支)."""
    query = select(CallOff).where(CallOff.status == C.AWARDED.value).order_by(CallOff.id)
    if unit_id is not None:
        query = query.where(CallOff.unit_id == unit_id)
    if agreement_id is not None:
        query = query.where(CallOff.agreement_id == agreement_id)
    rows = []
    for c in session.scalars(query):
        agreed_total = c.agreed_unit_price * c.quantity
        rows.append({
            "calloff_id": c.id, "number": c.number, "agreement_id": c.agreement_id,
            "unit_id": c.unit_id, "method": c.method, "quantity": c.quantity,
            "budget_amount": c.budget_amount, "agreed_total": agreed_total,
            "awarded_total": c.awarded_total,
            "saving_vs_budget": c.budget_amount - c.awarded_total,
            "saving_vs_agreed": agreed_total - c.awarded_total,
            "awarded_at": c.awarded_at,
        })
    return rows


def direct_summary(session: Session, agreement_id: int) -> dict:
    """直接选定 summary per agreement: count, amount, by reason, and the selections."""
    rows = list(session.scalars(select(CallOff).where(
        CallOff.agreement_id == agreement_id, CallOff.method == CallOffMethod.DIRECT.value,
        CallOff.status == C.AWARDED.value).order_by(CallOff.awarded_at, CallOff.id)))
    by_reason: dict[str, int] = {}
    for c in rows:
        by_reason[c.reason_code] = by_reason.get(c.reason_code, 0) + 1
    return {"agreement_id": agreement_id, "count": len(rows),
            "total": sum((c.awarded_total for c in rows), Decimal("0.00")),
            "by_reason": by_reason, "calloffs": rows}

