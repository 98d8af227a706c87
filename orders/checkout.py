"""Checkout (下单): the cart becomes one order per supplier, in one transaction.

In order: the buyer and the idempotency key (a key already used returns the same orders);
the budget line belongs to the buyer's unit (无预算不采购); every line passes the rules in
orders/rules.py; each order stays within the purchase limit; then the key is claimed (a
unique constraint, so a concurrent double submit finds the first checkout), the orders are
written with a snapshot of every line and its 832 / green / SME tags, flagged when they look
like 化整为零, and last — so the hot rows stay locked only until the commit — stock is
reserved offer by offer in id order (one conditional UPDATE each) and the budget is frozen
(orders/budget.py).

Framework call-offs (框架协议二阶段) use `place_calloff_order`: the same pipeline without
catalogue offers, stock or the purchase limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from catalog import certificates
from catalog.models import Category, Offer, Product
from mall import audit
from mall.clock import local_today, utcnow
from mall.db import insert_once
from mall.errors import Conflict, Forbidden, NotFound, field_error
from mall.money import to_money
from mall.roles import Role
from mall.workdays import add_working_days
from orders import budget, cart, rules
from orders.models import (
    BudgetLine,
    BudgetUnit,
    Checkout,
    Order,
    OrderLine,
    OrderSource,
    PaymentMethod,
)
from suppliers.models import Supplier
from suppliers.status import can_trade

MAX_KEY_LENGTH = 80


@dataclass(frozen=True)
class Item:
    """One thing to buy from the catalogue, with the price the buyer agreed to."""

    offer_id: int
    quantity: int
    seen_price: Decimal


@dataclass
class Delivery:
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    note: str | None = None


@dataclass
class CheckoutResult:
    orders: list[Order]
    created: bool  # False: the idempotency key was used before; these are the first orders
    warnings: list[str] = field(default_factory=list)


def _require_buyer(actor) -> None:
    if actor is None or actor.role != Role.BUYER:
        raise Forbidden("只有采购人可以下单", code="role_forbidden")


def _key(idempotency_key: str | None) -> str:
    key = (idempotency_key or "").strip()
    if not 8 <= len(key) <= MAX_KEY_LENGTH:
        raise field_error("idempotency_key",
                          f"缺少幂等键（Idempotency-Key，8 到 {MAX_KEY_LENGTH} 个字符）",
                          code="idempotency_key_required")
    return key


def _payment_method(value: str) -> str:
    try:
        return PaymentMethod(value).value
    except ValueError:
        raise field_error("payment_method", "支付方式应为 公务卡（card）或 国库集中支付（treasury）"
                          ) from None


def existing_orders(session: Session, user_id: int, key: str) -> list[Order] | None:
    """The orders of an earlier checkout with this key, or None."""
    checkout = session.scalar(select(Checkout).where(Checkout.user_id == user_id,
                                                     Checkout.idempotency_key == key))
    return None if checkout is None else list(checkout.orders)


def _claim(session: Session, user_id: int, key: str) -> Checkout | None:
    """Insert the checkout row; None when a concurrent submit with the key got there first."""
    record = Checkout(user_id=user_id, idempotency_key=key)
    return record if insert_once(session, record) else None


def _budget_line(session: Session, buyer, budget_line_id: int) -> BudgetLine:
    line = session.get(BudgetLine, budget_line_id)
    if line is None:
        raise NotFound("预算指标不存在", code="budget_line_not_found")
    if line.unit_id != buyer.budget_unit_id:
        raise Forbidden("只能使用本单位的预算指标", code="budget_line_forbidden")
    return line


def _order(session: Session, buyer, *, checkout: Checkout, supplier: Supplier,
           budget_line: BudgetLine, lines: list[dict], payment_method: str, source: str,
           calloff_id: int | None, delivery: Delivery, policy: rules.Policy, today: date,
           split_limit: Decimal | None) -> Order:
    """Write one order with its lines, flag 化整为零, audit it (the caller freezes the budget)."""
    total = sum((ln["amount"] for ln in lines), Decimal("0.00"))
    note = None
    if split_limit is not None:
        by_category: dict[int, tuple[str, Decimal]] = {}
        for ln in lines:
            name, amount = by_category.get(ln["category_id"], (ln["category_name"], Decimal(0)))
            by_category[ln["category_id"]] = (name, amount + ln["amount"])
        note = rules.split_note(session, unit_id=buyer.budget_unit_id, supplier_id=supplier.id,
                                amounts_by_category=by_category, limit=split_limit,
                                window_days=policy.split_window_days, now=utcnow())
    order = Order(checkout_id=checkout.id, unit_id=buyer.budget_unit_id, buyer_id=buyer.id,
                  supplier_id=supplier.id, budget_line_id=budget_line.id,
                  payment_method=payment_method, source=source, calloff_id=calloff_id,
                  total=total, delivery_address=delivery.address,
                  contact_name=delivery.contact_name, contact_phone=delivery.contact_phone,
                  buyer_note=delivery.note, split_flag=note is not None, split_note=note,
                  confirm_by=add_working_days(today, policy.confirm_working_days),
                  lines=[OrderLine(**ln) for ln in lines])
    session.add(order)
    session.flush()
    audit.record(session, buyer, "order.place", "order", order.id, after={
        "status": order.status, "supplier_id": supplier.id, "total": total,
        "budget_line_id": budget_line.id, "payment_method": payment_method, "source": source,
        "calloff_id": calloff_id, "split_flag": order.split_flag,
        "lines": [{"offer_id": ln.get("offer_id"), "quantity": ln["quantity"],
                   "unit_price": ln["unit_price"]} for ln in lines]})
    return order


def _tags(supplier: Supplier, category: Category, green: bool) -> dict:
    """Policy tags for reports: 832 = farm produce (a canteen-food category) from a supplier
    registered in an 832 county; green = a valid 节能/环境标志 certificate today; SME and
    small/micro from the supplier's declared size (中小企业声明函)."""
    return {"is_832": supplier.is_832 and category.canteen_food, "is_green": green,
            "is_sme": supplier.is_sme, "is_small_micro": supplier.is_small_or_micro}


def place_orders(session: Session, buyer, items: list[Item], *, budget_line_id: int,
                 payment_method: str, idempotency_key: str, delivery: Delivery,
                 policy: rules.Policy, today: date | None = None) -> CheckoutResult:
    """Place one order per supplier for `items` (see the module docstring for the steps)."""
    _require_buyer(buyer)
    payment_method = _payment_method(payment_method)
    key = _key(idempotency_key)
    today = today or local_today()
    earlier = existing_orders(session, buyer.id, key)
    if earlier is not None:
        return CheckoutResult(earlier, created=False)
    if not items:
        raise Conflict("购物车是空的", code="cart_empty")
    if not delivery.address.strip():
        raise field_error("delivery_address", "请填写收货地址")
    line_row = _budget_line(session, buyer, budget_line_id)
    unit = session.get(BudgetUnit, buyer.budget_unit_id)

    quantities: dict[int, int] = {}
    prices: dict[int, Decimal] = {}
    for item in items:
        if item.quantity < 1:
            raise field_error("quantity", "数量必须大于 0")
        quantities[item.offer_id] = quantities.get(item.offer_id, 0) + item.quantity
        prices[item.offer_id] = item.seen_price
    offers = {o.id: o for o in session.scalars(
        select(Offer).where(Offer.id.in_(list(quantities)))
        .options(joinedload(Offer.product).joinedload(Product.category),
                 selectinload(Offer.certificates)))}
    groups: dict[int, list[dict]] = {}
    suppliers: dict[int, Supplier] = {}
    for offer_id in sorted(quantities):
        offer = offers.get(offer_id)
        if offer is None:
            raise NotFound("商品报价不存在", code="offer_not_found")
        supplier = suppliers.setdefault(offer.supplier_id,
                                        session.get(Supplier, offer.supplier_id))
        quantity = quantities[offer_id]
        rules.check_offer_active(offer)
        rules.check_supplier(supplier, today)
        rules.check_green(offer, today)
        rules.check_min_order(offer, quantity)
        rules.check_region(offer, unit)
        rules.check_price(offer, prices[offer_id])
        category = offer.product.category
        groups.setdefault(supplier.id, []).append({
            "offer_id": offer.id, "category_id": category.id, "category_code": category.code,
            "category_name": category.name, "title": offer.title, "unit_price": offer.price,
            "quantity": quantity, "amount": offer.price * quantity,
            **_tags(supplier, category, certificates.is_green(offer, today))})
    limit = rules.purchase_limit(unit, policy)
    for supplier_id, lines in groups.items():
        rules.check_purchase_limit(sum(ln["amount"] for ln in lines), limit,
                                   suppliers[supplier_id].name)

    checkout = _claim(session, buyer.id, key)
    if checkout is None:  # a concurrent double submit committed first
        return CheckoutResult(existing_orders(session, buyer.id, key) or [], created=False)
    orders = [_order(session, buyer, checkout=checkout, supplier=suppliers[sid],
                     budget_line=line_row, lines=groups[sid], payment_method=payment_method,
                     source=OrderSource.MALL.value, calloff_id=None, delivery=delivery,
                     policy=policy, today=today, split_limit=limit)
              for sid in sorted(groups)]
    # The contended rows last, in a fixed order (offers by id, then the budget line), so
    # their locks are held only from here to the commit and concurrent checkouts cannot
    # deadlock.
    for offer_id in sorted(quantities):
        rules.reserve_stock(session, offer_id, quantities[offer_id], offers[offer_id].title)
    for order in orders:
        budget.freeze(session, buyer, line_row.id, order.total, ref=order.number)
    for offer in offers.values():
        session.expire(offer, ["stock", "sales_count"])
    warnings = [f"{o.number}：{o.split_note}" for o in orders if o.split_flag]
    return CheckoutResult(orders, created=True, warnings=warnings)


def checkout_cart(session: Session, buyer, *, budget_line_id: int, payment_method: str,
                  idempotency_key: str, delivery: Delivery, policy: rules.Policy,
                  today: date | None = None) -> CheckoutResult:
    """Place the buyer's current cart; the ordered lines leave the cart."""
    _require_buyer(buyer)
    key = _key(idempotency_key)
    earlier = existing_orders(session, buyer.id, key)
    if earlier is not None:
        return CheckoutResult(earlier, created=False)
    current = cart.current_cart(session, buyer, create=False)
    items = [Item(ln.offer_id, ln.quantity, ln.seen_price)
             for ln in (current.lines if current else [])]
    result = place_orders(session, buyer, items, budget_line_id=budget_line_id,
                          payment_method=payment_method, idempotency_key=key,
                          delivery=delivery, policy=policy, today=today)
    if result.created and current is not None:
        cart.clear(session, current)
    return result


def _get(line, *names: str, default=None):
    """The first of `names` the call-off line carries (a mapping or an object)."""
    for name in names:
        if isinstance(line, Mapping) and name in line:
            return line[name]
        if not isinstance(line, Mapping) and hasattr(line, name):
            return getattr(line, name)
    if default is not None:
        return default
    raise field_error("lines", f"成交明细缺少 {names[0]}")


def _category(session: Session, value) -> Category:
    if isinstance(value, Category):
        return value
    column = Category.id if isinstance(value, int) else Category.code
    category = session.scalar(select(Category).where(column == value))
    if category is None:
        raise field_error("category", f"品目“{value}”不存在")
    return category


def place_calloff_order(session: Session, *, buyer, budget_line, supplier, lines, calloff_id: int,
                        idempotency_key: str, payment_method: str,
                        policy: rules.Policy | None = None, delivery: Delivery | None = None,
                        today: date | None = None) -> Order:
    """An order from a framework-agreement call-off award (确定成交), in the ordinary pipeline.

    `lines` are mappings or objects with `title`, `category` (a Category, its code or id; also
    accepted as `category_code` / `category_id`), `unit_price` (Decimal) and `quantity`,
    optionally `is_green`. No catalogue offer, no
    stock; exempt from the purchase limit and the 化整为零 flag. The budget is frozen and
    everything after (confirmation, acceptance, payment, contract) is the same as for mall
    orders. The same key returns the same order.
    """
    _require_buyer(buyer)
    payment_method = _payment_method(payment_method)
    key = _key(idempotency_key)
    today = today or local_today()
    policy = policy or rules.Policy()
    earlier = existing_orders(session, buyer.id, key)
    if earlier:
        return earlier[0]
    line_id = budget_line if isinstance(budget_line, int) else budget_line.id
    line_row = _budget_line(session, buyer, line_id)
    supplier = supplier if isinstance(supplier, Supplier) else session.get(Supplier, supplier)
    if supplier is None:
        raise NotFound("供应商不存在", code="supplier_not_found")
    if not can_trade(supplier, today):
        raise Conflict(f"供应商“{supplier.name}”当前状态为“{supplier.status_label}”，不能交易",
                       code="supplier_cannot_trade")
    if not lines:
        raise field_error("lines", "成交明细不能为空")
    snapshots = []
    for line in lines:
        category = _category(session, _get(line, "category", "category_code", "category_id"))
        quantity = int(_get(line, "quantity"))
        unit_price = to_money(_get(line, "unit_price"))
        if quantity < 1 or unit_price <= 0:
            raise field_error("lines", "成交数量和单价必须大于 0")
        green = bool(_get(line, "is_green", default=False))
        snapshots.append({
            "offer_id": None, "category_id": category.id, "category_code": category.code,
            "category_name": category.name, "title": str(_get(line, "title"))[:200],
            "unit_price": unit_price, "quantity": quantity, "amount": unit_price * quantity,
            **_tags(supplier, category, green)})
    checkout = _claim(session, buyer.id, key)
    if checkout is None:
        return existing_orders(session, buyer.id, key)[0]
    order = _order(session, buyer, checkout=checkout, supplier=supplier, budget_line=line_row,
                   lines=snapshots, payment_method=payment_method,
                   source=OrderSource.CALLOFF.value, calloff_id=calloff_id,
                   delivery=delivery or Delivery(), policy=policy, today=today,
                   split_limit=None)
    budget.freeze(session, buyer, line_row.id, order.total, ref=order.number)
    return order
