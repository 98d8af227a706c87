"""Factories for framework agreements and call-offs, built through the rules themselves.

Times are fixed: NOW is Monday 2026-11-23 10:00 in Beijing; the solicitation deadline is three
days later and the agreement is valid from that day for a year.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from orders import calloffs
from suppliers import agreements
from tests import factories

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 Beijing
DEADLINE = NOW + timedelta(days=3)  # Thursday 10:00 Beijing
AFTER = NOW + timedelta(days=4)  # Friday, the agreement is in force
VALID_FROM = date(2026, 11, 26)
VALID_UNTIL = date(2027, 11, 25)
BID_DEADLINE = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # ≥ 3 working days after AFTER

ITEM = {"name": "台式计算机", "category_code": "A02010105", "spec": "i5/16G/512G SSD/23.8 英寸",
        "unit": "台", "est_quantity": 100, "max_unit_price": Decimal("5000.00")}


def agency(session):
    return factories.user(session, "agency")


def draft(session, agency_user=None, *, kind: str = "closed", items: list[dict] | None = None,
          methods: list[str] | None = None, **kw):
    agency_user = agency_user or agency(session)
    data = {"title": f"台式计算机框架协议{factories.n()}", "kind": kind,
            "valid_from": VALID_FROM, "valid_until": VALID_UNTIL,
            "items": items or [dict(ITEM)],
            "calloff_methods": methods or ["direct", "bidding", "rotation"],
            "response_deadline": DEADLINE if kind == "closed" else None} | kw
    return agreements.create(session, agency_user, now=NOW, **data)


def published(session, agency_user=None, **kw):
    agency_user = agency_user or agency(session)
    agreement = draft(session, agency_user, **kw)
    agreements.publish(session, agency_user, agreement.id, now=NOW)
    session.flush()
    return agreement


def supplier_user(session, size: str = "medium"):
    s = factories.supplier(session, size=size)
    return factories.user(session, "supplier", supplier_id=s.id)


def respond(session, agreement, user, price, *, sme: bool = False, now=NOW):
    prices = {item.id: Decimal(str(price)) for item in agreement.items}
    return agreements.submit_response(session, user, agreement.id, prices=prices,
                                      sme_declared=sme, now=now)


def active_closed(session, prices=("4500", "4600", "4700"), sizes=None, **kw):
    """A closed agreement in force: one response per price, evaluated and published.

    Returns (agreement, agency user, [supplier users in response order])."""
    agency_user = agency(session)
    agreement = published(session, agency_user, **kw)
    sizes = sizes or ["medium"] * len(prices)
    users = []
    for i, (price, size) in enumerate(zip(prices, sizes, strict=True)):
        user = supplier_user(session, size)
        respond(session, agreement, user, price, now=NOW + timedelta(minutes=i))
        users.append(user)
    agreements.open_responses(session, agency_user, agreement.id, now=AFTER)
    agreements.evaluate(session, agency_user, agreement.id, now=AFTER)
    agreements.publish_result(session, agency_user, agreement.id, now=AFTER)
    session.flush()
    return agreement, agency_user, users


def active_open(session, members: int = 3, **kw):
    agency_user = agency(session)
    agreement = published(session, agency_user, kind="open", **kw)
    users = []
    for _ in range(members):
        user = supplier_user(session)
        agreements.join(session, user, agreement.id, now=AFTER)
        users.append(user)
    session.flush()
    return agreement, agency_user, users


def buyer(session, amount: str = "1000000.00"):
    unit = factories.unit(session)
    line = factories.line(session, unit.id, amount=amount, purpose="office_equipment")
    return factories.user(session, "buyer", budget_unit_id=unit.id), line


def start(session, agreement, buyer_user, line, method: str, *, quantity: int = 10,
          budget_amount: str = "50000.00", now=AFTER, **kw):
    calloff = calloffs.start(session, buyer_user, agreement_id=agreement.id,
                             item_id=agreement.items[0].id, method=method, quantity=quantity,
                             budget_line_id=line.id, budget_amount=Decimal(budget_amount),
                             now=now, **kw)
    session.flush()  # pages and the API read through their own session
    return calloff
