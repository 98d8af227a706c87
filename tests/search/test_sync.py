"""Index sync through the transactional outbox: catalogue changes reach the index, the
outbox catches up after the backend was down, full rebuild, drift check, CLI."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import delete, func, select

from catalog import offers as catalog_offers
from catalog.models import Offer
from mall.cli import main as mall_cli
from mall.clock import utcnow
from mall.db import session_scope
from mall.outbox import OutboxEvent, drain, pending_events
from mall.roles import Role
from search import sync
from search.documents import documents_for
from search.elastic import ElasticBackend
from search.embedded import EmbeddedBackend
from search.query import SearchQuery
from suppliers import status as supplier_status
from tests import factories
from tests.conftest import bearer
from tests.search.conftest import doc, free_port

CERT = {"kind": "energy", "number": "CQC2026000001", "certifier": "中国质量认证中心",
        "valid_until": date.today() + timedelta(days=365)}


@pytest.fixture
def backend(app, tmp_path, synonyms):
    """The app's search backend for this test: a fresh embedded index."""
    fresh = EmbeddedBackend(tmp_path / "search", synonyms=synonyms)
    saved = app.extensions["search.backend"]
    app.extensions["search.backend"] = lambda: fresh
    yield fresh
    app.extensions["search.backend"] = saved


def deliver(app):
    return drain(app.extensions["mall.session_factory"], app.extensions["mall.dispatcher"],
                 now=utcnow() + timedelta(days=1))


def titles(backend, text: str) -> list[str]:
    return [g.hit.doc["title"] for g in backend.search(SearchQuery(text=text)).groups]


def _events(db) -> list[OutboxEvent]:
    return list(db.scalars(select(OutboxEvent).where(OutboxEvent.topic == sync.TOPIC)
                           .order_by(OutboxEvent.id)))


def test_a_catalogue_change_adds_an_event_in_the_same_transaction(db, backend):
    offer = factories.offer(db, status="active", title="得力 同一事务 复印纸")
    db.commit()
    events = _events(db)
    assert any(offer.id in e.payload["offers"] for e in events)
    assert all(e.processed_at is None for e in events)  # delivered later, after commit
    before = len(_events(db))
    offer.stock = 7
    db.commit()
    [last] = _events(db)[before:]  # one change → one event naming the offer
    assert last.key == f"offer:{offer.id}" and last.payload["offers"] == [offer.id]


def test_a_rolled_back_change_leaves_no_event(db, backend, app):
    before = len(_events(db))  # other tests may have committed events of their own
    factory = app.extensions["mall.session_factory"]
    session = factory()
    factories.offer(session, status="active", title="得力 回滚 复印纸")
    session.flush()
    session.rollback()
    session.close()
    assert len(_events(db)) == before


def test_offers_reach_the_index_only_while_on_sale(db, app, backend):
    offer = factories.offer(db, status="pending", title="得力 上架同步 复印纸")
    db.commit()
    deliver(app)
    assert titles(backend, "上架同步") == []
    operator = factories.user(db, Role.OPERATOR)
    catalog_offers.transition(db, operator, offer.id, "approve")
    db.commit()
    deliver(app)
    assert titles(backend, "上架同步") == ["得力 上架同步 复印纸"]
    seller = factories.user(db, Role.SUPPLIER, supplier_id=offer.supplier_id)
    catalog_offers.edit_offer(db, seller, offer.id, {"price": Decimal("19.90")})
    db.commit()
    deliver(app)
    [group] = backend.search(SearchQuery(text="上架同步")).groups
    assert group.min_price == Decimal("19.90")
    catalog_offers.transition(db, seller, offer.id, "delist")
    db.commit()
    deliver(app)
    assert titles(backend, "上架同步") == []


def test_suspending_a_supplier_removes_all_its_offers(db, app, backend):
    supplier = factories.supplier(db)
    for i in range(3):
        factories.offer(db, supplier.id, status="active", title=f"得力 暂停同步 复印纸 {i}",
                        model=f"PAUSE-{uuid.uuid4().hex[:6]}")
    db.commit()
    deliver(app)
    assert len(titles(backend, "暂停同步")) == 3
    operator = factories.user(db, Role.OPERATOR)
    supplier_status.transition(db, operator, supplier.id, "suspend", reason_code="other",
                               until=date.today() + timedelta(days=30))
    db.commit()
    deliver(app)
    assert titles(backend, "暂停同步") == []
    supplier_status.transition(db, operator, supplier.id, "reinstate")
    db.commit()
    deliver(app)
    assert len(titles(backend, "暂停同步")) == 3


def test_a_product_change_reindexes_every_offer_of_the_product(db, app, backend):
    model = f"SHARED-{uuid.uuid4().hex[:6]}"
    a = factories.offer(db, status="active", title="得力 共享产品 复印纸", model=model)
    b = factories.offer(db, status="active", title="得力 共享产品 复印纸 二", model=model)
    assert a.product_id == b.product_id
    db.commit()
    deliver(app)
    a.product.specs = {"克重": "独特克重九十"}
    db.commit()
    deliver(app)
    found = backend.search(SearchQuery(text="独特克重九十"))
    assert found.total_offers == 2 and found.groups[0].offer_count == 2


def test_documents_carry_certificates_supplier_and_category(db):
    supplier = factories.supplier(db, region="522727", size="micro")
    offer = factories.offer(db, supplier.id, status="active", title="联想 文档 台式计算机",
                            category_code="A02010105", brand="联想", certificates=[CERT])
    [d] = documents_for(db, [offer.id])
    assert d["is_832"] is True and d["supplier_size"] == "micro"
    assert d["province_code"] == "52" and d["region_code"] == "522727"
    assert d["energy_until"] == CERT["valid_until"].isoformat()
    assert d["environment_until"] is None
    assert d["category_path"][-1] == "A02010105" and "计算机" in d["category_path_names"]
    assert d["mandatory_green"] is True and d["delivery_regions"] == ["*"]


def test_certificates_of_unrecognised_certifiers_do_not_count(db):
    bogus = CERT | {"certifier": "某某认证有限公司"}
    offer = factories.offer(db, status="active", certificates=[bogus])
    [d] = documents_for(db, [offer.id])
    assert d["energy_until"] is None


def test_writes_succeed_while_the_backend_is_down_and_the_outbox_catches_up(
        client, db, app, osmem, synonyms):
    down = ElasticBackend(f"http://127.0.0.1:{free_port()}", synonyms=synonyms,
                          alias=f"t{uuid.uuid4().hex[:12]}", refresh=True, timeout=2)
    saved = app.extensions["search.backend"]
    app.extensions["search.backend"] = lambda: down
    try:
        supplier = factories.supplier(db)
        seller = bearer(db, factories.user(db, Role.SUPPLIER, supplier_id=supplier.id))
        operator = bearer(db, factories.user(db, Role.OPERATOR))
        res = client.post("/api/v1/offers", headers=seller, json={
            "category_code": "A05040101", "brand": "得力", "model": "DOWN-1",
            "title": "得力 故障补投 复印纸", "price": "25.00", "submit": True})
        assert res.status_code == 201
        res = client.post(f"/api/v1/offers/{res.json['id']}/transitions", headers=operator,
                          json={"action": "approve"})
        assert res.status_code == 200  # the catalogue write succeeded
        assert db.scalar(select(Offer.status).where(Offer.title == "得力 故障补投 复印纸")) \
            == "active"
        waiting = [e for e in pending_events(db) if e.topic == sync.TOPIC]
        assert waiting and all(e.attempts >= 1 for e in waiting)
        assert "unreachable" in waiting[-1].last_error

        up = ElasticBackend(osmem.url, synonyms=synonyms, alias=down.alias, refresh=True)
        app.extensions["search.backend"] = lambda: up
        result = deliver(app)
        assert result.failed == 0 and result.processed >= len(waiting)
        assert titles(up, "故障补投") == ["得力 故障补投 复印纸"]
    finally:
        app.extensions["search.backend"] = saved


def test_reindex_rebuilds_and_check_reports_drift(db, app, backend):
    a = factories.offer(db, status="active", title="得力 漂移检查 复印纸 甲")
    b = factories.offer(db, status="active", title="得力 漂移检查 复印纸 乙")
    db.commit()  # not delivered: the index knows nothing yet
    drift = sync.check(app.extensions["mall.session_factory"], backend)
    assert {a.id, b.id} <= set(drift.missing) and not drift.clean
    assert drift.outbox_pending >= 1

    count = sync.reindex(app.extensions["mall.session_factory"], backend)
    assert count == drift.expected
    assert sync.check(app.extensions["mall.session_factory"], backend).clean

    a.price = Decimal("21.00")  # changed behind the index's back …
    db.commit()
    ghost = doc("不存在的报价", id=10_000_000)
    backend.index([ghost])  # … and a document nothing in the database backs
    drift = sync.check(app.extensions["mall.session_factory"], backend)
    assert drift.stale == [a.id] and drift.extra == [ghost["id"]] and drift.missing == []
    sync.repair(db, backend, drift)
    assert sync.check(app.extensions["mall.session_factory"], backend).clean
    assert titles(backend, "不存在的报价") == []


def test_reindex_and_check_index_commands(db, app, backend):
    factories.offer(db, status="active", title="得力 命令行 复印纸")
    db.commit()
    runner = CliRunner()
    info = ScriptInfo(create_app=lambda: app)
    res = runner.invoke(mall_cli, ["check-index"], obj=info)
    assert res.exit_code == 1 and "缺失" in res.output
    res = runner.invoke(mall_cli, ["reindex"], obj=info)
    assert res.exit_code == 0, res.output
    assert "已重建检索索引" in res.output
    res = runner.invoke(mall_cli, ["check-index"], obj=info)
    assert res.exit_code == 0 and "索引与数据库一致" in res.output
    assert titles(backend, "命令行") == ["得力 命令行 复印纸"]


def test_the_worker_command_delivers_pending_changes(db, app, backend):
    factories.offer(db, status="active", title="得力 后台投递 复印纸")
    db.commit()
    assert titles(backend, "后台投递") == []
    res = CliRunner().invoke(mall_cli, ["worker", "--once"], obj=ScriptInfo(create_app=lambda: app))
    assert res.exit_code == 0 and "已投递" in res.output
    assert titles(backend, "后台投递") == ["得力 后台投递 复印纸"]


def test_changes_committed_during_a_rebuild_are_replayed_after_the_switch(
        committed, backend, monkeypatch):
    """Real commits on separate connections (as in production): the snapshot is read, then
    another transaction renames an offer before the new index goes live."""
    word = uuid.uuid4().hex[:6]
    with session_scope(committed) as s:
        start = s.scalar(select(func.max(OutboxEvent.id))) or 0
        offer_id = factories.offer(s, status="active", title=f"得力 重建期间{word} 复印纸").id
    build = backend.reindex

    def slow_build(chunks):
        chunks = list(chunks)
        with session_scope(committed) as other:
            other.get(Offer, offer_id).title = f"得力 重建之后{word} 复印纸"
        return build(iter(chunks))

    monkeypatch.setattr(backend, "reindex", slow_build)
    try:
        sync.reindex(committed, backend)
        assert titles(backend, word) == [f"得力 重建之后{word} 复印纸"]  # not the snapshot's
    finally:
        with session_scope(committed) as s:  # take it off sale for the other tests …
            catalog_offers.transition(s, None, offer_id, "expire")
        with session_scope(committed) as s:  # … and leave no pending events behind
            s.execute(delete(OutboxEvent).where(OutboxEvent.id > start))
