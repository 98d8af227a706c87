"""Search fixtures: the backends under test (embedded FTS5 in a temporary directory, and
Elasticsearch against a real osmem-server started on a free port) and document builders."""

from __future__ import annotations

import itertools
import socket
import uuid

import pytest
from osmem_server import OsmemServer

from search.analysis import Synonyms
from search.documents import digest
from search.elastic import ElasticBackend
from search.embedded import EmbeddedBackend

BACKENDS = ("embedded", "elasticsearch")
_ids = itertools.count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def osmem():
    """One osmem-server for the run (in-memory, OpenSearch/Elasticsearch-compatible)."""
    server = OsmemServer.start(addr=f"127.0.0.1:{free_port()}")
    yield server
    server.close()


@pytest.fixture(scope="session")
def synonyms() -> Synonyms:
    return Synonyms.from_file(None)


def make_backend(kind: str, request, tmp_path, synonyms: Synonyms):
    if kind == "embedded":
        return EmbeddedBackend(tmp_path / "search", synonyms=synonyms)
    server = request.getfixturevalue("osmem")
    # A fresh alias per test keeps tests apart on the shared server.
    return ElasticBackend(server.url, synonyms=synonyms, alias=f"t{uuid.uuid4().hex[:12]}",
                          refresh=True)


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path, synonyms):
    return make_backend(request.param, request, tmp_path, synonyms)


def doc(title: str, *, brand: str = "得力", category: tuple[str, str] = ("A05040101", "复印纸"),
        price: str = "25.00", product_id: int | None = None, **kw) -> dict:
    """A search document as `search.documents` builds it, with sensible defaults."""
    i = next(_ids)
    d = {
        "id": kw.pop("id", i), "product_id": product_id or 100000 + i, "supplier_id": 1,
        "title": title, "brand": brand, "model": f"M-{i}", "product_name": title,
        "specs": kw.pop("specs", {}), "image": None, "category_code": category[0],
        "category_name": category[1], "category_path": ["A", category[0]],
        "category_path_names": ["货物", category[1]], "mandatory_green": False,
        "priority_green": False, "canteen_food": False, "price": price,
        "market_price": None, "stock": 10, "min_order_qty": 1, "lead_time_days": 3,
        "delivery_regions": ["*"], "sales_count": 0,
        "created_at": "2026-01-01T00:00:00+00:00", "supplier_name": "杭州测试供应商有限公司",
        "supplier_size": "small", "region_code": "330106", "province_code": "33",
        "is_832": False, "energy_until": None, "environment_until": None,
    }
    d.update(kw)
    d["digest"] = digest(d)
    return d


@pytest.fixture
def app_backend(app, tmp_path, synonyms):
    """The app's search backend for this test: a fresh embedded index."""
    fresh = EmbeddedBackend(tmp_path / "app-search", synonyms=synonyms)
    saved = app.extensions["search.backend"]
    app.extensions["search.backend"] = lambda: fresh
    yield fresh
    app.extensions["search.backend"] = saved


def index_now(app) -> None:
    """Deliver every pending catalogue change (what the app does after each request)."""
    from datetime import timedelta

    from mall.clock import utcnow
    from mall.outbox import drain

    drain(app.extensions["mall.session_factory"], app.extensions["mall.dispatcher"],
          now=utcnow() + timedelta(days=1))
