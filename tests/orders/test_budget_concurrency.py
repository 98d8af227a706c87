"""50 concurrent freezes on one budget line never exceed its amount (real commits)."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

from mall.db import session_scope
from orders import budget
from orders.budget import InsufficientBudget
from orders.models import BudgetLine

THREADS = 50


def test_concurrent_freezes_never_overdraw(committed):
    with session_scope(committed) as s:
        unit = budget.create_unit(s, None, code=f"C{uuid.uuid4().hex[:10]}", name="并发测试单位",
                                  region_code="330100", level="municipal")
        line = budget.create_line(s, None, unit_id=unit.id, fiscal_year=2026, name="并发",
                                  purpose="office_supplies", amount=Decimal("1000.00"))
        line_id = line.id
    # 50 requests of 30.00 each (1500.00 wanted) against 1000.00: at most 33 can succeed.
    amounts = [Decimal("30.00")] * THREADS
    results: list[Decimal | None] = [None] * THREADS
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def worker(i: int) -> None:
        barrier.wait()
        try:
            with session_scope(committed) as s:
                budget.freeze(s, None, line_id, amounts[i], ref=f"t{i}")
            results[i] = amounts[i]
        except InsufficientBudget:
            results[i] = Decimal("0")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with session_scope(committed) as s:
        final = s.get(BudgetLine, line_id)
        succeeded = sum(r for r in results if r)
        assert final.frozen == succeeded
        assert final.frozen <= final.amount
        assert succeeded == Decimal("990.00")  # 33 × 30.00: every freeze that fits got in
