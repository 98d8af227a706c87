"""Keeping the index in step with the database (索引同步) through the transactional outbox.

Change capture: one session hook (`capture_changes()`, installed by the composition root)
notices every flushed change to an offer, its product, its certificates, its category or
its supplier and, just before the transaction commits, adds ONE outbox event
`catalog.changed` listing the ids — in the same transaction as the change. Catalog code
does nothing for search and never imports it.

Delivery: the handler rebuilds the documents of the affected offers from the database
and writes them to the backend (offers no longer on sale are deleted). It is idempotent,
so a retry after the backend was down simply catches up.

`reindex()` rebuilds everything (zero downtime, then replays the changes that arrived
meanwhile); `check()` compares the index with the database (missing / stale / extra).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from catalog.models import Category, Certificate, Offer, Product
from mall import outbox
from mall.outbox import OutboxEvent
from search.backend import SearchBackend
from search.documents import documents_for, iter_documents, offer_ids_of
from suppliers.models import Supplier

log = logging.getLogger(__name__)

TOPIC = "catalog.changed"
KINDS = ("offers", "products", "suppliers", "categories")
# Supplier and category columns that documents carry; other changes need no reindex.
SUPPLIER_FIELDS = ("name", "size", "is_832", "region_code", "status", "status_until")
CATEGORY_FIELDS = ("code", "name", "parent_id", "mandatory_green", "priority_green",
                   "canteen_food")
_INFO = "search_changes"


# --- change capture -------------------------------------------------------------------

def _changed(obj, fields: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[f].history.has_changes() for f in fields)


def _collect(session: Session, _flush_context) -> None:
    changes = session.info.setdefault(_INFO, {k: set() for k in KINDS})
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Offer):
            changes["offers"].add(obj.id)
        elif isinstance(obj, Certificate):
            if obj.offer_id is not None:
                changes["offers"].add(obj.offer_id)
        elif isinstance(obj, Product):
            if obj not in session.new:  # a new product has no offers yet
                changes["products"].add(obj.id)
        elif isinstance(obj, Supplier):
            if obj not in session.new and _changed(obj, SUPPLIER_FIELDS):
                changes["suppliers"].add(obj.id)
        elif isinstance(obj, Category):
            if obj not in session.new and _changed(obj, CATEGORY_FIELDS):
                changes["categories"].add(obj.id)


def _emit(session: Session) -> None:
    session.flush()  # collect what is still pending
    changes = session.info.pop(_INFO, None)
    if not changes or not any(changes.values()):
        return
    payload = {k: sorted(i for i in changes[k] if i is not None) for k in KINDS}
    offers = payload["offers"]
    only_offer = len(offers) == 1 and not any(payload[k] for k in KINDS[1:])
    key = f"offer:{offers[0]}" if only_offer else f"batch:{sum(map(len, payload.values()))}"
    outbox.emit(session, TOPIC, key, payload)


def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_INFO, None)


def capture_changes() -> None:
    """Install the session hooks (idempotent). Called by the composition root."""
    for name, fn in (("after_flush", _collect), ("before_commit", _emit),
                     ("after_transaction_end", _forget)):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)


# --- delivery -------------------------------------------------------------------------

def affected_offer_ids(session: Session, payload: dict) -> list[int]:
    ids = set(payload.get("offers") or [])
    ids.update(offer_ids_of(session, product_ids=payload.get("products") or [],
                            supplier_ids=payload.get("suppliers") or []))
    categories = payload.get("categories") or []
    if categories:
        ids.update(session.scalars(select(Offer.id).join(Product, Product.id == Offer.product_id)
                                   .where(Product.category_id.in_(categories))))
    return sorted(ids)


def apply(session: Session, backend: SearchBackend, offer_ids: list[int]) -> tuple[int, int]:
    """Index the documents of these offers; delete the ones not on sale. Idempotent."""
    docs = documents_for(session, offer_ids)
    present = {d["id"] for d in docs}
    gone = [i for i in offer_ids if i not in present]
    backend.index(docs)
    backend.delete(gone)
    return len(docs), len(gone)


def handler(backend: Callable[[], SearchBackend]):
    """The outbox handler for `catalog.changed`; `backend` returns the current backend."""

    def handle(session: Session, event: OutboxEvent) -> None:
        apply(session, backend(), affected_offer_ids(session, event.payload or {}))

    return handle


def register(dispatcher: outbox.Dispatcher, backend: Callable[[], SearchBackend]) -> None:
    dispatcher.on(TOPIC, handler(backend))


# --- full rebuild and drift check -------------------------------------------------------

def reindex(session_factory: sessionmaker[Session], backend: SearchBackend) -> int:
    """Rebuild the whole index from the database with no downtime.

    Changes committed while the new index was being built went to the old one; they are
    replayed against the new index right after the switch (the handler is idempotent).
    """
    with session_factory() as session:
        mark = session.scalar(select(func.max(OutboxEvent.id))) or 0
    count = backend.reindex(iter_documents(session_factory))
    with session_factory() as session:
        later = session.scalars(select(OutboxEvent).where(OutboxEvent.id > mark,
                                                          OutboxEvent.topic == TOPIC)
                                .order_by(OutboxEvent.id))
        for ev in later:
            apply(session, backend, affected_offer_ids(session, ev.payload or {}))
    return count


@dataclass
class Drift:
    indexed: int = 0
    expected: int = 0
    missing: list[int] = field(default_factory=list)  # on sale, not in the index
    stale: list[int] = field(default_factory=list)  # in the index with old content
    extra: list[int] = field(default_factory=list)  # in the index, not on sale any more
    outbox_pending: int = 0

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def check(session_factory: sessionmaker[Session], backend: SearchBackend) -> Drift:
    expected = {d["id"]: d["digest"] for chunk in iter_documents(session_factory)
                for d in chunk}
    actual = backend.digests()
    with session_factory() as session:
        waiting = outbox.pending(session)
    return Drift(
        indexed=len(actual), expected=len(expected),
        missing=sorted(expected.keys() - actual.keys()),
        stale=sorted(i for i in expected.keys() & actual.keys() if expected[i] != actual[i]),
        extra=sorted(actual.keys() - expected.keys()),
        outbox_pending=waiting)


def repair(session: Session, backend: SearchBackend, drift: Drift) -> None:
    """Fix what `check` found: index the missing and stale documents, drop the extra."""
    apply(session, backend, drift.missing + drift.stale + drift.extra)
