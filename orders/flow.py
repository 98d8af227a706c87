"""The order state machine (订单状态机): one table of allowed transitions, one `transition()`.

    placed ─confirm→ confirmed ─ship→ shipped ─deliver→ delivered ─accept→ accepted ─pay→ paid
      │                 │                                  │  │                         │
      ├─refuse→ refused  └─cancel→ cancelled                │  └─fail_acceptance→        complete
      ├─cancel→ cancelled (buyer, before shipping)          │     acceptance_failed      ↓
      └─auto_cancel→ cancelled (not confirmed in N working  │            │             completed
                      days; `mall jobs`)                    └─request_return←┘
                                                              → return_requested ─confirm_return→ returned
    paid ─request_return→ return_requested (售后退货 after payment; refunded on confirm_return)

Money and goods follow the state: refusal and cancellation give back the reserved stock and
the frozen budget; a confirmed return gives back the frozen budget, or after payment the spent
amount (the goods go back to the supplier, who restocks them if they can be sold again); `pay` turns the paid amount from
frozen into spent and releases the remainder (partial acceptance). Refunds and captures are
the payment module's business: this module imports nothing payment-related, and the payment
code calls `pay()` when money has moved.

Every function takes the session and an explicit actor (a user, or None for the system
clock and jobs), locks the order row (`with_for_update`), checks the table and writes an
audit event. Nothing here commits.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Select, false, select, update
from sqlalchemy.orm import Session

from catalog.models import Offer
from mall import audit
from mall.clock import local_today, utcnow
from mall.errors import Conflict, Forbidden, NotFound, RuleViolation, field_error
from mall.money import to_money
from mall.roles import OVERSEERS, Role
from orders import budget
from orders.models import (
    ACCEPTANCE_RESULT_LABELS,
    ORDER_STATUS_LABELS,
    Acceptance,
    AcceptanceResult,
    Order,
    OrderStatus,
)

S = OrderStatus
SYSTEM = "system"  # the clock / background jobs (actor None)
FINANCE = "finance"  # 财政支付 staff (role added with the payment module)

# action: (from states, to state, who may do it)
TRANSITIONS: dict[str, tuple[frozenset[OrderStatus], OrderStatus, frozenset[str]]] = {
    "confirm": (frozenset({S.PLACED}), S.CONFIRMED, frozenset({Role.SUPPLIER})),
    "refuse": (frozenset({S.PLACED}), S.REFUSED, frozenset({Role.SUPPLIER})),
    "auto_cancel": (frozenset({S.PLACED}), S.CANCELLED, frozenset({SYSTEM})),
    "cancel": (frozenset({S.PLACED, S.CONFIRMED}), S.CANCELLED, frozenset({Role.BUYER})),
    "ship": (frozenset({S.CONFIRMED}), S.SHIPPED, frozenset({Role.SUPPLIER})),
    "deliver": (frozenset({S.SHIPPED}), S.DELIVERED, frozenset({Role.SUPPLIER, Role.BUYER})),
    "accept": (frozenset({S.DELIVERED}), S.ACCEPTED, frozenset({Role.BUYER})),
    "fail_acceptance": (frozenset({S.DELIVERED}), S.ACCEPTANCE_FAILED, frozenset({Role.BUYER})),
    "request_return": (frozenset({S.DELIVERED, S.ACCEPTANCE_FAILED, S.PAID}),
                       S.RETURN_REQUESTED, frozenset({Role.BUYER})),
    "confirm_return": (frozenset({S.RETURN_REQUESTED}), S.RETURNED, frozenset({Role.SUPPLIER})),
    "pay": (frozenset({S.ACCEPTED}), S.PAID, frozenset({SYSTEM, FINANCE, Role.ADMIN})),
    "complete": (frozenset({S.PAID}), S.COMPLETED, frozenset({Role.BUYER, SYSTEM, Role.ADMIN})),
}

ACTION_LABELS = {
    "place": "下单", "confirm": "确认订单", "refuse": "拒绝订单", "auto_cancel": "超时自动取消",
    "cancel": "取消订单", "ship": "发货", "deliver": "确认送达", "accept": "验收",
    "fail_acceptance": "验收不合格", "request_return": "申请退货", "confirm_return": "确认退货",
    "pay": "支付", "complete": "完成",
}

# Timestamp column set when the order reaches a state.
STAMPS = {S.CONFIRMED: "confirmed_at", S.SHIPPED: "shipped_at", S.DELIVERED: "delivered_at",
          S.ACCEPTED: "accepted_at", S.ACCEPTANCE_FAILED: "accepted_at", S.PAID: "paid_at",
          S.REFUSED: "closed_at", S.CANCELLED: "closed_at", S.RETURNED: "closed_at",
          S.COMPLETED: "closed_at"}

OPEN_STATES = frozenset(set(S) - {S.REFUSED, S.CANCELLED, S.RETURNED, S.COMPLETED})


class OrderTransitionRefused(Conflict):
    code = "order_transition_refused"


# --- access ----------------------------------------------------------------------------------

def role_of(actor) -> str:
    return SYSTEM if actor is None else str(actor.role)


def is_party(actor, order: Order) -> bool:
    """The order's parties: a buyer of its unit, or its supplier (合同双方)."""
    role = role_of(actor)
    if role == Role.BUYER:
        return order.unit_id == actor.budget_unit_id
    if role == Role.SUPPLIER:
        return order.supplier_id == actor.supplier_id
    return False


def can_see(actor, order: Order) -> bool:
    """Buyers see their unit's orders, suppliers their own; overseers all; the system all."""
    role = role_of(actor)
    if role in (Role.BUYER, Role.SUPPLIER):
        return is_party(actor, order)
    return role in OVERSEERS or role in (SYSTEM, FINANCE)


def scope(query: Select, actor) -> Select:
    """Restrict an order query to what the actor may see."""
    role = role_of(actor)
    if role == Role.BUYER:
        return query.where(Order.unit_id == actor.budget_unit_id)
    if role == Role.SUPPLIER:
        return query.where(Order.supplier_id == actor.supplier_id)
    if role in OVERSEERS or role in (SYSTEM, FINANCE):
        return query
    return query.where(false())


def get_order(session: Session, actor, order_id: int, *, lock: bool = False) -> Order:
    """The order, or 404 when it does not exist or the actor may not see it (no leak)."""
    query = select(Order).where(Order.id == order_id)
    if lock:
        # Re-read the locked row even if this session loaded the order before: another
        # transaction may have moved it while we waited for the lock.
        query = query.with_for_update().execution_options(populate_existing=True)
    order = session.scalar(query)
    if order is None or not can_see(actor, order):
        raise NotFound("订单不存在", code="order_not_found")
    return order


def allowed_actions(actor, order: Order) -> list[str]:
    """The transitions this actor may take on the order now (for pages and the API)."""
    role = role_of(actor)
    if not can_see(actor, order):
        return []
    current = OrderStatus(order.status)
    return [name for name, (sources, _t, roles) in TRANSITIONS.items()
            if current in sources and role in roles]


def check_allowed(actor, order: Order, action: str) -> OrderStatus:
    """Refuse an action the table does not allow for this role and state; the target state."""
    if action not in TRANSITIONS:
        raise field_error("action", f"未知操作：{action}")
    sources, target, roles = TRANSITIONS[action]
    if role_of(actor) not in roles:
        raise Forbidden(f"当前角色不能{ACTION_LABELS[action]}", code="order_action_forbidden")
    current = OrderStatus(order.status)
    if current not in sources:
        raise OrderTransitionRefused(
            f"订单当前状态为“{ORDER_STATUS_LABELS[current]}”，不能{ACTION_LABELS[action]}")
    return target


# --- the one transition ----------------------------------------------------------------------

def transition(session: Session, actor, order_id: int, action: str, *,
               note: str | None = None, extra: dict | None = None) -> Order:
    """Check the table, lock the order, move it, stamp the time and audit it.

    Side effects on stock and budget belong to the named functions below, which call this.
    """
    order = get_order(session, actor, order_id, lock=True)
    target = check_allowed(actor, order, action)
    now = utcnow()
    before = {"status": order.status}
    order.status = target.value
    order.updated_at = now
    if note is not None:
        order.status_note = note
    stamp = STAMPS.get(target)
    if stamp:
        setattr(order, stamp, now)
    audit.record(session, actor, f"order.{action}", "order", order.id, before=before,
                 after={"status": order.status, "note": note, **(extra or {})})
    return order


# --- giving back stock and budget ------------------------------------------------------------

def release_stock(session: Session, order: Order) -> None:
    """Put the order's reserved quantities back on the offers (catalogue lines only)."""
    for line in sorted(order.lines, key=lambda ln: ln.offer_id or 0):
        if line.offer_id is None:
            continue
        session.execute(
            update(Offer).where(Offer.id == line.offer_id)
            .values(stock=Offer.stock + line.quantity,
                    sales_count=Offer.sales_count - line.quantity)
            .execution_options(synchronize_session=False))


def _release_budget(session: Session, actor, order: Order, amount: Decimal) -> None:
    if amount > 0:
        budget.release(session, actor, order.budget_line_id, amount, ref=order.number)


def _reason(note: str | None, what: str) -> str:
    note = (note or "").strip()
    if not note:
        raise field_error("reason", f"请填写{what}原因")
    if len(note) > 500:
        raise field_error("reason", "原因不超过 500 个字符")
    return note


# --- the named transitions -------------------------------------------------------------------

def confirm(session: Session, actor, order_id: int) -> Order:
    return transition(session, actor, order_id, "confirm")


def refuse(session: Session, actor, order_id: int, *, reason: str) -> Order:
    reason = _reason(reason, "拒绝")
    order = transition(session, actor, order_id, "refuse", note=reason)
    release_stock(session, order)
    _release_budget(session, actor, order, order.total)
    return order


def cancel(session: Session, actor, order_id: int, *, reason: str) -> Order:
    """The buyer cancels before shipping; stock and budget are given back."""
    reason = _reason(reason, "取消")
    order = transition(session, actor, order_id, "cancel", note=reason)
    release_stock(session, order)
    _release_budget(session, actor, order, order.total)
    return order


def auto_cancel(session: Session, order_id: int) -> Order:
    order = transition(session, None, order_id, "auto_cancel",
                       note="供应商未在规定工作日内确认，系统自动取消")
    release_stock(session, order)
    _release_budget(session, None, order, order.total)
    return order


def cancel_unconfirmed(session: Session, today: date | None = None) -> list[int]:
    """`mall jobs`: cancel placed orders whose confirmation deadline has passed."""
    today = today or local_today()
    ids = list(session.scalars(select(Order.id).where(
        Order.status == S.PLACED.value, Order.confirm_by < today).order_by(Order.id)))
    for order_id in ids:
        auto_cancel(session, order_id)
    return ids


def ship(session: Session, actor, order_id: int, *, carrier: str | None = None,
         tracking_no: str | None = None) -> Order:
    order = transition(session, actor, order_id, "ship",
                       extra={"carrier": carrier, "tracking_no": tracking_no})
    order.carrier = carrier
    order.tracking_no = tracking_no
    return order


def deliver(session: Session, actor, order_id: int) -> Order:
    return transition(session, actor, order_id, "deliver")


def accept(session: Session, actor, order_id: int, *, result: str, inspector: str,
           notes: str = "", accepted_amount: Decimal | None = None,
           today: date | None = None, term_days: int = 30) -> Order:
    """验收: pass (the whole order), partial (an accepted amount below the total) or fail.

    Pass and partial start the payment term: due date = acceptance date + `term_days`.
    A failed acceptance waits for the buyer's return request.
    """
    try:
        outcome = AcceptanceResult(result)
    except ValueError:
        raise field_error("result", "验收结论应为 合格、部分合格 或 不合格") from None
    inspector = (inspector or "").strip()
    if not inspector:
        raise field_error("inspector", "请填写验收人姓名")
    today = today or local_today()
    order = get_order(session, actor, order_id, lock=True)
    check_allowed(actor, order, "fail_acceptance" if outcome is AcceptanceResult.FAIL
                  else "accept")
    if outcome is AcceptanceResult.PASS:
        amount = order.total
    elif outcome is AcceptanceResult.PARTIAL:
        if accepted_amount is None:
            raise field_error("accepted_amount", "部分合格时请填写验收合格金额")
        amount = to_money(accepted_amount)
        if not Decimal("0") < amount < order.total:
            raise field_error("accepted_amount",
                              f"部分合格金额应大于 0 且小于订单金额 ¥{order.total:,.2f}")
    else:
        amount = Decimal("0.00")
        if not (notes or "").strip():
            raise field_error("notes", "验收不合格时请写明不合格情况")
    action = "fail_acceptance" if outcome is AcceptanceResult.FAIL else "accept"
    order = transition(session, actor, order_id, action,
                       note=f"验收结论：{ACCEPTANCE_RESULT_LABELS[outcome]}",
                       extra={"result": outcome.value, "accepted_amount": amount,
                              "inspector": inspector})
    session.add(Acceptance(order_id=order.id, result=outcome.value, accepted_amount=amount,
                           inspector=inspector, notes=(notes or "").strip(), accepted_on=today,
                           recorded_by=getattr(actor, "id", None)))
    order.accepted_amount = amount
    if outcome is not AcceptanceResult.FAIL:
        order.due_date = today + timedelta(days=term_days)
    return order


def request_return(session: Session, actor, order_id: int, *, reason: str) -> Order:
    reason = _reason(reason, "退货")
    return transition(session, actor, order_id, "request_return", note=reason)


def confirm_return(session: Session, actor, order_id: int) -> Order:
    """The supplier has the goods back (退货). Before payment the frozen budget is released;
    after payment (售后退货) the paid amount goes back to the budget line, and the payment
    code refunds the money that was captured."""
    order = transition(session, actor, order_id, "confirm_return")
    if order.paid_amount:
        budget.unspend(session, actor, order.budget_line_id, order.paid_amount, ref=order.number)
    else:
        _release_budget(session, actor, order, order.total)
    return order


def pay(session: Session, actor, order_id: int, *, amount: Decimal,
        today: date | None = None) -> Order:
    """Money has reached the supplier: frozen → spent for `amount`, the rest released.

    Called by the payment code (card capture, treasury confirmation). `amount` may not exceed
    the accepted amount. Records days-to-pay (acceptance date → payment date).
    """
    amount = to_money(amount)
    today = today or local_today()
    order = get_order(session, actor, order_id, lock=True)
    check_allowed(actor, order, "pay")
    if order.accepted_amount is not None and amount > order.accepted_amount:
        raise RuleViolation(f"支付金额 ¥{amount:,.2f} 超过验收合格金额 "
                            f"¥{order.accepted_amount:,.2f}", code="payment_exceeds_accepted")
    if amount <= 0:
        raise field_error("amount", "支付金额必须大于 0")
    order = transition(session, actor, order_id, "pay", extra={"amount": amount})
    budget.spend(session, actor, order.budget_line_id, amount, ref=order.number)
    _release_budget(session, actor, order, order.total - amount)
    order.paid_amount = amount
    acceptance = session.scalar(select(Acceptance).where(Acceptance.order_id == order.id))
    if acceptance is not None:
        order.days_to_pay = (today - acceptance.accepted_on).days
    return order


def complete(session: Session, actor, order_id: int) -> Order:
    return transition(session, actor, order_id, "complete")


# --- payment term ------------------------------------------------------------------------------

def overdue_query(actor, today: date | None = None) -> Select:
    """Accepted orders past their due date and still unpaid (逾期未付款), scoped to the actor."""
    today = today or local_today()
    query = select(Order).where(Order.status == S.ACCEPTED.value, Order.due_date < today)
    return scope(query, actor).order_by(Order.due_date, Order.id)


def days_overdue(order: Order, today: date | None = None) -> int:
    today = today or local_today()
    if order.due_date is None or order.status != S.ACCEPTED.value:
        return 0
    return max(0, (today - order.due_date).days)


def timeline(session: Session, order_id: int) -> list[audit.AuditEvent]:
    """The order's audit events, oldest first (the page's 订单动态)."""
    return list(session.scalars(select(audit.AuditEvent).where(
        audit.AuditEvent.entity_type == "order", audit.AuditEvent.entity_id == str(order_id))
        .order_by(audit.AuditEvent.id)))
