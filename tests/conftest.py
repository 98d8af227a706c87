"""Fixtures: one migrated database per run, each test in a rolled-back transaction."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import sessionmaker

from catalog.categories import load_categories
from mall import accounts
from mall.accounts import issue_token
from mall.app import create_app
from mall.config import Config
from mall.db import make_engine, session_scope
from tests import dbutil

pytest_plugins = ["tests.stripe_server"]  # fixture `localstripe`: a real localstripe server

# Cheaper argon2 parameters for the suite's many test users (still argon2id, same code path).
accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="session")
def db_url() -> str:
    return dbutil.fresh_database("main")


@pytest.fixture(scope="session")
def engine(db_url):
    engine = make_engine(db_url)
    with session_scope(sessionmaker(bind=engine)) as session:
        load_categories(session)  # reference data shared by every test
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app(engine, db_url, tmp_path_factory):
    cfg = Config.from_env(database_url=db_url, testing=True, secret_key="test-secret",
                          instance_path=tmp_path_factory.mktemp("instance"))
    application = create_app(cfg)
    application.extensions["mall.engine"].dispose()
    application.extensions["mall.engine"] = engine
    return application


@pytest.fixture
def db(app, engine):
    """A session inside a transaction that is rolled back after the test.

    The app's requests share the connection; their commits only release savepoints.
    """
    conn = engine.connect()
    trans = conn.begin()
    factory = sessionmaker(bind=conn, join_transaction_mode="create_savepoint",
                           expire_on_commit=False)
    saved = app.extensions["mall.session_factory"]
    app.extensions["mall.session_factory"] = factory
    session = factory()
    try:
        yield session
    finally:
        session.close()
        trans.rollback()
        conn.close()
        app.extensions["mall.session_factory"] = saved


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def committed(engine):
    """A session factory that really commits, for concurrency tests (own unique data)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def bearer(db, user) -> dict:
    _, plain = issue_token(db, user, "test")
    db.flush()
    return {"Authorization": f"Bearer {plain}"}


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})


@pytest.fixture
def clock(app):
    """The app's clock, fixed and movable (mall.clock.MovableClock); restored afterwards."""
    from datetime import UTC, datetime

    from mall.clock import MovableClock

    saved = app.extensions.get("mall.clock")
    moving = MovableClock(fixed=datetime(2026, 11, 23, 2, 0, tzinfo=UTC))  # Mon 10:00 Beijing
    app.extensions["mall.clock"] = moving
    yield moving
    if saved is None:
        app.extensions.pop("mall.clock", None)
    else:
        app.extensions["mall.clock"] = saved
