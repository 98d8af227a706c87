"""Search documents (检索文档): one per offer on sale, built from the database.

An offer is indexed while it is active and its supplier may trade. The document carries
what search filters, sorts, facets and shows: product fields, category path and flags,
price, stock, delivery regions, sales, supplier size / region / 832 flag, and the expiry
dates of its valid green certificates (whether a certificate is still valid is decided
at query time, so a certificate that runs out drops the green label without reindexing).

Rows are read with plain SQL (no ORM objects) in id order and in chunks, so a full
rebuild streams 200,000 offers without holding them in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.certificates import RECOGNISED_CERTIFIERS
from catalog.models import Category, Certificate, CertificateKind, Offer, OfferStatus, Product
from mall.clock import local_today
from suppliers.models import Supplier
from suppliers.status import effective_status

CHUNK = 2000


@dataclass(frozen=True)
class CategoryInfo:
    code: str
    name: str
    path_codes: tuple[str, ...]
    path_names: tuple[str, ...]
    mandatory_green: bool
    priority_green: bool
    canteen_food: bool


def category_infos(session: Session) -> dict[int, CategoryInfo]:
    rows = {c.id: c for c in session.execute(select(
        Category.id, Category.code, Category.name, Category.parent_id, Category.mandatory_green,
        Category.priority_green, Category.canteen_food))}
    out: dict[int, CategoryInfo] = {}
    for cid, row in rows.items():
        codes, names, cur = [], [], row
        while cur is not None:
            codes.append(cur.code)
            names.append(cur.name)
            cur = rows.get(cur.parent_id) if cur.parent_id is not None else None
        out[cid] = CategoryInfo(row.code, row.name, tuple(reversed(codes)),
                                tuple(reversed(names)), bool(row.mandatory_green),
                                bool(row.priority_green), bool(row.canteen_food))
    return out


_COLUMNS = (Offer.id, Offer.product_id, Offer.supplier_id, Offer.title, Offer.price,
            Offer.market_price, Offer.stock, Offer.min_order_qty, Offer.delivery_regions,
            Offer.sales_count, Offer.created_at, Offer.lead_time_days, Product.brand,
            Product.model, Product.name.label("product_name"), Product.specs, Product.images,
            Product.category_id, Supplier.name.label("supplier_name"),
            Supplier.size.label("supplier_size"), Supplier.region_code, Supplier.is_832,
            Supplier.status.label("supplier_status"), Supplier.status_until)


def _base():
    return (select(*_COLUMNS).join(Product, Product.id == Offer.product_id)
            .join(Supplier, Supplier.id == Offer.supplier_id)
            .where(Offer.status == OfferStatus.ACTIVE.value))


def _green_until(session: Session, offer_ids: list[int]) -> dict[int, dict[str, date]]:
    """Per offer and kind, the latest expiry among certificates of recognised certifiers."""
    out: dict[int, dict[str, date]] = {}
    if not offer_ids:
        return out
    rows = session.execute(select(Certificate.offer_id, Certificate.kind, Certificate.certifier,
                                  Certificate.valid_until)
                           .where(Certificate.offer_id.in_(offer_ids)))
    for offer_id, kind, certifier, until in rows:
        if certifier not in RECOGNISED_CERTIFIERS.get(CertificateKind(kind), ()):
            continue
        kinds = out.setdefault(offer_id, {})
        if kind not in kinds or until > kinds[kind]:
            kinds[kind] = until
    return out


class _Supplierish:
    """The two fields `effective_status` reads, from a row."""

    def __init__(self, status, until):
        self.status, self.status_until = status, until


def _document(row, cat: CategoryInfo, green: dict[str, date]) -> dict:
    energy = green.get(CertificateKind.ENERGY.value)
    environment = green.get(CertificateKind.ENVIRONMENT.value)
    doc = {
        "id": row.id, "product_id": row.product_id, "supplier_id": row.supplier_id,
        "title": row.title, "brand": row.brand, "model": row.model,
        "product_name": row.product_name, "specs": dict(row.specs or {}),
        "image": (row.images or [None])[0],
        "category_code": cat.code, "category_name": cat.name,
        "category_path": list(cat.path_codes), "category_path_names": list(cat.path_names),
        "mandatory_green": cat.mandatory_green, "priority_green": cat.priority_green,
        "canteen_food": cat.canteen_food,
        "price": str(row.price),
        "market_price": str(row.market_price) if row.market_price is not None else None,
        "stock": row.stock, "min_order_qty": row.min_order_qty,
        "lead_time_days": row.lead_time_days, "delivery_regions": list(row.delivery_regions),
        "sales_count": row.sales_count, "created_at": row.created_at.isoformat(),
        "supplier_name": row.supplier_name, "supplier_size": row.supplier_size,
        "region_code": row.region_code, "province_code": row.region_code[:2],
        "is_832": bool(row.is_832),
        "energy_until": energy.isoformat() if energy else None,
        "environment_until": environment.isoformat() if environment else None,
    }
    doc["digest"] = digest(doc)
    return doc


def digest(doc: dict) -> str:
    """A fingerprint of the document's content, for drift checks (stale documents).

    Documents are built by one function, so their keys always come in the same order and
    `repr` of the values is a stable, cheap serialisation."""
    body = repr(tuple(v for k, v in doc.items() if k != "digest"))
    return hashlib.blake2b(body.encode(), digest_size=10).hexdigest()


def _build(session: Session, rows, cats: dict[int, CategoryInfo], today: date) -> list[dict]:
    rows = [r for r in rows
            if effective_status(_Supplierish(r.supplier_status, r.status_until), today).value
            == "active"]
    green = _green_until(session, [r.id for r in rows])
    return [_document(r, cats[r.category_id], green.get(r.id, {})) for r in rows]


def documents_for(session: Session, offer_ids: Iterable[int], *, today: date | None = None
                  ) -> list[dict]:
    """Documents of those offers that should be in the index (others are simply absent)."""
    ids = sorted(set(offer_ids))
    today = today or local_today()
    cats = category_infos(session) if ids else {}
    out: list[dict] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        out.extend(_build(session, session.execute(_base().where(Offer.id.in_(chunk))), cats,
                          today))
    return out


def iter_documents(session_factory, *, chunk: int = CHUNK, today: date | None = None
                   ) -> Iterator[list[dict]]:
    """Every document, in chunks in offer id order (keyset pagination). Each chunk is read
    in its own short transaction, so a long rebuild never holds a lock that writers wait
    for (SQLite); what changes meanwhile is replayed by `search.sync.reindex`."""
    today = today or local_today()
    last = 0
    cats = None
    while True:
        with session_factory() as session:
            cats = cats or category_infos(session)
            rows = session.execute(_base().where(Offer.id > last).order_by(Offer.id)
                                   .limit(chunk)).all()
            if not rows:
                return
            docs = _build(session, rows, cats, today)
            session.rollback()
        last = rows[-1].id
        yield docs


def offer_ids_of(session: Session, *, product_ids: Iterable[int] = (),
                 supplier_ids: Iterable[int] = ()) -> list[int]:
    """Every offer (any status) of these products / suppliers: candidates to (re)index."""
    ids: set[int] = set()
    product_ids, supplier_ids = list(product_ids), list(supplier_ids)
    if product_ids:
        ids.update(session.scalars(select(Offer.id).where(Offer.product_id.in_(product_ids))))
    if supplier_ids:
        ids.update(session.scalars(select(Offer.id).where(Offer.supplier_id.in_(supplier_ids))))
    return sorted(ids)
