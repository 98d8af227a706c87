"""From request arguments to a `SearchQuery`, and from a `SearchResult` to what the API and
pages show (facet labels in Chinese). The API and the pages both go through here, and so
does `bench/search.py`, so what is measured is what users get."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import CERT_LABELS, CertificateKind
from mall.clock import local_today
from mall.errors import field_error
from mall.regions import PROVINCES
from mall.roles import Role
from orders.models import BudgetUnit
from search.documents import category_infos
from search.query import PRICE_BUCKETS, Hit, SearchQuery, SearchResult, bucket_key, date_int
from search.schemas import CERT_KIND_LABELS
from suppliers.counties import counties_832
from suppliers.models import SIZE_LABELS, SupplierSize


@dataclass
class Viewer:
    """Who searches: buyers never see uncertified offers of mandatory-green categories and
    may filter by what is deliverable to their unit."""

    role: str | None
    region_code: str | None = None


def viewer_for(session: Session, user) -> Viewer:
    if user is None:
        return Viewer(role=None)
    region = None
    if getattr(user, "budget_unit_id", None):
        region = session.scalar(select(BudgetUnit.region_code)
                                .where(BudgetUnit.id == user.budget_unit_id))
    return Viewer(role=user.role, region_code=region)


class CategoryIndex:
    """The 品目 tree as codes: descendants for filters, names for facets (use `cached`)."""

    _cache: tuple[float, object, CategoryIndex] | None = None
    TTL_SECONDS = 60.0

    @classmethod
    def cached(cls, session: Session) -> CategoryIndex:
        """The tree changes only when the catalogue is (re)loaded: keep it a minute."""
        now = time.monotonic()
        bind = session.get_bind()
        hit = cls._cache
        if hit is not None and hit[1] is bind.engine and now - hit[0] < cls.TTL_SECONDS:
            return hit[2]
        index = cls(session)
        cls._cache = (now, bind.engine, index)
        return index

    def __init__(self, session: Session):
        infos = category_infos(session)
        self.names = {c.code: c.name for c in infos.values()}
        self.below: dict[str, list[str]] = {}
        for info in infos.values():
            for ancestor in info.path_codes:
                self.below.setdefault(ancestor, []).append(info.code)
        self.canteen = {c.code for c in infos.values() if c.canteen_food}

    def expand(self, code: str) -> list[str]:
        if code not in self.below:
            raise field_error("category", f"品目编码“{code}”不存在", code="category_not_found")
        return sorted(self.below[code])


def build_query(session: Session, args: dict, viewer: Viewer, *, slots: int,
                categories: CategoryIndex | None = None, store: str | None = None,
                today: date | None = None) -> SearchQuery:
    store = store or args.get("store")
    region = args.get("region")
    if args.get("deliverable"):
        if not viewer.region_code:
            raise field_error("deliverable", "只有所属预算单位登记了地区的采购人才能按“可配送到本单位”筛选",
                              code="no_region")
        region = viewer.region_code
    codes = None
    if args.get("category"):
        codes = (categories or CategoryIndex.cached(session)).expand(args["category"])
    general = store is None and args.get("slots", True)
    return SearchQuery(
        text=(args.get("q") or "").strip(), category_codes=codes,
        brands=list(args.get("brand") or []), price_min=args.get("price_min"),
        price_max=args.get("price_max"), sizes=list(args.get("size") or []),
        only_832=bool(args.get("is_832")) or store == "832",
        green=bool(args.get("green")) or store == "green", cert_kind=args.get("cert"),
        region=region, in_stock=bool(args.get("in_stock")), province=args.get("province"),
        county=args.get("county"),
        hide_uncertified_mandatory=viewer.role in (None, Role.BUYER),
        sort=args.get("sort") or "relevance", page=args.get("page", 1),
        per_page=args.get("per_page", 20), priority_slots=slots if general else 0,
        today=today or local_today())


def _price_label(low: int, high: int | None) -> str:
    if low == 0:
        return f"{high} 元以下"
    return f"{low} 元以上" if high is None else f"{low}–{high} 元"


PRICE_LABELS = {bucket_key(lo, hi): _price_label(lo, hi) for lo, hi in PRICE_BUCKETS}


def hit_dict(hit: Hit, today: date, url_for_offer=None) -> dict:
    doc = hit.doc
    green = [k for k in (CertificateKind.ENERGY.value, CertificateKind.ENVIRONMENT.value)
             if date_int(doc[f"{k}_until"]) >= date_int(today)]
    return {**doc, "highlight": hit.highlight, "green": green, "priority": hit.priority,
            "green_labels": [CERT_LABELS[CertificateKind(k)] for k in green],
            "size_label": SIZE_LABELS[SupplierSize(doc["supplier_size"])],
            "url": url_for_offer(doc["id"]) if url_for_offer else None}


def present(result: SearchResult, categories: CategoryIndex, today: date,
            url_for_offer=None) -> dict:
    f = result.facets
    provinces = PROVINCES
    counties = counties_832()

    def values(counts: dict, labels) -> list[dict]:
        return [{"value": str(k), "label": labels(k), "count": n} for k, n in counts.items()]

    facets = {
        "category": values(f.categories, lambda c: categories.names.get(c, c)),
        "brand": values(f.brands, str),
        "price": [{"value": bucket_key(lo, hi), "label": PRICE_LABELS[bucket_key(lo, hi)],
                   "count": f.prices[bucket_key(lo, hi)]}
                  for lo, hi in PRICE_BUCKETS if f.prices.get(bucket_key(lo, hi))],
        "size": [{"value": s, "label": SIZE_LABELS[SupplierSize(s)], "count": f.sizes[s]}
                 for s in ("large", "medium", "small", "micro") if f.sizes.get(s)],
        "is_832": [{"value": "true", "label": "832 脱贫地区供应商", "count": f.is_832}],
        "green": [{"value": "true", "label": "有效节能/环境标志认证", "count": f.green}],
        "cert": [{"value": k, "label": CERT_KIND_LABELS[k], "count": n}
                 for k, n in f.cert_kinds.items()],
        "in_stock": [{"value": "true", "label": "有货", "count": f.in_stock}],
        "province": values(f.provinces, lambda p: provinces.get(p, p)),
        "county": values(f.counties, lambda c: (counties[c].county if c in counties else c)),
    }
    if f.deliverable is not None:
        facets["deliverable"] = [{"value": "true", "label": "可配送", "count": f.deliverable}]
    return {
        "page": result.page, "per_page": result.per_page, "total": result.total_products,
        "total_offers": result.total_offers, "capped": result.capped,
        "slots": [hit_dict(h, today, url_for_offer) for h in result.slots],
        "items": [{"product_id": g.product_id, "offer_count": g.offer_count,
                   "min_price": str(g.min_price),
                   "offer": hit_dict(g.hit, today, url_for_offer)} for g in result.groups],
        "facets": facets,
    }
