"""Benchmark of framework agreements: sealed responses, evaluation of a large solicitation,
and 顺序轮候 call-offs with their orders.

    .venv/bin/python bench/agreements.py [--responses 500] [--calloffs 200]

Uses a fresh SQLite database in a temporary directory, or DATABASE_URL when set (it must be
a throwaway database: it is migrated to head and refused if it already holds agreements).
Prints human lines, then as its LAST line one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402
from stdnum.cn import uscc  # noqa: E402

from catalog.categories import load_categories  # noqa: E402
from catalog.models import Category  # noqa: E402
from mall import migrate  # noqa: E402
from mall.accounts import create_user  # noqa: E402
from mall.db import make_engine, session_scope  # noqa: E402
from orders import budget, calloffs  # noqa: E402
from suppliers import agreements, registration  # noqa: E402
from suppliers import status as supplier_status  # noqa: E402
from suppliers.models import FrameworkAgreement  # noqa: E402

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ITEMS = [{"name": n, "category_code": c, "est_quantity": q, "max_unit_price": Decimal(p)}
         for n, c, q, p in (("台式计算机", "A02010105", 800, "6000"),
                            ("便携式计算机", "A02010108", 300, "7500"),
                            ("复印纸", "A05040101", 5000, "150"))]


def suppliers(session, count: int, rng: random.Random) -> list:
    """(user, size) pairs; small and micro suppliers declare themselves (中小企业声明函)."""
    users = []
    for i in range(count):
        first = f"91330106MB{i:07d}"
        s = registration.register(
            session, None, uscc=first + uscc.calc_check_digit(first), name=f"压测供应商{i}有限公司",
            region_code="330106", size=rng.choice(["large", "medium", "small", "micro"]),
            contact_name="张经理", contact_phone="13800000000", bank_name="中国工商银行",
            bank_account="1202000000000001")
        supplier_status.transition(session, None, s.id, "approve")
        users.append((create_user(session, None, username=f"bench_s{i}", display_name=f"s{i}",
                                  role="supplier", password="Bench@2026", supplier_id=s.id),
                      s.size))
    return users


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=500)
    parser.add_argument("--calloffs", type=int, default=200)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or \
        f"sqlite:///{tempfile.mkdtemp(prefix='bench-agreements-')}/bench.db"
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    rng = random.Random(110)
    with session_scope(factory) as s:
        if s.scalar(select(func.count()).select_from(FrameworkAgreement)):
            raise SystemExit("DATABASE_URL already holds agreements: use a throwaway database")
        if not s.scalar(select(func.count()).select_from(Category)):
            load_categories(s)
        agency = create_user(s, None, username="bench_agency", display_name="agency",
                             role="agency", password="Bench@2026")
        unit = budget.create_unit(s, None, code="B0000001", name="压测单位", region_code="330100",
                                  level="municipal")
        line = budget.create_line(s, None, unit_id=unit.id, fiscal_year=2026, name="压测",
                                  purpose="office_equipment", amount=Decimal("999999999.00"))
        buyer = create_user(s, None, username="bench_buyer", display_name="buyer", role="buyer",
                            password="Bench@2026", budget_unit_id=unit.id)
        users = suppliers(s, args.responses, rng)
        agreement = agreements.create(
            s, agency, title="压测框架协议", kind="closed", valid_from=date(2026, 11, 26),
            valid_until=date(2027, 11, 25), items=ITEMS, calloff_methods=["rotation"],
            response_deadline=NOW + timedelta(days=3), now=NOW)
        agreements.publish(s, agency, agreement.id, now=NOW)
        ids = (agreement.id, [i.id for i in agreement.items], agency.id, buyer.id, line.id)
    print(f"{args.responses} suppliers ready on {engine.dialect.name}")

    started = time.perf_counter()
    for n, (user, size) in enumerate(users):  # one request (transaction) per response
        with session_scope(factory) as s:
            prices = {item_id: (ITEMS[k]["max_unit_price"] * Decimal(rng.randint(80, 100))
                                / 100).quantize(Decimal("0.01"))
                      for k, item_id in enumerate(ids[1])}
            agreements.submit_response(s, user, ids[0], prices=prices,
                                       sme_declared=size in ("small", "micro"),
                                       now=NOW + timedelta(seconds=n))
    respond_s = time.perf_counter() - started
    print(f"responses: {args.responses} in {respond_s:.2f}s "
          f"({args.responses / respond_s:.0f}/s, one transaction each)")

    after = NOW + timedelta(days=4)
    started = time.perf_counter()
    with session_scope(factory) as s:
        from mall.accounts import User

        agency = s.get(User, ids[2])
        agreements.open_responses(s, agency, ids[0], now=after)
        ranked = agreements.evaluate(s, agency, ids[0], now=after)
        agreements.publish_result(s, agency, ids[0], now=after)
        shortlisted = sum(r.shortlisted for r in ranked)
    evaluate_s = time.perf_counter() - started
    print(f"open + evaluate + publish result: {evaluate_s:.2f}s, {shortlisted} shortlisted")

    started = time.perf_counter()
    for _ in range(args.calloffs):  # start, the member in turn accepts, the order is placed
        with session_scope(factory) as s:
            from mall.accounts import User

            calloff = calloffs.start(
                s, s.get(User, ids[3]), agreement_id=ids[0], item_id=ids[1][2],
                method="rotation", quantity=10, budget_line_id=ids[4],
                budget_amount=Decimal("1500.00"), deadline=after + timedelta(days=2), now=after)
            member = s.get(agreements.AgreementMember, calloff.offered_member_id)
            seller = s.scalar(select(User).where(User.supplier_id == member.supplier_id))
            calloffs.accept(s, seller, calloff.id, now=after)
    rotation_s = time.perf_counter() - started
    print(f"rotation call-offs awarded with orders: {args.calloffs} in {rotation_s:.2f}s "
          f"({args.calloffs / rotation_s:.0f}/s)")
    engine.dispose()
    print(json.dumps({"database": engine.dialect.name, "responses": args.responses,
                      "responses_per_s": round(args.responses / respond_s, 1),
                      "evaluate_s": round(evaluate_s, 3), "shortlisted": shortlisted,
                      "rotation_calloffs": args.calloffs,
                      "rotation_calloffs_per_s": round(args.calloffs / rotation_s, 1)}))


if __name__ == "__main__":
    main()
