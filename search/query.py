"""The backend-neutral query object and result types (查询对象与结果).

A `SearchQuery` carries free text, filters, sort, page and the policy switches (priority
slots, mandatory-green hiding). Every backend answers it with the same `SearchResult`:
offers grouped by product (number of matching offers, lowest price), the priority slots,
and facet counts computed over every matching offer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

SORTS = ("relevance", "price_asc", "price_desc", "sales", "newest")
SORT_LABELS = {"relevance": "综合排序", "price_asc": "价格从低到高", "price_desc": "价格从高到低",
               "sales": "销量", "newest": "最新上架"}

# Price facet buckets in CNY: [low, high) — the last one is open-ended.
PRICE_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 100), (100, 500), (500, 1000), (1000, 5000), (5000, 10000), (10000, None))

SIZES = ("large", "medium", "small", "micro")
CERT_KINDS = ("energy", "environment")


def bucket_key(low: int, high: int | None) -> str:
    return f"{low}-{high}" if high is not None else f"{low}-"


def date_int(value: date | str | None) -> int:
    """Dates as sortable integers YYYYMMDD (0 for none), used by the embedded index."""
    if value is None:
        return 0
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return value.year * 10000 + value.month * 100 + value.day


def price_cents(value: Decimal | str) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


@dataclass
class SearchQuery:
    text: str = ""
    # Category filter, already expanded to the category and all its sub-categories.
    category_codes: list[str] | None = None
    brands: list[str] = field(default_factory=list)
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    sizes: list[str] = field(default_factory=list)
    only_832: bool = False
    green: bool = False  # a valid certificate today (either kind)
    cert_kind: str | None = None  # energy | environment
    region: str | None = None  # deliverable to this 6-digit region code
    in_stock: bool = False
    province: str | None = None  # 2-digit province code of an 832 supplier
    county: str | None = None  # 6-digit county code of an 832 supplier
    hide_uncertified_mandatory: bool = False  # buyers never see them (强制采购品目)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    priority_slots: int = 0  # K first slots for green / 832 offers; 0 = none
    today: date = field(default_factory=date.today)


@dataclass
class Hit:
    """One offer as shown in a result: the indexed document plus highlight and marks."""

    doc: dict
    highlight: str = ""  # HTML-safe title with <mark> around matched words
    priority: list[str] = field(default_factory=list)  # ["green", "832"] for slots


@dataclass
class Group:
    """A product among the results: its representative offer, how many offers, from what."""

    product_id: int
    offer_count: int
    min_price: Decimal
    hit: Hit


@dataclass
class Facets:
    categories: dict[str, int] = field(default_factory=dict)  # leaf category code → offers
    brands: dict[str, int] = field(default_factory=dict)
    prices: dict[str, int] = field(default_factory=dict)  # bucket_key → offers
    sizes: dict[str, int] = field(default_factory=dict)
    is_832: int = 0
    green: int = 0
    cert_kinds: dict[str, int] = field(default_factory=dict)
    in_stock: int = 0
    deliverable: int | None = None  # only when the query names a region
    provinces: dict[str, int] = field(default_factory=dict)  # 832 offers by province code
    counties: dict[str, int] = field(default_factory=dict)  # 832 offers by county code


@dataclass
class SearchResult:
    groups: list[Group]
    slots: list[Hit]
    total_products: int  # organic product groups (excluding the slotted products)
    total_offers: int  # every matching offer
    facets: Facets
    page: int = 1
    per_page: int = 20
    # True when more offers matched than the backend examines per query (embedded:
    # MAX_HITS); totals and facet counts then cover that many, shown as "10000+".
    capped: bool = False


def is_green_on(doc: dict, today: date) -> bool:
    """Whether the document has a certificate valid on `today` (either kind)."""
    return max(date_int(doc["energy_until"]), date_int(doc["environment_until"])) >= \
        date_int(today)
