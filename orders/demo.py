"""Demo orders for `mall seed-demo`: a handful of orders in different states, placed through
the real checkout and walked through the real state machine, so budgets, stock and audit
events agree with them. Deterministic: offers are taken in id order.

- 杭州市教育局 (`buyer`) with 杭州联创 (`supplier`): one order waiting for confirmation, one
  confirmed, one shipped, one delivered (ready for the acceptance form), one accepted 40 days
  ago and still unpaid (on the overdue lists), one paid and completed, one cancelled by the
  buyer, one refused by the supplier;
- 杭州市第十四中学 (`buyer2`) bought canteen rice from the 832 supplier (`farmer`).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Offer, OfferStatus
from orders import checkout, flow, rules
from orders.models import BudgetLine, BudgetUnit, Order
from suppliers.models import Supplier

DELIVERY = {
    "buyer": checkout.Delivery("杭州市上城区解放东路 18 号 市民中心 D 座", "王晓燕", "0571-87000001"),
    "buyer2": checkout.Delivery("杭州市上城区凤起路 1 号 第十四中学后勤处", "李建国", "0571-87000002"),
}


def _offers(session: Session, supplier_id: int, unit: BudgetUnit, today: date,
            count: int) -> list[Offer]:
    """The supplier's first `count` offers (by id) this unit may buy today."""
    out = []
    supplier = session.get(Supplier, supplier_id)
    for offer in session.scalars(select(Offer).where(
            Offer.supplier_id == supplier_id, Offer.status == OfferStatus.ACTIVE.value,
            Offer.stock >= 20).order_by(Offer.id)):
        qty = offer.min_order_qty
        if not rules.line_problems(offer, supplier, qty, offer.price, unit, today) \
                and offer.price * qty < 20000:
            out.append(offer)
            if len(out) == count:
                break
    return out


def _line(session: Session, unit_id: int, purpose: str) -> BudgetLine:
    return session.scalar(select(BudgetLine).where(BudgetLine.unit_id == unit_id,
                                                   BudgetLine.purpose == purpose)
                          .order_by(BudgetLine.id))


def _place(session: Session, buyer, offer: Offer, line: BudgetLine, key: str,
           method: str, today: date) -> Order:
    qty = max(offer.min_order_qty, 2)
    result = checkout.place_orders(
        session, buyer, [checkout.Item(offer.id, qty, offer.price)], budget_line_id=line.id,
        payment_method=method, idempotency_key=key, delivery=DELIVERY[buyer.username],
        policy=rules.Policy(), today=today)
    return result.orders[0]


def seed_orders(session: Session, users: dict, today: date) -> list[Order]:
    """Place the demo orders; `users` maps demo usernames to User rows."""
    buyer, buyer2 = users["buyer"], users["buyer2"]
    seller, farmer = users["supplier"], users["farmer"]
    unit = session.get(BudgetUnit, buyer.budget_unit_id)
    office = _line(session, unit.id, "office_equipment")
    placed = []
    walks = [
        ("placed", []), ("confirmed", ["confirm"]), ("shipped", ["confirm", "ship"]),
        ("delivered", ["confirm", "ship", "deliver"]),
        ("overdue", ["confirm", "ship", "deliver", "accept_late"]),
        ("completed", ["confirm", "ship", "deliver", "accept", "pay", "complete"]),
        ("cancelled", ["cancel"]), ("refused", ["refuse"]),
    ]
    offers = _offers(session, seller.supplier_id, unit, today, len(walks))
    for i, ((_name, steps), offer) in enumerate(zip(walks, offers, strict=False)):
        order = _place(session, buyer, offer, office, f"demo-order-{i + 1:02d}",
                       "card" if i % 2 == 0 else "treasury", today)
        for step in steps:
            if step == "confirm":
                flow.confirm(session, seller, order.id)
            elif step == "ship":
                flow.ship(session, seller, order.id, carrier="顺丰速运",
                          tracking_no=f"SF{1000000000 + order.id}")
            elif step == "deliver":
                flow.deliver(session, seller, order.id)
            elif step == "accept":
                flow.accept(session, buyer, order.id, result="pass", inspector="王晓燕",
                            notes="数量、型号与合同一致，外观完好", today=today)
            elif step == "accept_late":
                flow.accept(session, buyer, order.id, result="pass", inspector="王晓燕",
                            notes="验收合格", today=today - timedelta(days=40))
            elif step == "pay":
                flow.pay(session, None, order.id, amount=order.accepted_amount, today=today)
            elif step == "complete":
                flow.complete(session, buyer, order.id)
            elif step == "cancel":
                flow.cancel(session, buyer, order.id, reason="采购需求调整")
            elif step == "refuse":
                flow.refuse(session, seller, order.id, reason="该型号暂时缺货，预计两周后到货")
        placed.append(order)

    # the school canteen buys 832 produce
    school = session.get(BudgetUnit, buyer2.budget_unit_id)
    canteen = _line(session, school.id, "canteen_food")
    produce = _offers(session, farmer.supplier_id, school, today, 1)
    if produce:
        placed.append(_place(session, buyer2, produce[0], canteen, "demo-order-832",
                             "treasury", today))
    return placed
