"""Offers (商品报价) and their state machine, edits with version history, stock and prices.

States (see TRANSITIONS): draft → pending → active / rejected; active → delisted (by the
supplier, or taken down by an operator) or expired; rejected/delisted/expired → pending on
resubmission. An edit of an active offer that raises the price or changes a key field
becomes a *pending version*: the old version stays on sale until an operator approves it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import pricewatch
from catalog.models import (
    OFFER_STATUS_LABELS,
    Category,
    Certificate,
    Offer,
    OfferStatus,
    OfferVersion,
    Product,
)
from mall import audit
from mall.clock import local_today, utcnow
from mall.db import get_by_id
from mall.errors import Conflict, Forbidden, NotFound, field_error
from mall.roles import Role
from suppliers.models import Supplier
from suppliers.status import can_trade

S = OfferStatus

# action: (from states, to state, who may do it)
TRANSITIONS: dict[str, tuple[frozenset[OfferStatus], OfferStatus, frozenset[str]]] = {
    "submit": (frozenset({S.DRAFT, S.REJECTED, S.DELISTED, S.EXPIRED}), S.PENDING,
               frozenset({Role.SUPPLIER})),
    "approve": (frozenset({S.PENDING}), S.ACTIVE, frozenset({Role.OPERATOR, Role.ADMIN})),
    "reject": (frozenset({S.PENDING}), S.REJECTED, frozenset({Role.OPERATOR, Role.ADMIN})),
    "delist": (frozenset({S.ACTIVE}), S.DELISTED, frozenset({Role.SUPPLIER})),
    "takedown": (frozenset({S.ACTIVE}), S.DELISTED, frozenset({Role.OPERATOR, Role.ADMIN})),
    "expire": (frozenset({S.ACTIVE}), S.EXPIRED, frozenset({"system"})),
}

ACTION_LABELS = {"submit": "提交审核", "approve": "审核通过", "reject": "驳回",
                 "delist": "下架", "takedown": "强制下架", "expire": "过期"}

REJECT_REASONS = {
    "invalid_title": "商品标题不规范",
    "wrong_category": "品目选择错误",
    "missing_specs": "规格参数缺失",
    "already_listed": "重复上架",
    "price_too_high": "价格过高",
    "invalid_certificate": "认证证书无效或已过期",
    "sensitive_content": "含有违规用语",
    "other": "其他",
}

TAKEDOWN_REASONS = {
    "price_too_high": "价格明显高于市场价",
    "quality_complaint": "质量投诉属实",
    "counterfeit": "假冒伪劣",
    "invalid_certificate": "认证证书失效",
    "false_information": "商品信息虚假",
    "other": "其他",
}

REASONS_FOR = {"reject": REJECT_REASONS, "takedown": TAKEDOWN_REASONS}

# Fields an edit may carry. Changing a KEY field or raising the price of an active offer
# needs review; the others apply at once.
OFFER_FIELDS = ("title", "price", "market_price", "market_price_source", "min_order_qty",
                "delivery_regions", "lead_time_days", "warranty_months", "claims_green")
PRODUCT_FIELDS = ("category_code", "brand", "model", "specs", "description")
KEY_FIELDS = {"title", "claims_green", *PRODUCT_FIELDS}

NATIONWIDE = "*"


def match_key(brand: str, model: str) -> str:
    """Brand + model normalised for matching the same product across suppliers."""
    def norm(s: str) -> str:
        return re.sub(r"[\s\-_/·.]+", "", s).lower()
    return f"{norm(brand)}|{norm(model)}"


def parse_regions(value) -> list[str]:
    """'全国' or a list / comma-separated string of region code prefixes (2, 4 or 6 digits)."""
    items = value if isinstance(value, list) else re.split(r"[,，;；\s]+", str(value or ""))
    items = [str(i).strip() for i in items if str(i).strip()]
    if not items:
        raise field_error("delivery_regions", "请填写配送区域（如 全国 或 33,5227）")
    if any(i in ("全国", NATIONWIDE) for i in items):
        return [NATIONWIDE]
    for i in items:
        if not re.fullmatch(r"\d{2}|\d{4}|\d{6}", i):
            raise field_error("delivery_regions", f"配送区域“{i}”应为 2、4 或 6 位行政区划代码")
    return sorted(set(items))


def delivers_to(offer: Offer, region_code: str) -> bool:
    return any(r == NATIONWIDE or region_code.startswith(r) for r in offer.delivery_regions)


def snapshot(offer: Offer) -> dict:
    p = offer.product
    return {
        "title": offer.title, "price": str(offer.price),
        "market_price": str(offer.market_price) if offer.market_price is not None else None,
        "market_price_source": offer.market_price_source,
        "min_order_qty": offer.min_order_qty, "delivery_regions": list(offer.delivery_regions),
        "lead_time_days": offer.lead_time_days, "warranty_months": offer.warranty_months,
        "claims_green": offer.claims_green, "category_code": p.category.code,
        "brand": p.brand, "model": p.model, "specs": dict(p.specs or {}),
        "description": p.description,
    }


def get_offer(session: Session, offer_id: int, *, lock: bool = False) -> Offer:
    return get_by_id(session, Offer, offer_id, lock=lock, missing="商品报价不存在",
                     code="offer_not_found")


def check_owner(actor, offer: Offer) -> None:
    """Suppliers act only on their own offers; operators and admins on all."""
    if actor is None or actor.role in (Role.OPERATOR, Role.ADMIN):
        return
    if actor.role != Role.SUPPLIER or actor.supplier_id != offer.supplier_id:
        raise Forbidden("无权操作其他供应商的商品", code="offer_forbidden")


def _category(session: Session, code: str) -> Category:
    cat = session.scalar(select(Category).where(Category.code == code))
    if cat is None:
        raise field_error("category_code", f"品目编码“{code}”不存在")
    return cat


def find_or_create_product(session: Session, *, category: Category, brand: str, model: str,
                           name: str, specs: dict, description: str) -> Product:
    key = match_key(brand, model)
    product = session.scalar(select(Product).where(Product.category_id == category.id,
                                                   Product.match_key == key))
    if product is None:
        product = Product(category=category, brand=brand.strip(), model=model.strip(),
                          match_key=key, name=name, specs=specs or {},
                          description=description or "", images=[])
        session.add(product)
        session.flush()
    return product


def _record_version(session: Session, actor, offer: Offer, state: str, data: dict
                    ) -> OfferVersion:
    number = (session.scalar(select(OfferVersion.number).where(OfferVersion.offer_id == offer.id)
                             .order_by(OfferVersion.number.desc()).limit(1)) or 0) + 1
    version = OfferVersion(offer_id=offer.id, number=number, state=state, data=data,
                           changed_by=getattr(actor, "id", None))
    session.add(version)
    session.flush()
    return version


def create_offer(session: Session, actor, *, supplier_id: int, data: dict,
                 certificates: list[dict] | None = None, submit: bool = False) -> Offer:
    """A new listing in draft (or straight to review with submit=True)."""
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound("供应商不存在", code="supplier_not_found")
    if not can_trade(supplier, local_today()):
        raise Conflict(f"供应商状态为“{supplier.status_label}”，不能发布商品",
                       code="supplier_not_active")
    category = _category(session, data["category_code"])
    product = find_or_create_product(
        session, category=category, brand=data["brand"], model=data["model"],
        name=data["title"], specs=data.get("specs") or {},
        description=data.get("description") or "")
    offer = Offer(product=product, supplier_id=supplier_id, title=data["title"],
                  price=data["price"], market_price=data.get("market_price"),
                  market_price_source=data.get("market_price_source"),
                  stock=data.get("stock", 0), min_order_qty=data.get("min_order_qty", 1),
                  delivery_regions=parse_regions(data.get("delivery_regions", NATIONWIDE)),
                  lead_time_days=data.get("lead_time_days", 3),
                  warranty_months=data.get("warranty_months", 0),
                  claims_green=bool(data.get("claims_green", False)),
                  status=S.DRAFT.value)
    session.add(offer)
    session.flush()
    for cert in certificates or []:
        offer.certificates.append(Certificate(**cert))
    _record_version(session, actor, offer, "applied", snapshot(offer))
    audit.record(session, actor, "offer.create", "offer", offer.id, after=snapshot(offer))
    if submit:
        transition(session, actor, offer.id, "submit")
    return offer


def _changed(offer: Offer, changes: dict) -> dict:
    current = snapshot(offer)
    out = {}
    for key, value in changes.items():
        if key == "delivery_regions":
            value = parse_regions(value)
        old = current.get(key)
        comparable = str(value) if isinstance(value, Decimal) else value
        if comparable != old:
            out[key] = value
    return out


def needs_review(offer: Offer, changed: dict) -> bool:
    if offer.status != S.ACTIVE:
        return False
    if "price" in changed and Decimal(str(changed["price"])) > offer.price:
        return True
    return bool(KEY_FIELDS & set(changed))


def _apply(session: Session, offer: Offer, changes: dict) -> None:
    old_product_id = offer.product_id
    _apply_fields(session, offer, changes)
    if offer.status == S.ACTIVE and ("price" in changes or offer.product_id != old_product_id):
        session.flush()
        pricewatch.recompute(session, offer.product_id)
        if offer.product_id != old_product_id:
            pricewatch.recompute(session, old_product_id)


def _apply_fields(session: Session, offer: Offer, changes: dict) -> None:
    product_changes = {k: v for k, v in changes.items() if k in PRODUCT_FIELDS}
    if {"category_code", "brand", "model"} & set(product_changes):
        cur = snapshot(offer)
        category = _category(session, product_changes.get("category_code", cur["category_code"]))
        offer.product = find_or_create_product(
            session, category=category, brand=product_changes.get("brand", cur["brand"]),
            model=product_changes.get("model", cur["model"]),
            name=changes.get("title", offer.title),
            specs=product_changes.get("specs", cur["specs"]),
            description=product_changes.get("description", cur["description"]))
    elif {"specs", "description"} & set(product_changes):
        others = session.scalar(select(Offer.id).where(Offer.product_id == offer.product_id,
                                                       Offer.id != offer.id).limit(1))
        if others is not None:
            raise Conflict("该商品已有其他供应商报价，规格参数和描述请联系平台运营修改",
                           code="product_shared")
        if "specs" in product_changes:
            offer.product.specs = product_changes["specs"]
        if "description" in product_changes:
            offer.product.description = product_changes["description"]
    for key in OFFER_FIELDS:
        if key in changes:
            value = changes[key]
            if key == "delivery_regions":
                value = parse_regions(value)
            if key in ("price", "market_price") and value is not None:
                value = Decimal(str(value))
            setattr(offer, key, value)
    offer.updated_at = utcnow()


def edit_offer(session: Session, actor, offer_id: int, changes: dict) -> OfferVersion | None:
    """Edit a listing. Returns the new version, or None when nothing changed.

    Active offers: a price increase or a key-field change becomes a pending version (the
    offer stays on sale unchanged); other changes apply at once.
    """
    offer = get_offer(session, offer_id, lock=True)
    check_owner(actor, offer)
    changed = _changed(offer, changes)
    if not changed:
        return None
    before = snapshot(offer)
    if needs_review(offer, changed):
        old = pending_version(session, offer.id)
        if old is not None:
            old.state = "superseded"
        proposed = {**before, **{k: (str(v) if isinstance(v, Decimal) else v)
                                 for k, v in changed.items()}}
        if "delivery_regions" in changed:
            proposed["delivery_regions"] = parse_regions(changed["delivery_regions"])
        version = _record_version(session, actor, offer, "pending", proposed)
        audit.record(session, actor, "offer.change_proposed", "offer", offer.id, before=before,
                     after=proposed)
        return version
    _apply(session, offer, changed)
    snap = snapshot(offer)
    waiting = pending_version(session, offer.id)
    if waiting is not None:  # keep the waiting proposal in step with what applied now
        waiting.data = {**waiting.data, **{k: snap[k] for k in changed}}
    version = _record_version(session, actor, offer, "applied", snap)
    offer.version = version.number
    audit.record(session, actor, "offer.edit", "offer", offer.id, before=before,
                 after=snapshot(offer))
    return version


def apply_pending_version(session: Session, actor, offer: Offer) -> None:
    """Operator approval of a pending version: its data goes on sale."""
    version = pending_version(session, offer.id)
    before = snapshot(offer)
    changes = {k: v for k, v in version.data.items() if before.get(k) != v}
    if "price" in changes:
        changes["price"] = Decimal(changes["price"])
    if changes.get("market_price") is not None:
        changes["market_price"] = Decimal(changes["market_price"])
    # A reviewed version may change shared product fields: the operator approved it.
    others_guard = {"specs", "description"} & set(changes)
    if others_guard and not ({"category_code", "brand", "model"} & set(changes)):
        for key in others_guard:
            setattr(offer.product, key, changes.pop(key))
    _apply(session, offer, changes)
    version.state = "applied"
    offer.version = version.number
    audit.record(session, actor, "offer.change_approved", "offer", offer.id, before=before,
                 after=snapshot(offer))


def reject_pending_version(session: Session, actor, offer: Offer, reason_code: str,
                           note: str | None) -> None:
    version = pending_version(session, offer.id)
    version.state = "rejected"
    audit.record(session, actor, "offer.change_rejected", "offer", offer.id,
                 after={"version": version.number, "reason_code": reason_code, "note": note})


def transition(session: Session, actor, offer_id: int, action: str, *,
               reason_code: str | None = None, note: str | None = None) -> Offer:
    """The one way an offer changes state: checks the table, locks the row, audits."""
    if action not in TRANSITIONS:
        raise field_error("action", f"未知操作：{action}")
    sources, target, roles = TRANSITIONS[action]
    offer = get_offer(session, offer_id, lock=True)
    role = getattr(actor, "role", "system") if actor is not None else "system"
    if role not in roles:
        raise Forbidden(f"当前角色不能{ACTION_LABELS[action]}", code="offer_action_forbidden")
    check_owner(actor, offer)
    current = OfferStatus(offer.status)
    if current not in sources:
        raise Conflict(f"商品当前状态为“{OFFER_STATUS_LABELS[current]}”，不能"
                       f"{ACTION_LABELS[action]}", code="offer_transition_refused")
    reasons = REASONS_FOR.get(action)
    if reasons is not None and reason_code not in reasons:
        raise field_error("reason_code", "请选择有效的原因代码", code="reason_required")
    if action == "submit":
        supplier = session.get(Supplier, offer.supplier_id)
        if not can_trade(supplier, local_today()):
            raise Conflict(f"供应商状态为“{supplier.status_label}”，不能提交商品",
                           code="supplier_not_active")
    before = {"status": offer.status}
    offer.status = target.value
    offer.status_reason_code = reason_code
    offer.status_note = note
    offer.updated_at = utcnow()
    if action in ("delist", "takedown", "expire"):
        waiting = pending_version(session, offer.id)
        if waiting is not None:
            waiting.state = "superseded"
    audit.record(session, actor, f"offer.{action}", "offer", offer.id, before=before,
                 after={"status": offer.status, "reason_code": reason_code, "note": note})
    if S.ACTIVE in (current, target):
        pricewatch.recompute(session, offer.product_id)
    return offer


def restock(session: Session, actor, offer_id: int, stock: int) -> Offer:
    if stock < 0:
        raise field_error("stock", "库存不能为负数")
    offer = get_offer(session, offer_id, lock=True)
    check_owner(actor, offer)
    before = offer.stock
    offer.stock = stock
    offer.updated_at = utcnow()
    audit.record(session, actor, "offer.restock", "offer", offer.id, before={"stock": before},
                 after={"stock": stock})
    return offer


def bulk_price_change(session: Session, actor, offer_ids: list[int], *, mode: str,
                      value: Decimal) -> dict:
    """Set prices or change them by a percentage (e.g. -5 = 5% cheaper) for many offers.

    Decreases apply at once; increases of active offers go to review. All offers must belong
    to the actor; one refusal changes nothing (the caller's transaction rolls back).
    """
    if mode not in ("set", "percent"):
        raise field_error("mode", "调价方式应为 set（设为）或 percent（按百分比）")
    result = {"applied": [], "pending_review": []}
    for offer_id in offer_ids:
        offer = get_offer(session, offer_id)
        check_owner(actor, offer)
        new = value if mode == "set" else offer.price * (Decimal(100) + value) / Decimal(100)
        new = new.quantize(Decimal("0.01"))
        if new <= 0:
            raise field_error("value", f"商品 {offer_id} 调价后价格必须大于 0")
        version = edit_offer(session, actor, offer_id, {"price": new})
        if version is not None:
            key = "pending_review" if version.state == "pending" else "applied"
            result[key].append(offer_id)
    return result


def pending_version(session: Session, offer_id: int) -> OfferVersion | None:
    """The edit of an active offer that awaits review, if any (at most one)."""
    return session.scalar(select(OfferVersion).where(OfferVersion.offer_id == offer_id,
                                                     OfferVersion.state == "pending"))


def versions(session: Session, offer_id: int) -> list[OfferVersion]:
    return list(session.scalars(select(OfferVersion).where(OfferVersion.offer_id == offer_id)
                                .order_by(OfferVersion.number)))


def expire_stale(session: Session, now, *, days: int = 180) -> list[int]:
    """Expire active offers whose price and terms were not confirmed for `days` days
    (电子卖场 listings must be refreshed); the supplier resubmits to list again."""
    cutoff = now - timedelta(days=days)
    ids = list(session.scalars(select(Offer.id).where(
        Offer.status == S.ACTIVE.value, Offer.updated_at < cutoff)))
    for offer_id in ids:
        transition(session, None, offer_id, "expire", note=f"超过 {days} 天未更新报价")
    return ids
