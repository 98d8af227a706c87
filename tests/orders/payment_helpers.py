"""Helpers for payment tests: executors on the test's connection, order steps with hooks."""

from __future__ import annotations

import requests

from orders import flow, payments
from orders.stripe_gateway import StripeGateway
from orders.treasury import TreasuryGateway
from tests.stripe_server import closed_port

AUTH = {"Authorization": "Bearer sk_test_local"}


def executor(app, base_url: str) -> payments.Executor:
    """An executor whose sessions share the test's connection (savepoints)."""
    factory = app.extensions["mall.session_factory"]
    stripe_gw = StripeGateway(base_url, "sk_test_local", timeout=3)
    treasury_gw = TreasuryGateway(factory)
    return payments.Executor(factory, lambda m: stripe_gw if m == "card" else treasury_gw)


def down_executor(app) -> payments.Executor:
    """The same, with Stripe unreachable (a closed port)."""
    return executor(app, f"http://127.0.0.1:{closed_port()}")


def step(db, action: str, order, actor, **kw) -> list[int]:
    """Run an order transition the way the pages do, plus the payment hook."""
    if action == "accept":
        kw.setdefault("inspector", "张三")
        kw.setdefault("result", "pass")
        flow.accept(db, actor, order.id, **kw)
        action = "fail_acceptance" if kw["result"] == "fail" else "accept"
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
    db.flush()
    ex.run_all(ids)
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
