"""The transactional outbox: events commit with the change, drain delivers them once, a
failing handler leaves the event pending for a later drain."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import sessionmaker

from mall import outbox
from mall.clock import utcnow
from mall.db import session_scope
from mall.outbox import Dispatcher, OutboxEvent, drain, emit
from tests import dbutil, factories


@pytest.fixture(autouse=True)
def _no_foreign_events(request):
    """Tests on the rolled-back `db` session start from an empty outbox (events other tests
    committed for real must not count here); the deletion is rolled back with the test."""
    if "db" in request.fixturenames:
        db = request.getfixturevalue("db")
        db.execute(delete(OutboxEvent))
        db.commit()


def _factory(db):
    """Sessions on the test's connection: each 'transaction' is a savepoint of the test's."""
    return sessionmaker(bind=db.connection(), join_transaction_mode="create_savepoint",
                        expire_on_commit=False)


def test_emit_adds_the_event_in_the_callers_transaction(db):
    unit = factories.unit(db)
    event = emit(db, "unit.changed", unit.id, {"code": unit.code})
    db.flush()
    stored = db.get(OutboxEvent, event.id)
    assert (stored.topic, stored.key, stored.payload) == ("unit.changed", str(unit.id),
                                                          {"code": unit.code})
    assert stored.processed_at is None and stored.attempts == 0
    assert outbox.pending(db) == 1


def test_rollback_leaves_neither_the_change_nor_the_event(db):
    factory = _factory(db)
    topic = f"t.{uuid.uuid4().hex[:8]}"
    session = factory()
    unit = factories.unit(session)
    unit_code = unit.code
    emit(session, topic, 1)
    session.flush()
    session.rollback()
    session.close()
    assert db.scalar(select(OutboxEvent).where(OutboxEvent.topic == topic)) is None
    from orders.models import BudgetUnit

    assert db.scalar(select(BudgetUnit).where(BudgetUnit.code == unit_code)) is None


def test_drain_delivers_in_id_order_and_marks_processed(db):
    seen: list[str] = []
    dispatcher = Dispatcher().on("demo", lambda s, e: seen.append(e.key))
    events = [emit(db, "demo", k) for k in ("a", "b", "c")]
    db.commit()
    result = drain(_factory(db), dispatcher)
    assert (result.processed, result.failed) == (3, 0)
    assert seen == ["a", "b", "c"]
    for event in events:
        db.refresh(event)
        assert event.processed_at is not None
    assert outbox.pending(db) == 0
    assert drain(_factory(db), dispatcher).processed == 0  # delivered once only


def test_handler_writes_commit_with_the_processed_mark(db):
    from orders.models import BudgetUnit

    unit = factories.unit(db)
    emit(db, "rename", unit.id, {"name": "改名后的单位"})
    db.commit()

    def rename(session, event):
        session.get(BudgetUnit, int(event.key)).name = event.payload["name"]

    drain(_factory(db), Dispatcher().on("rename", rename))
    db.refresh(unit)
    assert unit.name == "改名后的单位"


def test_failing_handler_leaves_the_event_pending_and_a_later_drain_catches_up(db):
    from orders.models import BudgetUnit

    unit = factories.unit(db)
    event = emit(db, "rename", unit.id, {"name": "新名称"})
    db.commit()
    backend_up = False

    def rename(session, ev):
        session.get(BudgetUnit, int(ev.key)).name = ev.payload["name"]  # written, then …
        if not backend_up:
            raise ConnectionError("search backend unreachable")

    dispatcher = Dispatcher().on("rename", rename)
    now = utcnow()
    result = drain(_factory(db), dispatcher, now=now)
    assert (result.processed, result.failed) == (0, 1)
    db.refresh(event)
    db.refresh(unit)
    assert unit.name != "新名称"  # … rolled back with the failed delivery
    assert event.processed_at is None and event.attempts == 1
    assert "ConnectionError: search backend unreachable" in event.last_error
    assert event.available_at > now
    # Not due yet: an immediate drain leaves it alone.
    assert drain(_factory(db), dispatcher, now=now).failed == 0
    # A second failure backs off further.
    drain(_factory(db), dispatcher, now=now + timedelta(minutes=1))
    db.refresh(event)
    assert event.attempts == 2
    backend_up = True
    result = drain(_factory(db), dispatcher, now=now + timedelta(hours=2))
    assert (result.processed, result.failed) == (1, 0)
    db.refresh(event)
    db.refresh(unit)
    assert event.processed_at is not None and unit.name == "新名称"
    assert event.attempts == 2  # the history of failures stays visible


def test_unknown_topic_is_a_recorded_failure(db):
    event = emit(db, "nobody.listens", 7)
    db.commit()
    result = drain(_factory(db), Dispatcher())
    assert result.failed == 1
    db.refresh(event)
    assert event.processed_at is None and "nobody.listens" in event.last_error
    assert [e.id for e in outbox.pending_events(db)] == [event.id]


def test_drain_respects_the_limit(db):
    dispatcher = Dispatcher().on("demo", lambda s, e: None)
    for k in range(5):
        emit(db, "demo", k)
    db.commit()
    assert drain(_factory(db), dispatcher, limit=2).processed == 2
    assert outbox.pending(db) == 3


def test_the_claim_statement_uses_skip_locked_on_postgresql():
    sql = str(outbox.claim_statement(1, utcnow()).compile(dialect=postgresql.dialect()))
    assert "FOR UPDATE SKIP LOCKED" in sql


def test_two_workers_deliver_every_event_exactly_once(committed):
    topic = f"twice.{uuid.uuid4().hex[:8]}"
    with session_scope(committed) as s:
        events = [emit(s, topic, i) for i in range(40)]
        s.flush()
        ids = [e.id for e in events]
    seen: list[int] = []
    lock = threading.Lock()

    def handler(session, event):
        with lock:
            seen.append(event.id)

    dispatcher = Dispatcher().on(topic, handler)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work():
        barrier.wait()
        try:
            drain(committed, dispatcher)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert sorted(seen) == ids
        with session_scope(committed) as s:
            left = s.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic,
                                                       OutboxEvent.processed_at.is_(None)))
            assert list(left) == []
    finally:
        with session_scope(committed) as s:
            s.execute(delete(OutboxEvent).where(OutboxEvent.topic == topic))


def _app_with_emitting_route(db, db_url, tmp_path, dispatcher_setup):
    """A fresh app whose one extra route emits an event, sharing the test's connection."""
    from flask import jsonify

    from mall.app import create_app
    from mall.config import Config
    from mall.web import db as request_db

    app = create_app(Config.from_env(database_url=db_url, testing=True, secret_key="t",
                                     instance_path=tmp_path))
    app.extensions["mall.session_factory"] = _factory(db)
    dispatcher_setup(app.extensions["mall.dispatcher"])

    @app.post("/_emit/<name>")
    def emit_route(name):
        unit = factories.unit(request_db(), name=name)
        emit(request_db(), "unit.created", unit.id, {"name": name})
        return jsonify({"id": unit.id})

    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_the_app_drains_inline_after_the_request_commits(db, db_url, tmp_path):
    delivered: list[dict] = []
    app = _app_with_emitting_route(
        db, db_url, tmp_path,
        lambda d: d.on("unit.created", lambda s, e: delivered.append(e.payload)))
    res = app.test_client().post("/_emit/内联投递单位")
    assert res.status_code == 200
    assert delivered == [{"name": "内联投递单位"}]
    assert outbox.pending(db) == 0


def test_a_failing_handler_never_fails_the_request(db, db_url, tmp_path):
    from orders.models import BudgetUnit

    def broken(session, event):
        raise ConnectionError("backend down")

    app = _app_with_emitting_route(db, db_url, tmp_path, lambda d: d.on("unit.created", broken))
    res = app.test_client().post("/_emit/后端故障单位")
    assert res.status_code == 200
    assert db.get(BudgetUnit, res.json["id"]).name == "后端故障单位"  # the change is kept
    [event] = outbox.pending_events(db)
    assert event.attempts == 1 and "backend down" in event.last_error


def test_inline_drain_can_be_switched_off(db, db_url, tmp_path):
    delivered: list = []
    app = _app_with_emitting_route(
        db, db_url, tmp_path, lambda d: d.on("unit.created", lambda s, e: delivered.append(1)))
    app.extensions["mall.config"].outbox_inline = False
    assert app.test_client().post("/_emit/稍后投递单位").status_code == 200
    assert delivered == [] and outbox.pending(db) == 1


def test_a_worker_skips_an_event_another_worker_holds(committed):
    """PostgreSQL: while worker A holds event 1 (FOR UPDATE), worker B skips it and delivers
    events 2 and 3 at once. SQLite has one writer at a time, so B waits its turn instead.
    Either way every event is delivered exactly once, event 1 by A."""
    topic = f"held.{uuid.uuid4().hex[:8]}"
    with session_scope(committed) as s:
        keys = [str(emit(s, topic, i).key) for i in range(3)]
    delivered: list[tuple[str, str]] = []
    holding, release = threading.Event(), threading.Event()

    def handler(session, event):
        who = threading.current_thread().name
        if who == "A":
            holding.set()
            release.wait(20)
        delivered.append((who, event.key))

    dispatcher = Dispatcher().on(topic, handler)
    a = threading.Thread(target=drain, args=(committed, dispatcher), kwargs={"limit": 1},
                         name="A")
    b = threading.Thread(target=drain, args=(committed, dispatcher), name="B")
    try:
        a.start()
        assert holding.wait(10)
        b.start()
        if dbutil.is_postgres():
            b.join(10)
            assert not b.is_alive(), "B waited for the row A holds"
            assert sorted(delivered) == [("B", keys[1]), ("B", keys[2])]
        else:
            b.join(0.5)
        release.set()
        a.join(10)
        b.join(20)
        assert sorted(delivered) == [("A", keys[0]), ("B", keys[1]), ("B", keys[2])]
    finally:
        release.set()
        with session_scope(committed) as s:
            s.execute(delete(OutboxEvent).where(OutboxEvent.topic == topic))
