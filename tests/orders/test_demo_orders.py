"""Demo orders (orders/demo.py) as `mall seed-demo` loads them: every state the demo needs,
placed through the real checkout, with budgets that agree."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from mall.accounts import User
from mall.clock import local_today
from mall.db import make_engine, session_scope
from mall.seed import seed
from orders import flow
from orders.models import BudgetLine, Order, OrderLine
from tests import dbutil


@pytest.fixture(scope="module")
def demo():
    engine = make_engine(dbutil.fresh_database("demo_orders"))
    with session_scope(sessionmaker(bind=engine)) as session:
        seed(session)
    with sessionmaker(bind=engine)() as session:
        yield session
    engine.dispose()


def test_demo_has_orders_in_every_state_the_pages_show(demo):
    states = Counter(demo.scalars(select(Order.status)))
    for state in ("placed", "confirmed", "shipped", "delivered", "accepted", "completed",
                  "cancelled", "refused"):
        assert states[state] >= 1, state


def test_demo_supplier_sees_incoming_orders_and_regulator_an_overdue_one(demo):
    supplier = demo.scalar(select(User).where(User.username == "supplier"))
    incoming = list(demo.scalars(flow.scope(select(Order), supplier)
                                 .where(Order.status == "placed")))
    assert incoming
    regulator = demo.scalar(select(User).where(User.username == "regulator"))
    overdue = list(demo.scalars(flow.overdue_query(regulator, local_today())))
    assert overdue and overdue[0].due_date < local_today()
    assert overdue[0].acceptance.accepted_on == local_today() - timedelta(days=40)


def test_demo_budget_frozen_matches_the_live_orders(demo):
    for line in demo.scalars(select(BudgetLine).where(BudgetLine.id.in_(
            select(Order.budget_line_id)))):
        live = demo.scalar(select(func.coalesce(func.sum(Order.total), 0)).where(
            Order.budget_line_id == line.id,
            Order.status.not_in(["cancelled", "refused", "paid", "completed", "returned"])))
        paid = demo.scalar(select(func.coalesce(func.sum(Order.paid_amount), 0)).where(
            Order.budget_line_id == line.id))
        assert line.frozen == Decimal(str(live)).quantize(Decimal("0.01"))
        assert line.spent == Decimal(str(paid)).quantize(Decimal("0.01"))


def test_demo_has_an_832_order(demo):
    assert demo.scalar(select(func.count()).select_from(OrderLine)
                       .where(OrderLine.is_832.is_(True))) >= 1


def test_demo_orders_waiting_for_the_supplier_are_still_within_their_window(demo):
    """`mall jobs` right after seeding cancels nothing: every placed order (mall or call-off)
    can still be confirmed."""
    placed = list(demo.scalars(select(Order).where(Order.status == "placed")))
    assert placed and any(o.source == "calloff" for o in placed)
    assert all(o.confirm_by >= local_today() for o in placed)
    assert flow.cancel_unconfirmed(demo, local_today()) == []
    demo.rollback()
