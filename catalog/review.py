"""The operator's listing review (商品审核): automatic findings, decisions, take-downs.

Findings are computed when the queue is shown, from the data under review (a new offer's
fields, or the pending version of an active offer's edit). They advise the operator; the
decision — approve, or reject with a coded reason — is the operator's and is audited.
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from catalog import certificates, offers, pricewatch
from catalog.models import Category, Offer, OfferStatus, OfferVersion, Product
from mall.errors import Forbidden, field_error

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_MEDIAN_RATIO = Decimal("0.20")
GREEN_WORDS = ("节能", "环保", "环境标志", "绿色产品", "十环")
# Titles this similar (after dropping spaces and punctuation) count as the same listing;
# lower ratios catch different configurations of one model (i5 vs i7), which are not.
NEAR_IDENTICAL = 0.97


@dataclass(frozen=True)
class Finding:
    code: str
    message: str


@cache
def sensitive_words(path: str = str(DATA_DIR / "sensitive_words.txt")) -> tuple[str, ...]:
    """The configurable list of words not allowed in titles and descriptions."""
    text = Path(path).read_text(encoding="utf-8")
    return tuple(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


@cache
def category_keywords() -> dict[str, tuple[str, ...]]:
    with (DATA_DIR / "category_keywords.csv").open(encoding="utf-8") as fh:
        return {r["code"]: tuple(r["keywords"].split("|")) for r in csv.DictReader(fh)}


@cache
def required_specs() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    with (DATA_DIR / "spec_templates.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            out.setdefault(r["code"], []).append(r["attribute"])
    return {k: tuple(v) for k, v in out.items()}


def under_review(session: Session, offer: Offer) -> dict:
    """The data the operator decides on: the pending version of an edit, else the offer."""
    version = offers.pending_version(session, offer.id)
    return dict(version.data) if version is not None else offers.snapshot(offer)


def findings(session: Session, offer: Offer, today: date, *,
             median_ratio: Decimal = DEFAULT_MEDIAN_RATIO,
             words: tuple[str, ...] | None = None) -> list[Finding]:
    data = under_review(session, offer)
    out: list[Finding] = []
    text = f"{data['title']} {data.get('description') or ''}"
    hits = [w for w in (words if words is not None else sensitive_words()) if w in text]
    if hits:
        out.append(Finding("sensitive_word", f"标题或描述含违规用语：{'、'.join(hits)}"))

    price = Decimal(str(data["price"]))
    if data.get("market_price") is not None and price > Decimal(str(data["market_price"])):
        out.append(Finding("above_market_price",
                           f"报价 ¥{price:,.2f} 高于市场参考价 ¥{Decimal(data['market_price']):,.2f}"
                           f"（来源：{data.get('market_price_source') or '未注明'}）"))
    median = pricewatch.median_of_others(session, offer)
    if median is not None and price > median * (1 + median_ratio):
        pct = (price / median - 1) * 100
        out.append(Finding("above_median",
                           f"报价高于同款其他在售报价中位数 ¥{median:,.2f} 达 {pct:.0f}%"
                           f"（阈值 {median_ratio * 100:.0f}%）"))

    bad_certs = certificates.invalid_claims(offer, today)
    if bad_certs:
        out.append(Finding("invalid_certificate", "；".join(bad_certs)))
    claims = data.get("claims_green") or any(w in data["title"] for w in GREEN_WORDS)
    if claims and not certificates.is_green(offer, today):
        out.append(Finding("green_claim_uncertified", "声称节能/环保，但没有有效的认证证书"))

    out.extend(_duplicates(session, offer, data))
    out.extend(_category_fit(session, data))
    missing = [a for a in required_specs().get(data["category_code"], ())
               if not str((data.get("specs") or {}).get(a, "")).strip()]
    if missing:
        out.append(Finding("missing_specs", f"缺少规格参数：{'、'.join(missing)}"))
    return out


def _duplicates(session: Session, offer: Offer, data: dict) -> list[Finding]:
    live = (OfferStatus.PENDING.value, OfferStatus.ACTIVE.value, OfferStatus.DRAFT.value)
    same_product = session.scalar(select(Offer.id).where(
        Offer.supplier_id == offer.supplier_id, Offer.product_id == offer.product_id,
        Offer.id != offer.id, Offer.status.in_(live)).limit(1))
    if same_product is not None:
        return [Finding("duplicate_listing", f"本供应商已上架同一商品（报价 #{same_product}）")]
    titles = session.execute(select(Offer.id, Offer.title).join(Product).where(
        Offer.supplier_id == offer.supplier_id, Offer.id != offer.id,
        Offer.status.in_(live), Product.category_id == offer.product.category_id))
    mine = _norm_title(data["title"])
    for other_id, title in titles:
        if difflib.SequenceMatcher(None, _norm_title(title), mine).ratio() >= NEAR_IDENTICAL:
            return [Finding("duplicate_listing", f"与本供应商的报价 #{other_id} 标题几乎相同：{title}")]
    return []


def _norm_title(title: str) -> str:
    return re.sub(r"[\s\W_]+", "", title).lower()


def _category_fit(session: Session, data: dict) -> list[Finding]:
    """A title that names another category's goods and none of its own (复印纸 under 台式计算机)."""
    own = data["category_code"]
    keywords = category_keywords()
    title = data["title"]
    own_words = keywords.get(own, ())
    if own_words and any(w in title for w in own_words):
        return []
    name = session.scalar(select(Category.name).where(Category.code == own)) or own
    if name in title:
        return []
    for code, words in keywords.items():
        if code != own and not code.startswith(own.rstrip("0")) and any(w in title for w in words):
            other = session.scalar(select(Category.name).where(Category.code == code)) or code
            return [Finding("wrong_category",
                            f"标题像是“{other}”（{code}），但品目选为“{name}”（{own}）")]
    return []


def queue(session: Session, *, limit: int = 100, offset: int = 0, text: str | None = None
          ) -> list[Offer]:
    """Offers awaiting a decision, oldest first: new listings (pending) and edits of active
    offers; `text` narrows to titles containing it."""
    has_pending_version = exists().where(OfferVersion.offer_id == Offer.id,
                                         OfferVersion.state == "pending")
    query = select(Offer).where(or_(Offer.status == OfferStatus.PENDING.value,
                                    has_pending_version))
    if text:
        query = query.where(Offer.title.contains(text, autoescape=True))
    return list(session.scalars(query.order_by(Offer.updated_at, Offer.id)
                                .limit(limit).offset(offset)))


def approve(session: Session, actor, offer_id: int) -> Offer:
    offer = offers.get_offer(session, offer_id, lock=True)
    if offer.status == OfferStatus.ACTIVE.value and offers.pending_version(session, offer.id):
        if getattr(actor, "role", None) not in ("operator", "admin"):
            raise Forbidden("只有平台运营可以审核", code="offer_action_forbidden")
        offers.apply_pending_version(session, actor, offer)
        return offer
    return offers.transition(session, actor, offer_id, "approve")


def reject(session: Session, actor, offer_id: int, reason_code: str, note: str | None = None
           ) -> Offer:
    if reason_code not in offers.REJECT_REASONS:
        raise field_error("reason_code", "请选择有效的驳回原因代码", code="reason_required")
    offer = offers.get_offer(session, offer_id, lock=True)
    if offer.status == OfferStatus.ACTIVE.value and offers.pending_version(session, offer.id):
        if getattr(actor, "role", None) not in ("operator", "admin"):
            raise Forbidden("只有平台运营可以驳回", code="offer_action_forbidden")
        offers.reject_pending_version(session, actor, offer, reason_code, note)
        return offer
    return offers.transition(session, actor, offer_id, "reject", reason_code=reason_code,
                             note=note)


def bulk_approve_clean(session: Session, actor, offer_ids: list[int], today: date, *,
                       median_ratio: Decimal = DEFAULT_MEDIAN_RATIO) -> dict:
    """Approve the offers that have no finding; the others are left for a closer look."""
    approved, skipped = [], {}
    for offer_id in offer_ids:
        offer = offers.get_offer(session, offer_id)
        found = findings(session, offer, today, median_ratio=median_ratio)
        if found:
            skipped[offer_id] = [f.code for f in found]
            continue
        approve(session, actor, offer_id)
        approved.append(offer_id)
    return {"approved": approved, "skipped": skipped}


def take_down(session: Session, actor, offer_id: int, reason_code: str,
              note: str | None = None) -> Offer:
    return offers.transition(session, actor, offer_id, "takedown", reason_code=reason_code,
                             note=note)
