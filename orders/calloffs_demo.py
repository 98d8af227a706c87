"""Demo call-offs (`mall seed-demo`) under the demo agreements, through the rules: a direct
selection already awarded (its order in the pipeline), a second-round bidding open for bids
with one sealed bid, and a rotation call-off waiting for the first member's answer."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from mall.clock import SHANGHAI, local_today
from mall.workdays import add_working_days
from orders import calloffs
from orders.models import BudgetLine
from suppliers import agreements


def _line(session, buyer, purpose: str) -> BudgetLine:
    return session.scalar(select(BudgetLine).where(
        BudgetLine.unit_id == buyer.budget_unit_id, BudgetLine.purpose == purpose)
        .order_by(BudgetLine.id))


def seed_calloffs(session, users: dict, closed, open_agreement, now: datetime) -> None:
    buyer = users["buyer"]
    equipment = _line(session, buyer, "office_equipment")
    member = agreements.member_for(session, closed.id, users["supplier"].supplier_id)
    calloffs.start(session, buyer, agreement_id=closed.id, item_id=closed.items[0].id,
                   method="direct", quantity=12, budget_line_id=equipment.id,
                   budget_amount=Decimal("66000.00"), requirement="教研室更新台式计算机",
                   member_id=member.id, reason_code="service", reason_note="本地售后网点，4 小时响应",
                   now=now)  # awarded today: its order waits for the supplier within the window
    deadline_day = add_working_days(local_today(now), 4)
    bidding = calloffs.start(
        session, buyer, agreement_id=closed.id, item_id=closed.items[1].id, method="bidding",
        quantity=30, budget_line_id=equipment.id, budget_amount=Decimal("210000.00"),
        requirement="教师办公便携式计算机，含预装正版操作系统",
        deadline=datetime.combine(deadline_day, time(17, 0), tzinfo=SHANGHAI), now=now)
    calloffs.submit_bid(session, users["supplier2"], bidding.id, Decimal("6890.00"), now=now)
    vehicle = _line(session, users["buyer2"], "vehicle")
    calloffs.start(session, users["buyer2"], agreement_id=open_agreement.id,
                   item_id=open_agreement.items[0].id, method="rotation", quantity=20,
                   budget_line_id=vehicle.id, budget_amount=Decimal("9600.00"),
                   requirement="校车及公务用车季度保养", deadline=now + timedelta(days=3), now=now)
    session.flush()
