"""The search backend protocol (检索后端接口) and the factory that picks one from config."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from search.query import SearchQuery, SearchResult


class SearchUnavailable(RuntimeError):
    """The backend cannot be reached; writes wait in the outbox, reads show a message."""


class SearchBackend(Protocol):
    name: str

    def index(self, docs: list[dict]) -> None:
        """Add or replace documents (by offer id)."""

    def delete(self, offer_ids: list[int]) -> None:
        """Remove documents; unknown ids are ignored."""

    def search(self, query: SearchQuery) -> SearchResult: ...

    def suggest(self, text: str, limit: int = 8) -> list[str]:
        """Completions for a partly typed query (brands, categories, products)."""

    def reindex(self, chunks: Iterable[list[dict]]) -> int:
        """Build a complete new index from `chunks` and switch to it atomically; readers
        keep using the old one until the switch. Returns how many documents."""

    def digests(self) -> dict[int, str]:
        """offer id → document digest of everything indexed (drift checks)."""

    def count(self) -> int: ...


def make_backend(config, synonyms=None) -> SearchBackend:
    """The backend named by `SEARCH_BACKEND` (embedded | elasticsearch)."""
    from search.analysis import Synonyms

    synonyms = synonyms or Synonyms.from_file(config.search_synonyms_file or None)
    if config.search_backend == "elasticsearch":
        from search.elastic import ElasticBackend

        return ElasticBackend(config.elasticsearch_url, synonyms=synonyms,
                              alias=config.elasticsearch_index)
    if config.search_backend != "embedded":
        raise ValueError(f"unknown SEARCH_BACKEND {config.search_backend!r}")
    from search.embedded import EmbeddedBackend

    return EmbeddedBackend(config.instance_path / "search", synonyms=synonyms)
