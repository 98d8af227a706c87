"""Concurrent checkouts with real threads and real commits (meaningful on PostgreSQL, where
transactions really overlap; on SQLite they serialise on the write lock and must still hold).

- 100 buyers race for an offer with 10 in stock: exactly 10 orders, stock 0, never below.
- 50 buyers of one unit race for one budget line: it is never overdrawn.
- one buyer double-submits the same checkout 10 times at once: one order.
"""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from catalog.models import Offer
from mall.db import make_engine, session_scope
from mall.errors import DomainError
from orders import cart, checkout
from orders.models import BudgetLine, Order, OrderLine
from orders.rules import Policy
from tests import factories

pytestmark = pytest.mark.concurrency


@pytest.fixture(scope="module")
def committed(engine, db_url):
    """Really committing sessions on an engine of their own with room for the threads: a
    thread waits up to two minutes for a connection instead of the default 30 seconds.
    (`engine` is the suite's, which has loaded the categories.)"""
    wide = make_engine(db_url, pool_size=20, max_overflow=0, pool_timeout=120)
    yield sessionmaker(bind=wide, expire_on_commit=False)
    wide.dispose()

DELIVERY = checkout.Delivery("杭州市上城区解放路 1 号", "陈老师", "13800000002")


def run_threads(count: int, worker) -> tuple[list, list[BaseException]]:
    """Start `count` threads at once (barrier) and collect their results and stray errors."""
    results: list = [None] * count
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = worker(i)
        except DomainError as err:
            results[i] = err.code
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def setup(committed, *, buyers: int, amount: str, stock: int, price: str):
    with session_scope(committed) as s:
        unit = factories.unit(s, code=f"C{uuid.uuid4().hex[:12]}")
        line = factories.line(s, unit.id, amount)
        offer = factories.offer(s, status="active", stock=stock, price=Decimal(price))
        users = [factories.user(s, "buyer", budget_unit_id=unit.id) for _ in range(buyers)]
        return line.id, offer.id, Decimal(price), users


def test_100_concurrent_checkouts_of_10_in_stock_give_exactly_10_orders(committed):
    line_id, offer_id, price, buyers = setup(committed, buyers=100, amount="1000000.00",
                                             stock=10, price="25.00")

    def buy(i: int):
        with session_scope(committed) as s:
            result = checkout.place_orders(
                s, buyers[i], [checkout.Item(offer_id, 1, price)], budget_line_id=line_id,
                payment_method="card", idempotency_key=f"race-{uuid.uuid4().hex}",
                delivery=DELIVERY, policy=Policy())
            return result.orders[0].id

    results, errors = run_threads(100, buy)
    assert not errors, errors
    placed = [r for r in results if isinstance(r, int)]
    assert len(placed) == 10
    assert sorted(r for r in results if not isinstance(r, int)) == ["stock_insufficient"] * 90
    with session_scope(committed) as s:
        assert s.get(Offer, offer_id).stock == 0
        assert s.scalar(select(func.sum(OrderLine.quantity))
                        .where(OrderLine.offer_id == offer_id)) == 10
        assert s.get(BudgetLine, line_id).frozen == price * 10


def test_concurrent_checkouts_never_overdraw_a_budget_line(committed):
    line_id, offer_id, price, buyers = setup(committed, buyers=50, amount="1000.00",
                                             stock=1000, price="30.00")

    def buy(i: int):
        with session_scope(committed) as s:
            result = checkout.place_orders(
                s, buyers[i], [checkout.Item(offer_id, 1, price)], budget_line_id=line_id,
                payment_method="treasury", idempotency_key=f"budget-{uuid.uuid4().hex}",
                delivery=DELIVERY, policy=Policy())
            return result.orders[0].id

    results, errors = run_threads(50, buy)
    assert not errors, errors
    placed = [r for r in results if isinstance(r, int)]
    assert len(placed) == 33  # 33 × 30.00 = 990.00 fits in 1,000.00; a 34th would not
    assert {r for r in results if not isinstance(r, int)} == {"budget_insufficient"}
    with session_scope(committed) as s:
        line = s.get(BudgetLine, line_id)
        assert line.frozen == Decimal("990.00") <= line.amount
        assert s.get(Offer, offer_id).stock == 1000 - 33  # refused orders kept no stock


def test_concurrent_double_submit_with_one_key_places_one_order(committed):
    line_id, offer_id, price, (buyer,) = setup(committed, buyers=1, amount="10000.00",
                                               stock=50, price="25.00")
    with session_scope(committed) as s:
        cart.add(s, buyer, offer_id, 2)
    key = f"double-{uuid.uuid4().hex}"

    def submit(_i: int):
        with session_scope(committed) as s:
            result = checkout.checkout_cart(s, buyer, budget_line_id=line_id,
                                            payment_method="card", idempotency_key=key,
                                            delivery=DELIVERY, policy=Policy())
            return tuple(o.id for o in result.orders)

    results, errors = run_threads(10, submit)
    assert not errors, errors
    assert len(set(results)) == 1 and len(results[0]) == 1
    with session_scope(committed) as s:
        assert s.scalar(select(func.count()).select_from(Order)
                        .where(Order.buyer_id == buyer.id)) == 1
        assert s.get(Offer, offer_id).stock == 48
        assert s.get(BudgetLine, line_id).frozen == Decimal("50.00")


def test_concurrent_cancellations_release_stock_and_budget_once(committed):
    from orders import flow

    line_id, offer_id, price, (buyer,) = setup(committed, buyers=1, amount="10000.00",
                                               stock=50, price="25.00")
    with session_scope(committed) as s:
        order_id = checkout.place_orders(
            s, buyer, [checkout.Item(offer_id, 4, price)], budget_line_id=line_id,
            payment_method="card", idempotency_key=f"cancel-{uuid.uuid4().hex}",
            delivery=DELIVERY, policy=Policy()).orders[0].id

    def cancel(_i: int):
        with session_scope(committed) as s:
            flow.get_order(s, buyer, order_id)  # the page loads the order first
            return flow.cancel(s, buyer, order_id, reason="重复点击取消").status

    results, errors = run_threads(10, cancel)
    assert not errors, errors
    assert sorted(results) == ["cancelled"] + ["order_transition_refused"] * 9
    with session_scope(committed) as s:
        assert s.get(Offer, offer_id).stock == 50
        assert s.get(BudgetLine, line_id).frozen == Decimal("0.00")


def test_concurrent_adds_to_a_new_cart_make_one_cart_and_one_line(committed):
    _, offer_id, _, (buyer,) = setup(committed, buyers=1, amount="100.00", stock=50,
                                     price="25.00")

    def add(_i: int):
        with session_scope(committed) as s:
            return cart.add(s, buyer, offer_id, 1).quantity

    results, errors = run_threads(10, add)
    assert not errors, errors
    assert all(isinstance(r, int) for r in results), results
    with session_scope(committed) as s:
        from orders.models import Cart, CartLine

        carts = list(s.scalars(select(Cart).where(Cart.user_id == buyer.id)))
        assert len(carts) == 1
        lines = list(s.scalars(select(CartLine).where(CartLine.cart_id == carts[0].id)))
        assert [(ln.offer_id, ln.quantity) for ln in lines] == [(offer_id, 10)]
