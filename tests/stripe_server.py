"""A real localstripe server for the suite, started on a free port (fixture `localstripe`).

localstripe pickles its whole store to the fixed path /tmp/localstripe.pickle after every
write; several suites run side by side on this machine, so the test server starts with
`--from-scratch` and with that disk dump switched off. Everything else is the unmodified
localstripe HTTP server.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

_LAUNCH = ("import sys, localstripe.resources as r; r.Store.dump_to_disk = lambda self: None; "
           "from localstripe.server import start; start()")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_port() -> int:
    """A port nothing listens on (for "Stripe unreachable")."""
    return free_port()


def start_localstripe(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", _LAUNCH, "--port", str(port),
                             "--from-scratch"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"localstripe exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("localstripe did not start within 30 s")


@pytest.fixture(scope="session")
def localstripe() -> str:
    """Base URL of a running localstripe, e.g. http://127.0.0.1:43121."""
    port = free_port()
    proc = start_localstripe(port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


WEBHOOK_SECRET = "whsec_suite"


@pytest.fixture(autouse=True)
def _app_uses_localstripe(request):
    """Every test that uses the Flask app talks to the suite's localstripe (never to whatever
    may listen on the default port 8420 of this machine)."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    cfg = app.extensions["mall.config"]
    saved = cfg.stripe_api_base, cfg.stripe_webhook_secret
    cfg.stripe_api_base = request.getfixturevalue("localstripe")
    cfg.stripe_webhook_secret = WEBHOOK_SECRET
    yield
    cfg.stripe_api_base, cfg.stripe_webhook_secret = saved
