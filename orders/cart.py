"""The buyer's cart (购物车) and saved carts (常用采购清单).

Each line keeps the price the buyer saw. When the cart is shown, price and availability are
checked again: a changed price is pointed out and never applied silently — checkout refuses
the old price until the buyer acknowledges the new one (`acknowledge_prices`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog.models import Offer, OfferStatus, Product
from mall import audit
from mall.clock import local_today, utcnow
from mall.db import insert_once
from mall.errors import Conflict, DomainError, Forbidden, NotFound, field_error
from mall.roles import Role
from orders import rules
from orders.models import BudgetUnit, Cart, CartLine
from suppliers.models import Supplier

CURRENT = ""  # the name of the buyer's current cart; saved carts have a name
MAX_QUANTITY = 100000
MAX_LINES = 100


def require_buyer(actor) -> None:
    if actor is None or actor.role != Role.BUYER:
        raise Forbidden("只有采购人可以使用购物车", code="role_forbidden")


def current_cart(session: Session, actor, *, create: bool = True) -> Cart | None:
    require_buyer(actor)
    query = select(Cart).where(Cart.user_id == actor.id, Cart.name == CURRENT)
    cart = session.scalar(query)
    if cart is None and create and not insert_once(session, cart := Cart(user_id=actor.id,
                                                                      name=CURRENT)):
        cart = session.scalar(query)  # a concurrent request (double click) created it
    return cart


def _quantity(quantity: int) -> int:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise field_error("quantity", f"数量应在 1 到 {MAX_QUANTITY} 之间")
    return quantity


def _buyable_offer(session: Session, offer_id: int) -> Offer:
    offer = session.get(Offer, offer_id)
    if offer is None or offer.status != OfferStatus.ACTIVE.value:
        raise NotFound("商品报价不存在或已不在售", code="offer_not_found")
    return offer


def add(session: Session, actor, offer_id: int, quantity: int) -> CartLine:
    """Add an offer (or more of it) at today's price."""
    _quantity(quantity)
    cart = current_cart(session, actor)
    offer = _buyable_offer(session, offer_id)
    # Locked and re-read: two tabs adding the same offer must both count.
    query = (select(CartLine).where(CartLine.cart_id == cart.id, CartLine.offer_id == offer_id)
             .with_for_update().execution_options(populate_existing=True))
    line = session.scalar(query)
    if line is None:
        if len(cart.lines) >= MAX_LINES:
            raise Conflict(f"购物车最多 {MAX_LINES} 种商品", code="cart_full")
        line = CartLine(cart_id=cart.id, offer_id=offer_id, quantity=quantity,
                        seen_price=offer.price)
        inserted = insert_once(session, line)
        session.expire(cart, ["lines"])
        if inserted:
            cart.updated_at = utcnow()
            return line
        line = session.scalar(query)
    line.quantity = _quantity(line.quantity + quantity)
    line.seen_price = offer.price
    cart.updated_at = utcnow()
    session.flush()
    return line


def _own_line(session: Session, actor, offer_id: int) -> CartLine:
    cart = current_cart(session, actor, create=False)
    line = None if cart is None else session.scalar(
        select(CartLine).where(CartLine.cart_id == cart.id, CartLine.offer_id == offer_id))
    if line is None:
        raise NotFound("购物车中没有该商品", code="cart_line_not_found")
    return line


def set_quantity(session: Session, actor, offer_id: int, quantity: int) -> CartLine:
    line = _own_line(session, actor, offer_id)
    line.quantity = _quantity(quantity)
    return line


def remove(session: Session, actor, offer_id: int) -> None:
    line = _own_line(session, actor, offer_id)
    line.cart.lines.remove(line)
    session.delete(line)
    session.flush()


def acknowledge_prices(session: Session, actor) -> int:
    """The buyer accepts today's prices for every line; returns how many changed."""
    cart = current_cart(session, actor, create=False)
    changed = 0
    for line in cart.lines if cart else []:
        offer = session.get(Offer, line.offer_id)
        if offer is not None and line.seen_price != offer.price:
            line.seen_price = offer.price
            changed += 1
    return changed


def clear(session: Session, cart: Cart) -> None:
    for line in list(cart.lines):
        session.delete(line)
    cart.lines.clear()
    session.flush()


# --- the cart as shown: prices and availability re-checked -----------------------------------

@dataclass
class LineView:
    line: CartLine
    offer: Offer
    supplier: Supplier
    amount: Decimal
    price_changed: bool
    problems: list[DomainError]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class SupplierGroup:
    supplier: Supplier
    lines: list[LineView] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((lv.amount for lv in self.lines), Decimal("0.00"))


@dataclass
class CartView:
    cart: Cart | None
    groups: list[SupplierGroup]
    warnings: list[str]  # refusals checkout will give (purchase limit)
    notices: list[str]  # flags that do not refuse (化整为零)

    @property
    def lines(self) -> list[LineView]:
        return [lv for g in self.groups for lv in g.lines]

    @property
    def total(self) -> Decimal:
        return sum((g.total for g in self.groups), Decimal("0.00"))

    @property
    def price_changes(self) -> list[LineView]:
        return [lv for lv in self.lines if lv.price_changed]

    @property
    def ready(self) -> bool:
        return bool(self.groups) and all(lv.ok for lv in self.lines)


def show(session: Session, actor, policy: rules.Policy, today: date | None = None) -> CartView:
    """The current cart split per supplier, each line re-checked against today's offer."""
    today = today or local_today()
    cart = current_cart(session, actor, create=False)
    unit = session.get(BudgetUnit, actor.budget_unit_id)
    groups: dict[int, SupplierGroup] = {}
    lines = list(cart.lines) if cart else []
    offers = {o.id: o for o in session.scalars(
        select(Offer).where(Offer.id.in_([ln.offer_id for ln in lines]))
        .options(selectinload(Offer.product).selectinload(Product.category),
                 selectinload(Offer.certificates)))}
    for line in lines:
        offer = offers[line.offer_id]
        supplier = session.get(Supplier, offer.supplier_id)
        problems = rules.line_problems(offer, supplier, line.quantity, line.seen_price, unit,
                                       today)
        group = groups.setdefault(supplier.id, SupplierGroup(supplier))
        group.lines.append(LineView(line, offer, supplier, offer.price * line.quantity,
                                    line.seen_price != offer.price, problems))
    warnings, notices = [], []
    limit = rules.purchase_limit(unit, policy)
    for group in groups.values():
        try:
            rules.check_purchase_limit(group.total, limit, group.supplier.name)
        except DomainError as err:
            warnings.append(err.message)
            continue
        by_category: dict[int, tuple[str, Decimal]] = {}
        for lv in group.lines:
            category = lv.offer.product.category
            name, amount = by_category.get(category.id, (category.name, Decimal("0.00")))
            by_category[category.id] = (name, amount + lv.amount)
        note = rules.split_note(session, unit_id=unit.id, supplier_id=group.supplier.id,
                                amounts_by_category=by_category, limit=limit,
                                window_days=policy.split_window_days, now=utcnow())
        if note:
            notices.append(f"提示（不影响下单，订单将被标记供监管查看）：向“{group.supplier.name}”{note}")
    return CartView(cart, sorted(groups.values(), key=lambda g: g.supplier.id), warnings,
                    notices)


# --- saved carts -------------------------------------------------------------------------------

def saved_carts(session: Session, actor) -> list[Cart]:
    require_buyer(actor)
    return list(session.scalars(select(Cart).where(Cart.user_id == actor.id, Cart.name != CURRENT)
                                .order_by(Cart.name)))


def _saved(session: Session, actor, cart_id: int) -> Cart:
    require_buyer(actor)
    cart = session.get(Cart, cart_id)
    if cart is None or cart.user_id != actor.id or cart.name == CURRENT:
        raise NotFound("常用清单不存在", code="saved_cart_not_found")
    return cart


def save_as(session: Session, actor, name: str) -> Cart:
    """Keep a copy of the current cart under a name (e.g. 每月办公耗材)."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 60:
        raise field_error("name", "清单名称长度应在 1 到 60 个字符之间")
    cart = current_cart(session, actor, create=False)
    if cart is None or not cart.lines:
        raise Conflict("购物车是空的，无法保存", code="cart_empty")
    if session.scalar(select(Cart.id).where(Cart.user_id == actor.id, Cart.name == name)):
        raise Conflict(f"已有名为“{name}”的常用清单", code="saved_cart_name_taken",
                       errors={"name": ["名称重复"]})
    saved = Cart(user_id=actor.id, name=name)
    session.add(saved)
    session.flush()
    for line in cart.lines:
        saved.lines.append(CartLine(cart_id=saved.id, offer_id=line.offer_id,
                                    quantity=line.quantity, seen_price=line.seen_price))
    session.flush()
    audit.record(session, actor, "cart.save", "cart", saved.id,
                 after={"name": name, "lines": len(saved.lines)})
    return saved


def restore(session: Session, actor, cart_id: int) -> int:
    """Put a saved cart's lines into the current cart (quantities add up). The saved prices
    come along, so any change since is pointed out. Returns the number of lines restored;
    offers no longer on sale are skipped."""
    saved = _saved(session, actor, cart_id)
    cart = current_cart(session, actor)
    existing = {ln.offer_id: ln for ln in cart.lines}
    restored = 0
    for line in saved.lines:
        offer = session.get(Offer, line.offer_id)
        if offer is None or offer.status != OfferStatus.ACTIVE.value:
            continue
        if line.offer_id in existing:
            existing[line.offer_id].quantity = min(existing[line.offer_id].quantity
                                                   + line.quantity, MAX_QUANTITY)
        else:
            cart.lines.append(CartLine(cart_id=cart.id, offer_id=line.offer_id,
                                       quantity=line.quantity, seen_price=line.seen_price))
        restored += 1
    session.flush()
    return restored


def delete_saved(session: Session, actor, cart_id: int) -> None:
    saved = _saved(session, actor, cart_id)
    audit.record(session, actor, "cart.delete_saved", "cart", saved.id, before={"name": saved.name})
    session.delete(saved)
    session.flush()
