"""What only the embedded backend does: the work limit per query, its FTS flags, and
replacing index files of an older layout."""

from __future__ import annotations

import sqlite3

import pytest

from mall.config import Config
from search import embedded
from search.backend import make_backend
from search.elastic import ElasticBackend
from search.embedded import EmbeddedBackend
from search.query import SearchQuery
from tests.search.conftest import doc


def test_a_query_examines_at_most_max_hits_and_says_so(tmp_path, synonyms, monkeypatch):
    backend = EmbeddedBackend(tmp_path, synonyms=synonyms)
    backend.index([doc(f"复印纸 {i}", product_id=900 + i) for i in range(8)]
                  + [doc("书柜 复印纸架", category=("A05010501", "书柜"), product_id=999)])
    monkeypatch.setattr(embedded, "MAX_HITS", 5)
    result = backend.search(SearchQuery(text="复印纸"))
    assert result.capped and result.total_offers == 5
    assert backend.search(SearchQuery(text="书柜")).capped is False
    monkeypatch.setattr(embedded, "MAX_HITS", 100)
    result = backend.search(SearchQuery(text="复印纸"))
    assert not result.capped and result.total_offers == 9


def test_fts_flags_follow_the_document(tmp_path, synonyms):
    backend = EmbeddedBackend(tmp_path, synonyms=synonyms)
    d = doc("联想台式计算机", category=("A02010105", "台式计算机"), mandatory_green=True)
    backend.index([d])
    hidden = SearchQuery(text="联想", hide_uncertified_mandatory=True)
    assert backend.search(hidden).groups == []
    backend.index([{**d, "energy_until": "2099-01-01"}])  # certified now: visible
    assert len(backend.search(hidden).groups) == 1


def test_an_index_of_an_older_layout_is_replaced_by_an_empty_one(tmp_path, synonyms):
    backend = EmbeddedBackend(tmp_path, synonyms=synonyms)
    backend.index([doc("复印纸")])
    path = backend.directory / backend._current_name()
    backend.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    again = EmbeddedBackend(tmp_path, synonyms=synonyms)
    assert again.count() == 0 and again._current_name() != path.name


def test_the_app_config_picks_the_backend(tmp_path, synonyms):
    cfg = Config.from_env(instance_path=tmp_path, search_backend="elasticsearch",
                          elasticsearch_url="http://127.0.0.1:9", elasticsearch_index="mall")
    es = make_backend(cfg, synonyms)
    assert isinstance(es, ElasticBackend) and es.alias == "mall"
    cfg.search_backend = "embedded"
    assert isinstance(make_backend(cfg, synonyms), EmbeddedBackend)
    assert (tmp_path / "search" / "CURRENT").exists()
    cfg.search_backend = "solr"
    with pytest.raises(ValueError):
        make_backend(cfg, synonyms)


def test_searches_in_other_threads_never_see_a_half_built_index(tmp_path, synonyms):
    import threading

    backend = EmbeddedBackend(tmp_path, synonyms=synonyms)
    generation = [[doc(f"复印纸 第{g}代 {i}", product_id=7000 + i) for i in range(30)]
                  for g in range(4)]
    backend.index(generation[0])
    seen: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def reader():
        try:
            while not done.is_set():
                seen.append(backend.search(SearchQuery(text="复印纸", per_page=50)).total_offers)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            backend.close()

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for g in range(1, 4):
        backend.reindex([generation[g][:15], generation[g][15:]])
    done.set()
    for t in threads:
        t.join()
    assert not errors, errors
    assert seen and set(seen) == {30}  # always a complete index, old or new
    titles = {g.hit.doc["title"] for g in backend.search(SearchQuery(text="复印纸",
                                                                    per_page=50)).groups}
    assert titles == {d["title"] for d in generation[3]}
