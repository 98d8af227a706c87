"""A double (here: eightfold) submit of the same capture from concurrent requests, each also
executing it at once as a concurrent outbox delivery would: one ledger entry, one provider
call, one charge (real commits, real localstripe)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from mall.accounts import User
from mall.db import session_scope
from mall.outbox import Dispatcher, OutboxEvent, drain
from orders import flow, payments
from orders.models import BudgetLine, Order, PaymentEntry
from orders.stripe_gateway import StripeGateway
from orders.treasury import TreasuryGateway
from tests import factories
from tests.orders.payment_helpers import intent, refunds

THREADS = 8


@pytest.mark.concurrency
def test_concurrent_capture_submits_charge_once(committed, localstripe):
    stripe_gw = StripeGateway(localstripe, "sk_test_local")
    ex = payments.Executor(lambda method, session: stripe_gw if method == "card"
                           else TreasuryGateway(session))
    with session_scope(committed) as s:
        order, buyer, seller = factories.order(s, status="delivered")
        ids = payments.after_transition(s, seller, order, "confirm")
        order_id = order.id
    with session_scope(committed) as s:
        ex.execute(s, ids[0])
    with session_scope(committed) as s:
        flow.accept(s, s.get(User, buyer.id), order_id, result="pass", inspector="张三")

    entry_ids: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def submit() -> None:
        barrier.wait()
        try:
            with session_scope(committed) as s:
                order_ = s.get(Order, order_id)
                payment = payments.open_payment(s, order_)
                entry = payments.request(s, None, payment, payments.K.CAPTURE,
                                         order_.accepted_amount)
                entry_id = entry.id
            entry_ids.append(entry_id)
            with session_scope(committed) as s:
                ex.execute(s, entry_id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(set(entry_ids)) == 1
    # the outbox still delivers the entry's event: nothing more happens
    drain(committed, Dispatcher().on(payments.TOPIC, ex.handle))
    with session_scope(committed) as s:
        event = s.scalar(select(OutboxEvent).where(OutboxEvent.topic == payments.TOPIC,
                                                   OutboxEvent.key == str(entry_ids[0])))
        assert event.processed_at is not None and event.attempts == 0
    with session_scope(committed) as s:
        entry = s.get(PaymentEntry, entry_ids[0])
        assert entry.status == "succeeded" and entry.attempts == 1
        order = s.get(Order, order_id)
        payment = payments.get_payment(s, order_id)
        assert order.status == "paid" and payment.captured_amount == order.total
        line = s.get(BudgetLine, order.budget_line_id)
        assert line.spent == order.total and line.frozen == 0
        ref = payment.provider_ref
    charge = intent(localstripe, ref)["latest_charge"]
    assert charge["captured"] is True and charge["amount"] == int(order.total * 100)
    assert refunds(localstripe, ref) == []
