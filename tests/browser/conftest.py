"""Browser fixtures: the mall served by waitress on a free port, driven by Debian's Chromium."""

from __future__ import annotations

import shutil
import threading

import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy.orm import sessionmaker
from waitress.server import create_server

from mall.app import create_app
from mall.cli import prepare_search
from mall.clock import MovableClock
from mall.config import Config
from mall.db import make_engine, session_scope
from mall.seed import seed
from tests import dbutil

LIVE_CLOCK = MovableClock()

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError("Debian chromium is required: apt-get install chromium")
    return path


LIVE: dict = {}  # the live server's database URL, for tests that check what it recorded


@pytest.fixture(scope="session")
def live_url(tmp_path_factory, localstripe):
    """A seeded demo database of the suite's kind, served on 127.0.0.1:<free port>, paying
    through the suite's localstripe."""
    url = dbutil.fresh_database("browser")
    LIVE["database_url"] = url
    engine = make_engine(url)
    with session_scope(sessionmaker(bind=engine)) as session:
        seed(session)
    engine.dispose()
    app = create_app(Config.from_env(database_url=url, secret_key="browser-test",
                                     instance_path=tmp_path_factory.mktemp("live"),
                                     stripe_api_base=localstripe))
    app.extensions["mall.clock"] = LIVE_CLOCK  # real time unless a test moves it
    with app.app_context():
        prepare_search(app)  # index the seeded offers, as `mall serve` does
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    app.extensions["mall.engine"].dispose()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


def login_as(page, base: str, username: str, password: str = "Demo@2026") -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


@pytest.fixture
def live_clock(live_url):
    """The live server's clock: move it to pass deadlines; back to real time afterwards."""
    yield LIVE_CLOCK
    LIVE_CLOCK.offset = LIVE_CLOCK.offset * 0
