"""Concurrent 顺序轮候 call-offs on one agreement never give a member two turns in a cycle
and never skip one (real commits, one thread per call-off)."""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest

from mall.db import session_scope
from orders import calloffs
from suppliers import agreements
from tests import agreement_factories as af

pytestmark = pytest.mark.concurrency

MEMBERS = 4
THREADS = 8


def test_concurrent_rotation_calloffs_take_turns_in_order(committed):
    with session_scope(committed) as s:
        agreement, _, _ = af.active_open(s, members=MEMBERS)
        buyer, line = af.buyer(s, amount="900000.00")
        ids = (agreement.id, agreement.items[0].id, buyer.id, line.id)
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def worker() -> None:
        barrier.wait()
        try:
            with session_scope(committed) as s:
                from mall.accounts import User

                calloffs.start(s, s.get(User, ids[2]), agreement_id=ids[0], item_id=ids[1],
                               method="rotation", quantity=1, budget_line_id=ids[3],
                               budget_amount=Decimal("500.00"),
                               deadline=af.AFTER + timedelta(days=2), now=af.AFTER)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with session_scope(committed) as s:
        positions = [m.rotation_position for m in agreements.members(s, ids[0])]
        by_cycle = defaultdict(list)
        for turn in calloffs.turns(s, ids[0]):
            by_cycle[turn.cycle].append(turn)
        assert sorted(by_cycle) == [1, 2]
        for turns in by_cycle.values():
            assert [t.position for t in sorted(turns, key=lambda t: t.id)] == positions
            assert len({t.calloff_id for t in turns}) == MEMBERS
