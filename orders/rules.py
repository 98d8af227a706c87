"""Checkout rules (下单规则) as plain functions: each checks one thing and raises a domain
error with a stable code and a Chinese message. The cart shows the same findings as
warnings (`line_problems`); checkout refuses on the first one.

| code | rule |
|---|---|
| offer_inactive | the offer is on sale (在售) |
| supplier_cannot_trade | the supplier is active, not suspended or banned |
| green_required | mandatory-green categories (节能产品强制采购) need a valid certificate |
| below_min_order | the quantity reaches the offer's minimum order |
| region_not_served | the offer delivers to the buyer unit's region |
| price_changed | the price is the one the buyer saw (acknowledged in the cart) |
| stock_insufficient | enough stock (the reservation itself is one conditional UPDATE) |
| purchase_limit_exceeded | one order stays within the unit's 分散采购限额 |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from catalog import certificates
from catalog.models import Offer, OfferStatus
from catalog.offers import delivers_to
from mall.errors import Conflict, DomainError, RuleViolation
from mall.money import to_money
from orders.models import BudgetUnit, Order, OrderLine, OrderSource, OrderStatus
from suppliers.models import Supplier
from suppliers.status import can_trade


@dataclass(frozen=True)
class Policy:
    """The configured values checkout needs (read from `mall.config.Config`)."""

    purchase_limit_default: Decimal = Decimal("1000000.00")
    confirm_working_days: int = 2
    split_window_days: int = 30
    payment_term_days: int = 30

    @classmethod
    def from_config(cls, cfg) -> Policy:
        return cls(purchase_limit_default=cfg.purchase_limit_default,
                   confirm_working_days=cfg.order_confirm_working_days,
                   split_window_days=cfg.split_window_days,
                   payment_term_days=cfg.payment_term_days)


def purchase_limit(unit: BudgetUnit, policy: Policy) -> Decimal:
    """The unit's 分散采购限额 per order: its own override or the configured default."""
    return unit.purchase_limit if unit.purchase_limit is not None \
        else policy.purchase_limit_default


def check_offer_active(offer: Offer) -> None:
    if offer.status != OfferStatus.ACTIVE.value:
        raise RuleViolation(f"商品“{offer.title}”已不在售，不能下单", code="offer_inactive")


def check_supplier(supplier: Supplier, today: date) -> None:
    if not can_trade(supplier, today):
        raise RuleViolation(f"供应商“{supplier.name}”当前状态为“{supplier.status_label}”，"
                            "不能交易", code="supplier_cannot_trade")


def check_green(offer: Offer, today: date) -> None:
    ok, why = certificates.buyable(offer, today)
    if not ok:
        raise RuleViolation(why, code="green_required")


def check_min_order(offer: Offer, quantity: int) -> None:
    if quantity < offer.min_order_qty:
        raise RuleViolation(f"商品“{offer.title}”起订量为 {offer.min_order_qty}，"
                            f"当前数量 {quantity} 不足", code="below_min_order")


def check_region(offer: Offer, unit: BudgetUnit) -> None:
    if not delivers_to(offer, unit.region_code):
        raise RuleViolation(f"商品“{offer.title}”不配送到本单位所在地区（{unit.region_code}）",
                            code="region_not_served")


def check_price(offer: Offer, seen_price: Decimal) -> None:
    if seen_price != offer.price:
        raise Conflict(f"商品“{offer.title}”价格已由 ¥{seen_price:,.2f} 变为 ¥{offer.price:,.2f}，"
                       "请在购物车确认新价格后再下单", code="price_changed")


def check_stock(offer: Offer, quantity: int) -> None:
    """Advisory (cart page); the authoritative check is `reserve_stock`."""
    if offer.stock < quantity:
        raise Conflict(f"商品“{offer.title}”库存不足（剩余 {offer.stock} 件，需要 {quantity} 件）",
                       code="stock_insufficient")


def check_purchase_limit(total: Decimal, limit: Decimal, supplier_name: str) -> None:
    if total > limit:
        raise RuleViolation(
            f"向“{supplier_name}”的订单金额 ¥{total:,.2f} 超过本单位分散采购限额 ¥{limit:,.2f}。"
            "限额以上的采购请通过框架协议采购（确定成交）或其他法定采购方式进行，不得化整为零",
            code="purchase_limit_exceeded")


def line_problems(offer: Offer, supplier: Supplier, quantity: int, seen_price: Decimal,
                  unit: BudgetUnit, today: date) -> list[DomainError]:
    """Every rule one cart line breaks (the cart shows them all; checkout stops at the first)."""
    problems: list[DomainError] = []
    checks = (lambda: check_offer_active(offer), lambda: check_supplier(supplier, today),
              lambda: check_green(offer, today), lambda: check_min_order(offer, quantity),
              lambda: check_region(offer, unit), lambda: check_price(offer, seen_price),
              lambda: check_stock(offer, quantity))
    for check in checks:
        try:
            check()
        except DomainError as err:
            problems.append(err)
    return problems


def reserve_stock(session: Session, offer_id: int, quantity: int, title: str) -> None:
    """Take `quantity` from the offer's stock in one conditional UPDATE, so concurrent
    checkouts can never sell more than there is: the row that does not match changes nothing."""
    result = session.execute(
        update(Offer)
        .where(Offer.id == offer_id, Offer.status == OfferStatus.ACTIVE.value,
               Offer.stock >= quantity)
        .values(stock=Offer.stock - quantity, sales_count=Offer.sales_count + quantity)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        left = session.scalar(select(Offer.stock).where(Offer.id == offer_id))
        raise Conflict(f"商品“{title}”库存不足（剩余 {left or 0} 件，需要 {quantity} 件）",
                       code="stock_insufficient")


def split_note(session: Session, *, unit_id: int, supplier_id: int,
               amounts_by_category: dict[int, tuple[str, Decimal]], limit: Decimal,
               window_days: int, now: datetime) -> str | None:
    """化整为零: flag (never refuse) when this unit's live mall orders with this supplier in
    the same category over the last `window_days` days, plus this order, pass the limit."""
    since = now - timedelta(days=window_days)
    notes = []
    for category_id, (name, amount) in sorted(amounts_by_category.items()):
        earlier = session.scalar(
            select(func.coalesce(func.sum(OrderLine.amount), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.unit_id == unit_id, Order.supplier_id == supplier_id,
                   Order.source == OrderSource.MALL.value,
                   Order.status.not_in([OrderStatus.CANCELLED.value, OrderStatus.REFUSED.value]),
                   Order.created_at >= since, OrderLine.category_id == category_id))
        total = to_money(str(earlier)) + amount
        if total > limit:
            notes.append(f"近 {window_days} 天本单位向该供应商采购“{name}”累计 ¥{total:,.2f}，"
                         f"超过分散采购限额 ¥{limit:,.2f}，可能存在化整为零")
    return "；".join(notes) or None
