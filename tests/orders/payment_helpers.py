"""Helpers for payment tests: executors against the suite's localstripe (or a closed port),
order steps with the payment hook, and delivery of the recorded entries."""

from __future__ import annotations

import requests

from orders import flow, payments
from orders.stripe_gateway import StripeGateway
from orders.treasury import TreasuryGateway
from tests.stripe_server import closed_port

AUTH = {"Authorization": "Bearer sk_test_local"}


def executor(base_url: str) -> payments.Executor:
    stripe_gw = StripeGateway(base_url, "sk_test_local", timeout=3)
    return payments.Executor(
        lambda method, session: stripe_gw if method == "card" else TreasuryGateway(session))


def down_executor() -> payments.Executor:
    """The same, with Stripe unreachable (a closed port)."""
    return executor(f"http://127.0.0.1:{closed_port()}")


def step(db, action: str, order, actor, **kw) -> list[int]:
    """Run an order transition the way the pages do, plus the payment hook."""
    if action == "accept":
        kw.setdefault("inspector", "张三")
        kw.setdefault("result", "pass")
        flow.accept(db, actor, order.id, **kw)
    elif action == "ship":
        flow.ship(db, actor, order.id, carrier="顺丰", tracking_no="SF1")
    elif action in ("cancel", "refuse", "request_return"):
        getattr(flow, action)(db, actor, order.id, reason=kw.get("reason", "测试"))
    else:
        getattr(flow, action)(db, actor, order.id)
    ids = payments.after_transition(db, actor, order, action)
    db.flush()
    return ids


def run(db, ex: payments.Executor, ids: list[int]) -> None:
    """Execute entries as the outbox handler does, in the test's transaction."""
    for entry_id in ids:
        ex.execute(db, entry_id)
    db.flush()
    db.expire_all()


def intent(base: str, ref: str) -> dict:
    r = requests.get(f"{base}/v1/payment_intents/{ref}", headers=AUTH, timeout=10)
    r.raise_for_status()
    return r.json()


def refunds(base: str, ref: str) -> list[dict]:
    r = requests.get(f"{base}/v1/refunds", params={"payment_intent": ref}, headers=AUTH,
                     timeout=10)
    r.raise_for_status()
    return r.json()["data"]
