"""Benchmark of concurrent checkout (下单): N buyers at once against a few offers with
limited stock and budget lines with limited money, on the configured database.

    .venv/bin/python bench/checkout.py [--threads 32] [--attempts 25] [--offers 4]

Each thread is one buyer (in one of a few units sharing a budget line per unit) placing orders
through orders.checkout.place_orders, each attempt in its own transaction with its own
idempotency key, until its attempts are done. Demand is set well above both the stock and the
budget, so refusals (stock_insufficient, budget_insufficient) are part of the run.

Afterwards it checks that everything balances and prints:
- oversold: units sold beyond an offer's starting stock, plus offers whose stock does not
  equal starting stock minus the quantities in orders (must be 0);
- overdrawn: money frozen or spent beyond a budget line's amount, plus lines whose frozen
  amount differs from the sum of their orders (must be 0);
- lost: orders a thread was told were placed but are not in the database, or orders in the
  database no thread was told about (must be 0).

Uses a fresh SQLite database in a temporary directory, or DATABASE_URL when set (a throwaway
database: it is migrated to head and refused if it already holds orders). The last line is one
JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402
from stdnum.cn import uscc  # noqa: E402

from catalog import offers as catalog_offers  # noqa: E402
from catalog.categories import load_categories  # noqa: E402
from catalog.models import Offer  # noqa: E402
from mall import migrate  # noqa: E402
from mall.accounts import create_user  # noqa: E402
from mall.db import make_engine, session_scope  # noqa: E402
from mall.errors import DomainError  # noqa: E402
from orders import budget, checkout  # noqa: E402
from orders.models import BudgetLine, Order, OrderLine  # noqa: E402
from orders.rules import Policy  # noqa: E402
from suppliers import registration  # noqa: E402
from suppliers import status as supplier_status  # noqa: E402

PASSWORD = "Bench@2026"
DELIVERY = checkout.Delivery("杭州市上城区解放东路 18 号", "压测", "0571-87000000")


def fresh_database() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    tmp = tempfile.mkdtemp(prefix="mall-bench-")
    return f"sqlite:///{tmp}/bench.db"


def _uscc(i: int) -> str:
    first = f"91330106MA{i:07d}"
    return first + uscc.calc_check_digit(first)


def setup(factory, *, threads: int, offers: int, units: int, stock: int,
          line_amount: Decimal) -> tuple[list[int], dict[int, int], list[int], list]:
    """Suppliers with one active offer each, units with one budget line, one buyer a thread."""
    with session_scope(factory) as s:
        load_categories(s)
        operator = create_user(s, None, username="bench-operator", display_name="压测运营",
                               role="operator", password=PASSWORD)
        offer_ids, start_stock = [], {}
        for i in range(offers):
            supplier = registration.register(
                s, None, uscc=_uscc(i + 1), name=f"压测供应商{i + 1}有限公司",
                region_code="330106", size="small", contact_name="张经理",
                contact_phone="13800000000", bank_name="中国工商银行",
                bank_account=f"12020000000000{i:02d}")
            supplier_status.transition(s, None, supplier.id, "approve")
            seller = create_user(s, None, username=f"bench-seller{i}", display_name="压测供应商",
                                 role="supplier", password=PASSWORD, supplier_id=supplier.id)
            offer = catalog_offers.create_offer(s, seller, supplier_id=supplier.id, data={
                "category_code": "A05040101", "brand": "得力", "model": f"BENCH-{i}",
                "title": f"得力 A4 复印纸 70g 500张/包 压测{i}", "price": Decimal("25.00") + i,
                "stock": stock, "delivery_regions": "全国",
                "specs": {"规格": "A4", "克重": "70g", "包装": "500张/包"}}, submit=True)
            catalog_offers.transition(s, operator, offer.id, "approve")
            offer_ids.append(offer.id)
            start_stock[offer.id] = stock
        line_ids, buyers = [], []
        for u in range(units):
            unit = budget.create_unit(s, None, code=f"BENCH{u:04d}", name=f"压测单位{u + 1}",
                                      region_code="330100", level="municipal")
            line_ids.append(budget.create_line(s, None, unit_id=unit.id, fiscal_year=2026,
                                               name="办公用品", purpose="office_supplies",
                                               amount=line_amount).id)
        for t in range(threads):
            unit_id = s.get(BudgetLine, line_ids[t % units]).unit_id
            buyers.append(create_user(s, None, username=f"bench-buyer{t}",
                                      display_name=f"压测采购人{t}", role="buyer",
                                      password=PASSWORD, budget_unit_id=unit_id))
    return offer_ids, start_stock, line_ids, buyers


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--attempts", type=int, default=25, help="checkouts per thread")
    parser.add_argument("--offers", type=int, default=4)
    parser.add_argument("--units", type=int, default=4)
    parser.add_argument("--stock", type=int, default=200, help="starting stock per offer")
    parser.add_argument("--budget", default="5000.00", help="amount of each budget line")
    args = parser.parse_args(argv)

    url = fresh_database()
    migrate.upgrade(url)
    engine = make_engine(url, pool_size=args.threads, max_overflow=4)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as s:
        if s.scalar(select(func.count()).select_from(Order)):
            sys.exit("DATABASE_URL 指向的数据库已有订单；基准测试需要一个一次性的空数据库")
    database = make_url(url).get_backend_name()
    print(f"数据库：{database}；线程 {args.threads}，每线程下单 {args.attempts} 次，"
          f"商品 {args.offers} 个（各 {args.stock} 件），预算指标 {args.units} 条（各 ¥{args.budget}）")
    offer_ids, start_stock, line_ids, buyers = setup(
        factory, threads=args.threads, offers=args.offers, units=args.units, stock=args.stock,
        line_amount=Decimal(args.budget))
    prices = {}
    with factory() as s:
        for oid in offer_ids:
            prices[oid] = s.get(Offer, oid).price

    placed: list[int] = []
    latencies: list[float] = []
    outcomes: Counter = Counter()
    lock = threading.Lock()
    errors: list[BaseException] = []
    barrier = threading.Barrier(args.threads)
    policy = Policy()

    def buyer_thread(t: int) -> None:
        rng = random.Random(t)
        buyer = buyers[t]
        line_id = line_ids[t % args.units]
        barrier.wait()
        for a in range(args.attempts):
            offer_id = rng.choice(offer_ids)
            items = [checkout.Item(offer_id, rng.randint(1, 3), prices[offer_id])]
            began = time.perf_counter()
            try:
                with session_scope(factory) as s:
                    result = checkout.place_orders(
                        s, buyer, items, budget_line_id=line_id, payment_method="card",
                        idempotency_key=f"bench-{t}-{a}", delivery=DELIVERY, policy=policy)
                    ids = [o.id for o in result.orders]
                with lock:
                    placed.extend(ids)
                    outcomes["placed"] += 1
                    latencies.append(time.perf_counter() - began)
            except DomainError as err:
                with lock:
                    outcomes[err.code] += 1
            except BaseException as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    errors.append(exc)
                    outcomes[type(exc).__name__] += 1

    threads = [threading.Thread(target=buyer_thread, args=(t,)) for t in range(args.threads)]
    started = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - started

    with factory() as s:
        oversold = 0
        for oid in offer_ids:
            sold = s.scalar(select(func.coalesce(func.sum(OrderLine.quantity), 0))
                            .where(OrderLine.offer_id == oid)) or 0
            stock = s.get(Offer, oid).stock
            oversold += max(0, sold - start_stock[oid])
            if stock != start_stock[oid] - sold or stock < 0:
                oversold += 1
        overdrawn = Decimal("0.00")
        for lid in line_ids:
            line = s.get(BudgetLine, lid)
            overdrawn += max(Decimal("0.00"), line.frozen + line.spent - line.amount)
            ordered = s.scalar(select(func.coalesce(func.sum(Order.total), 0))
                               .where(Order.budget_line_id == lid))
            if Decimal(str(ordered)).quantize(Decimal("0.01")) != line.frozen:
                overdrawn += Decimal("0.01")  # frozen money that no order accounts for
        in_db = set(s.scalars(select(Order.id)))
        lost = len(set(placed) ^ in_db) + (len(placed) - len(set(placed)))
        stock_left = {oid: s.get(Offer, oid).stock for oid in offer_ids}
        frozen = {lid: str(s.get(BudgetLine, lid).frozen) for lid in line_ids}
    engine.dispose()

    attempts = args.threads * args.attempts
    figures = {
        "database": database, "threads": args.threads, "attempts": attempts,
        "orders": len(placed), "seconds": round(elapsed, 2),
        "orders_per_s": round(len(placed) / elapsed, 1),
        "attempts_per_s": round(attempts / elapsed, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(1000 * statistics.quantiles(latencies, n=20)[-1], 1)
        if len(latencies) > 1 else None,
        "refused": {k: v for k, v in sorted(outcomes.items()) if k != "placed"},
        "oversold": oversold, "overdrawn": float(overdrawn) if overdrawn else 0, "lost": lost,
    }
    print(f"下单尝试 {attempts} 次，成功 {len(placed)} 单，用时 {elapsed:.2f} 秒："
          f"{figures['orders_per_s']} 单/秒（含被拒 {figures['attempts_per_s']} 次/秒）")
    print(f"成功下单耗时（含等待锁）：中位数 {figures['p50_ms']} ms，95% {figures['p95_ms']} ms")
    print(f"被拒：{figures['refused']}")
    print(f"剩余库存：{stock_left}；冻结预算：{frozen}")
    print(f"超卖 {oversold}，超支 {overdrawn}，丢单 {lost}")
    if errors:
        print(f"意外错误 {len(errors)} 个，例如：{errors[0]!r}")
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main()
