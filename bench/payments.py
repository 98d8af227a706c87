"""Benchmark of the card payment path through the outbox against a real localstripe: N orders
are confirmed (card authorisations) and accepted (captures); W `mall worker`-like threads drain
the outbox, each event executed in its own transaction.

    .venv/bin/python bench/payments.py [--orders 200] [--workers 4]

Prints authorisations and captures per second, then checks every order: the ledger captured
exactly the order total once (one capture entry, one provider call), localstripe shows the
PaymentIntent captured with nothing refunded, and the budget line spent what was captured.
`double_charges` and `unbalanced` must be 0. Uses a fresh SQLite database in a temporary
directory, or DATABASE_URL (a throwaway database: it is migrated to head); starts its own
localstripe on a free port. The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from catalog.categories import load_categories  # noqa: E402
from mall import migrate  # noqa: E402
from mall.config import Config  # noqa: E402
from mall.db import make_engine, session_scope  # noqa: E402
from mall.outbox import Dispatcher, drain, pending  # noqa: E402
from orders import flow, payments  # noqa: E402
from orders.models import BudgetLine, Order, Payment, PaymentEntry  # noqa: E402
from tests import factories  # noqa: E402  (valid records through the real rules)
from tests.stripe_server import free_port, start_localstripe  # noqa: E402


def drain_all(factory, dispatcher: Dispatcher, workers: int) -> float:
    """Drain until nothing is pending, with `workers` threads; returns the seconds taken."""
    def work():
        while drain(factory, dispatcher, limit=50).processed:
            pass

    start = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL") or \
        f"sqlite:///{tempfile.mkdtemp(prefix='mall-bench-')}/bench.db"
    migrate.upgrade(url)
    engine = make_engine(url, pool_size=args.workers + 2) if not url.startswith("sqlite") \
        else make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    port = free_port()
    stripe = start_localstripe(port)
    base = f"http://127.0.0.1:{port}"
    try:
        cfg = Config.from_env(database_url=url, stripe_api_base=base)
        dispatcher = Dispatcher().on(payments.TOPIC, payments.build_executor(cfg).handle)
        with session_scope(factory) as s:
            if not s.scalar(select(func.count()).select_from(BudgetLine)):
                load_categories(s)
            buyer, line = factories.buyer_with_budget(s, amount="100000000.00")
            offer = factories.offer(s, status="active", stock=args.orders * 2)
            placed = [factories.order(s, buyer=buyer, budget_line=line, offer_=offer,
                                      quantity=1) for _ in range(args.orders)]
            order_ids = [o.id for o, _b, _s in placed]
            seller = placed[0][2]
            line_id = line.id

        def each(action):
            for order_id in order_ids:
                with session_scope(factory) as s:
                    actor = s.merge(seller if action != "accept" else buyer, load=True)
                    if action == "accept":
                        flow.accept(s, actor, order_id, result="pass", inspector="压测")
                    elif action == "ship":
                        flow.ship(s, actor, order_id)
                    else:
                        getattr(flow, action)(s, actor, order_id)
                    payments.after_transition(s, actor, s.get(Order, order_id), action)

        each("confirm")
        auth_s = drain_all(factory, dispatcher, args.workers)
        each("ship")
        each("deliver")
        each("accept")
        capture_s = drain_all(factory, dispatcher, args.workers)

        double, unbalanced, captured_total = 0, 0, Decimal("0.00")
        with session_scope(factory) as s:
            left = pending(s)
            for order_id in order_ids:
                order = s.get(Order, order_id)
                payment = s.scalar(select(Payment).where(Payment.order_id == order_id))
                captures = list(s.scalars(select(PaymentEntry).where(
                    PaymentEntry.payment_id == payment.id, PaymentEntry.kind == "capture")))
                pi = requests.get(f"{base}/v1/payment_intents/{payment.provider_ref}",
                                  headers={"Authorization": "Bearer sk_test_local"},
                                  timeout=10).json()
                charge = pi["latest_charge"]
                if len(captures) != 1 or captures[0].attempts != 1 \
                        or charge["amount_refunded"] != 0 or not charge["captured"]:
                    double += 1
                if payment.captured_amount != order.total or order.status != "paid":
                    unbalanced += 1
                captured_total += payment.captured_amount
            budget_line = s.get(BudgetLine, line_id)
            if budget_line.spent != captured_total:
                unbalanced += 1
    finally:
        stripe.terminate()
        engine.dispose()

    backend = make_url(url).get_backend_name()
    figures = {
        "database": backend, "orders": args.orders, "workers": args.workers,
        "authorisations_per_s": round(args.orders / auth_s, 1),
        "captures_per_s": round(args.orders / capture_s, 1),
        "pending_after": left, "double_charges": double, "unbalanced": unbalanced,
    }
    print(f"{args.orders} 笔公务卡订单，{args.workers} 个投递线程（{backend}）")
    print(f"  预授权 {figures['authorisations_per_s']} 笔/秒，扣款 {figures['captures_per_s']} 笔/秒")
    print(f"  重复扣款 {double}，账实不符 {unbalanced}，未投递事件 {left}")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
