"""The order state machine (orders/flow.py): every transition allowed from its states and
refused from all others, role and ownership refusals, stock and budget effects, acceptance,
payment term, auto-cancel on Chinese working days."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from catalog.models import Offer
from mall.audit import AuditEvent
from mall.errors import DomainError
from mall.workdays import add_working_days
from orders import flow
from orders.models import BudgetLine, OrderStatus
from tests import factories

STATES = list(factories.ORDER_PATHS)


def act(db, action, order, buyer, seller):
    """Run `action` on the order as the role the table allows (system for the clock)."""
    if action == "refuse":
        return flow.refuse(db, seller, order.id, reason="缺货")
    if action == "cancel":
        return flow.cancel(db, buyer, order.id, reason="需求变化")
    if action == "auto_cancel":
        return flow.auto_cancel(db, order.id)
    if action == "ship":
        return flow.ship(db, seller, order.id, carrier="顺丰", tracking_no="SF100")
    if action == "accept":
        return flow.accept(db, buyer, order.id, result="pass", inspector="李四")
    if action == "fail_acceptance":
        return flow.accept(db, buyer, order.id, result="fail", inspector="李四", notes="破损")
    if action == "request_return":
        return flow.request_return(db, buyer, order.id, reason="破损")
    if action == "pay":
        return flow.pay(db, None, order.id, amount=order.total)
    if action in ("confirm", "deliver", "confirm_return"):
        return getattr(flow, action)(db, seller, order.id)
    return getattr(flow, action)(db, buyer, order.id)


CASES = [(action, state) for action in flow.TRANSITIONS for state in STATES]


@pytest.mark.parametrize(("action", "state"), CASES)
def test_every_transition_is_allowed_exactly_from_its_states(db, action, state):
    order, buyer, seller = factories.order(db, status=state)
    sources, target, _roles = flow.TRANSITIONS[action]
    if OrderStatus(state) in sources:
        act(db, action, order, buyer, seller)
        assert order.status == target.value
        event = db.scalar(select(AuditEvent).where(
            AuditEvent.entity_type == "order", AuditEvent.entity_id == str(order.id),
            AuditEvent.action == f"order.{action}"))
        assert event is not None and event.after["status"] == target.value
    else:
        with pytest.raises(DomainError) as info:
            act(db, action, order, buyer, seller)
        assert info.value.code == "order_transition_refused"
        assert order.status == state


WRONG_ROLE = {"confirm": "buyer", "refuse": "buyer", "ship": "buyer", "cancel": "seller",
              "accept": "seller", "fail_acceptance": "seller", "request_return": "seller",
              "confirm_return": "buyer", "complete": "seller"}
START = {"confirm": "placed", "refuse": "placed", "ship": "confirmed", "cancel": "placed",
         "accept": "delivered", "fail_acceptance": "delivered", "request_return": "delivered",
         "confirm_return": "return_requested", "complete": "paid"}


@pytest.mark.parametrize("action", sorted(WRONG_ROLE))
def test_the_wrong_role_is_refused(db, action):
    order, buyer, seller = factories.order(db, status=START[action])
    who = buyer if WRONG_ROLE[action] == "buyer" else seller
    with pytest.raises(DomainError) as info:
        act(db, action, order, who, who)
    assert info.value.code == "order_action_forbidden"
    assert order.status == START[action]


def test_buyer_cannot_pay(db):
    order, buyer, _ = factories.order(db, status="accepted")
    with pytest.raises(DomainError) as info:
        flow.pay(db, buyer, order.id, amount=order.total)
    assert info.value.code == "order_action_forbidden"


def test_the_clock_alone_auto_cancels(db):
    order, buyer, seller = factories.order(db, status="placed")
    for who in (buyer, seller):
        with pytest.raises(DomainError) as info:
            flow.transition(db, who, order.id, "auto_cancel")
        assert info.value.code == "order_action_forbidden"


def test_another_units_buyer_and_another_supplier_see_nothing(db):
    order, _, _ = factories.order(db, status="delivered")
    stranger_buyer, _ = factories.buyer_with_budget(db)
    stranger_seller = factories.user(db, "supplier")
    for call in (lambda: flow.accept(db, stranger_buyer, order.id, result="pass", inspector="x"),
                 lambda: flow.request_return(db, stranger_buyer, order.id, reason="x"),
                 lambda: flow.get_order(db, stranger_buyer, order.id),
                 lambda: flow.deliver(db, stranger_seller, order.id),
                 lambda: flow.get_order(db, stranger_seller, order.id)):
        with pytest.raises(DomainError) as info:
            call()
        assert info.value.code == "order_not_found"
    assert order.status == "delivered"


def test_a_colleague_in_the_same_unit_sees_and_acts(db):
    order, buyer, _ = factories.order(db, status="delivered")
    colleague = factories.user(db, "buyer", budget_unit_id=buyer.budget_unit_id)
    flow.accept(db, colleague, order.id, result="pass", inspector="同事")
    assert order.status == "accepted"


def stock_of(db, order):
    db.expire_all()
    return db.get(Offer, order.lines[0].offer_id).stock


def frozen_of(db, order):
    db.expire_all()
    line = db.get(BudgetLine, order.budget_line_id)
    return line.frozen, line.spent


@pytest.mark.parametrize("how", ["refuse", "cancel", "cancel_confirmed", "auto_cancel"])
def test_refusal_and_cancellation_give_back_stock_and_budget(db, how):
    order, buyer, seller = factories.order(db, status="confirmed" if how == "cancel_confirmed"
                                           else "placed", quantity=4)
    assert stock_of(db, order) == 96
    assert frozen_of(db, order) == (Decimal("100.00"), Decimal("0.00"))
    act(db, "cancel" if how == "cancel_confirmed" else how, order, buyer, seller)
    assert order.status in ("refused", "cancelled")
    assert order.closed_at is not None
    assert stock_of(db, order) == 100
    assert frozen_of(db, order) == (Decimal("0.00"), Decimal("0.00"))


def test_refusal_and_cancellation_need_a_reason(db):
    order, buyer, seller = factories.order(db)
    with pytest.raises(DomainError) as info:
        flow.refuse(db, seller, order.id, reason="  ")
    assert info.value.errors.get("reason")
    with pytest.raises(DomainError):
        flow.cancel(db, buyer, order.id, reason="")
    assert order.status == "placed"


def test_auto_cancel_after_the_confirmation_deadline_releases_stock_and_budget(db):
    order, _, _ = factories.order(db, quantity=3)
    assert order.confirm_by == add_working_days(date.today(), 2)
    assert order.id not in flow.cancel_unconfirmed(db, order.confirm_by)
    assert order.status == "placed"
    cancelled = flow.cancel_unconfirmed(db, order.confirm_by + timedelta(days=1))
    assert order.id in cancelled
    assert order.status == "cancelled"
    assert "自动取消" in order.status_note
    assert stock_of(db, order) == 100
    assert frozen_of(db, order) == (Decimal("0.00"), Decimal("0.00"))


def test_confirmed_orders_are_not_auto_cancelled(db):
    order, _, _ = factories.order(db, status="confirmed")
    assert order.id not in flow.cancel_unconfirmed(db, order.confirm_by + timedelta(days=30))
    assert order.status == "confirmed"


def test_working_days_follow_the_chinese_calendar():
    # National Day 2026: 1–7 October off, so one working day after 30 September is 8 October.
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    # Saturday 14 February 2026 is an adjusted working day (调休上班).
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    # An ordinary weekend is skipped.
    assert add_working_days(date(2026, 11, 20), 2) == date(2026, 11, 24)


def test_pass_acceptance_starts_the_payment_term(db):
    order, buyer, _ = factories.order(db, status="delivered")
    flow.accept(db, buyer, order.id, result="pass", inspector="李四", notes="外观完好",
                today=date(2026, 11, 2), term_days=30)
    assert order.accepted_amount == order.total
    assert order.due_date == date(2026, 12, 2)
    assert order.acceptance.inspector == "李四"
    assert order.acceptance.result == "pass"


def test_partial_acceptance_records_the_accepted_amount_and_pay_releases_the_rest(db):
    order, buyer, _ = factories.order(db, status="delivered", quantity=4)  # 100.00
    flow.accept(db, buyer, order.id, result="partial", inspector="李四", notes="一包破损",
                accepted_amount=Decimal("75.00"), today=date(2026, 11, 2))
    assert order.status == "accepted"
    assert order.accepted_amount == Decimal("75.00")
    with pytest.raises(DomainError) as info:
        flow.pay(db, None, order.id, amount=Decimal("80.00"))
    assert info.value.code == "payment_exceeds_accepted"
    flow.pay(db, None, order.id, amount=Decimal("75.00"), today=date(2026, 11, 20))
    assert order.status == "paid"
    assert order.paid_amount == Decimal("75.00")
    assert order.days_to_pay == 18
    assert frozen_of(db, order) == (Decimal("0.00"), Decimal("75.00"))


@pytest.mark.parametrize(("result", "amount", "field"), [
    ("partial", None, "accepted_amount"), ("partial", Decimal("100.00"), "accepted_amount"),
    ("partial", Decimal("0"), "accepted_amount"), ("fail", None, "notes"),
    ("maybe", None, "result")])
def test_bad_acceptance_input_is_refused(db, result, amount, field):
    order, buyer, _ = factories.order(db, status="delivered", quantity=4)
    with pytest.raises(DomainError) as info:
        flow.accept(db, buyer, order.id, result=result, inspector="李四",
                    accepted_amount=amount)
    assert field in info.value.errors
    assert order.status == "delivered"


def test_acceptance_needs_the_inspectors_name(db):
    order, buyer, _ = factories.order(db, status="delivered")
    with pytest.raises(DomainError) as info:
        flow.accept(db, buyer, order.id, result="pass", inspector=" ")
    assert "inspector" in info.value.errors


def test_failed_acceptance_then_return_releases_the_budget(db):
    order, buyer, seller = factories.order(db, status="acceptance_failed", quantity=4)
    assert order.acceptance.result == "fail" and order.accepted_amount == Decimal("0.00")
    assert order.due_date is None
    flow.request_return(db, buyer, order.id, reason="型号不符")
    flow.confirm_return(db, seller, order.id)
    assert order.status == "returned"
    assert frozen_of(db, order) == (Decimal("0.00"), Decimal("0.00"))
    assert stock_of(db, order) == 96  # returned goods are not put back on sale automatically


def test_overdue_lists_are_scoped(db):
    order, buyer, seller = factories.order(db, status="delivered")
    flow.accept(db, buyer, order.id, result="pass", inspector="李四", today=date(2026, 1, 5))
    other, _, _ = factories.order(db, status="delivered")
    today = date(2026, 2, 10)
    regulator = factories.user(db, "regulator")

    def ids(actor):
        return set(db.scalars(flow.overdue_query(actor, today)))

    assert order in ids(buyer) and order in ids(seller) and order in ids(regulator)
    stranger, _ = factories.buyer_with_budget(db)
    assert order not in ids(stranger)
    assert order not in ids(factories.user(db, "supplier"))
    assert other not in ids(regulator)  # delivered, not accepted: no term running yet
    assert flow.days_overdue(order, today) == 6


def test_a_transition_rereads_the_locked_row(db):
    """A page loads the order, another request cancels it meanwhile; the lock re-reads the
    row, so the second cancellation is refused and stock is not given back twice."""
    from sqlalchemy import update

    from orders.models import Order

    order, buyer, _ = factories.order(db, quantity=4)
    flow.get_order(db, buyer, order.id)  # loaded, as the page does before acting
    db.execute(update(Order).where(Order.id == order.id).values(status="cancelled")
               .execution_options(synchronize_session=False))  # someone else's change
    with pytest.raises(DomainError) as info:
        flow.cancel(db, buyer, order.id, reason="再取消一次")
    assert info.value.code == "order_transition_refused"
    assert stock_of(db, order) == 96


def test_a_return_after_payment_gives_the_paid_amount_back_to_the_budget(db):
    """售后退货: paid → return requested → returned; spent goes back to the line."""
    order, buyer, seller = factories.order(db, status="paid", quantity=4)
    line = db.get(BudgetLine, order.budget_line_id)
    assert line.spent == order.paid_amount > 0
    flow.request_return(db, buyer, order.id, reason="使用中发现质量问题")
    flow.confirm_return(db, seller, order.id)
    db.refresh(line)
    assert order.status == "returned"
    assert (line.frozen, line.spent) == (Decimal("0.00"), Decimal("0.00"))


def test_a_completed_order_cannot_be_returned(db):
    order, buyer, _seller = factories.order(db, status="completed")
    with pytest.raises(DomainError) as info:
        flow.request_return(db, buyer, order.id, reason="迟到的退货")
    assert info.value.code == "order_transition_refused"
